// The emulator's workload catalog: per-sample work of real models (FLOPs, DRAM traffic, parameters, operator
// and kernel counts), the DataLoader's per-sample cost, and the calibrated efficiencies. See docs/EMULATOR.md.
#pragma once
#include <string>
#include <vector>

namespace modewise::sim::detail {

struct WorkloadParams {
  std::string name;
  std::vector<std::string> aliases;
  std::string shape;            // input shape the numbers refer to ("3x224x224", "seq 384")
  // --- work, from the real models (forward pass, one sample) ---
  double fwd_gflop = 0;         // FLOPs (2 x MACs), FP32
  double fwd_act_mb = 0;        // DRAM traffic of activations (inputs + outputs of every node, 4 B)
  double param_mb = 0;          // weights, FP32
  double ops_fwd = 0;           // framework operator calls per forward pass (each costs the launcher)
  double kernels_fwd = 0;       // GPU kernels per forward pass (>= ops for cuDNN RNNs)
  double serial_steps = 0;      // dependent sequential steps per forward pass (RNN layers x time steps)
  double compute_flop_share = 0.95;  // share of FLOPs in conv/GEMM kernels (the rest: elementwise/norm)
  double compute_byte_share = 0.4;   // share of activation traffic in conv/GEMM kernels
  // --- counted from the model (first principles): the neutral starting values of a calibration refit ---
  double ops_counted = 0;       // operator calls per forward pass as counted (ops_fwd is the fitted effective count)
  double kernels_counted = 0;   // GPU kernels per forward pass as counted (kernels_fwd is fitted)
  // --- calibrated (docs/EMULATOR.md, "Calibration") ---
  double compute_eff = 0.5;     // achieved fraction of peak FP32 FLOP/s in conv/GEMM kernels (large batch)
  double elementwise_eff = 0.1; // achieved fraction of peak FLOP/s in elementwise/norm kernels
  double mem_eff = 0.6;         // achieved fraction of peak DRAM bandwidth
  double half_fill_samples = 0; // batch at which the GPU reaches half of compute_eff (0: full at batch 1)
  double gpu_activity = 1.0;    // power activity of busy SMs relative to a typical kernel mix
  // --- data pipeline ---
  double input_kb = 0;          // bytes per sample on storage
  double prep_mcycles_train = 0;  // CPU work per sample in a DataLoader worker (decode + augment), Mcycles
  double prep_mcycles_infer = 0;  // CPU work per sample when inference loads from storage (decode + resize)
  double host_mcycles_per_sample_infer = 0;  // main-thread work per sample in inference (e.g. NMS)
};

// The catalog (fixed order). For "ert:<AI>" a synthetic entry is built.
const std::vector<WorkloadParams>& catalog();
// Lookup by name or alias (case-insensitive) or "ert:<AI>". Throws UsageError listing the names.
WorkloadParams find_workload(const std::string& name);
bool is_ert(const WorkloadParams& w);

}  // namespace modewise::sim::detail
