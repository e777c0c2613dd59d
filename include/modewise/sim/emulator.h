// The board emulator behind `sim:<device>`: time and power of a DNN workload at any power mode, built from
// first principles (GPU roofline over the workload's kernels, a single-threaded launcher whose cost scales
// with CPU clock, a DataLoader worker pool, storage bandwidth, imperfect overlap, DVFS power) and calibrated
// against published measurements (docs/EMULATOR.md). Its numbers are emulated, never measured.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "modewise/device/backend.h"
#include "modewise/device/device_spec.h"

namespace modewise::sim {

// Noise-free steady-state answer of the emulator for one workload at one mode.
struct Estimate {
  double time_ms = 0;        // mean time per minibatch
  double power_w = 0;        // mean board power while running
  double fetch_ms = 0;       // part of time_ms stalled waiting for data
  double compute_ms = 0;     // GPU-side time per minibatch (kernels)
  double launch_ms = 0;      // CPU-side launcher (Python main thread) time per minibatch
  double gpu_util = 0;       // 0..1
  double cpu_util = 0;       // 0..1 of online cores
  double mem_used_mb = 0;
  // Extra breakdown (emulator-specific).
  double data_ms = 0;        // DataLoader time to produce one minibatch with the usable workers
  double idle_power_w = 0;   // board power at this mode with nothing running
  double dram_gbps = 0;      // mean DRAM traffic while running
  double gpu_mhz_effective = 0;  // GPU clock actually running: below the mode's when power throttles it
  double energy_j() const { return time_ms / 1000.0 * power_w; }
  double stall_fraction() const { return time_ms > 0 ? fetch_ms / time_ms : 0; }
};

// Work of one minibatch on the GPU (what a roofline needs).
struct MinibatchWork {
  double gflop = 0;      // floating-point work, GFLOP
  double dram_mb = 0;    // DRAM traffic (activations + weights + optimizer), MB
  double kernels = 0;    // GPU kernel launches
  double ops = 0;        // framework (Python-level) operator calls
};

// Options that change what is emulated (defaults: the published setups).
struct SimOptions {
  // Inference reads data already in memory (Pagoda setup). Set to model a DataLoader reading from storage.
  bool infer_loads_data = false;
};

// Names of the catalog workloads (resnet18, resnet50, mobilenetv3, yolov8n, bert-base, bert-large, lstm).
// Besides these, "ert:<AI>" names a synthetic ERT-style kernel loop of arithmetic intensity AI FLOP/byte.
std::vector<std::string> workload_names();
bool is_catalog_workload(const std::string& name);  // accepts aliases such as "mobnet", and "ert:<AI>"
// The catalog name for a name or alias ("mobnet" -> "mobilenetv3"). Throws UsageError listing the names.
std::string canonical_workload(const std::string& name);

// Work per minibatch of a catalog workload. Throws UsageError for an unknown workload, task or batch size.
MinibatchWork minibatch_work(const device::WorkloadRequest& workload);

// Noise-free estimate. Throws UsageError for an unknown workload or task, Error for a mode the device lacks.
Estimate estimate(const device::DeviceSpec& spec, const device::WorkloadRequest& workload,
                  const device::PowerMode& mode);
Estimate estimate(const device::DeviceSpec& spec, const device::WorkloadRequest& workload,
                  const device::PowerMode& mode, const SimOptions& options);

// Board power at a mode with nothing running (board static + leakage + idle clocks). Throws Error for a bad mode.
double idle_power_w(const device::DeviceSpec& spec, const device::PowerMode& mode);

// A Backend that emulates `spec`: apply() checks the mode, run() draws per-minibatch noise, a warm-up phase
// and a power trace from the estimate. Deterministic for a given seed: the n-th run of the same
// (mode, workload) draws the same numbers whatever ran before it.
std::unique_ptr<device::Backend> make_sim_backend(const device::DeviceSpec& spec, uint64_t seed);
std::unique_ptr<device::Backend> make_sim_backend(const device::DeviceSpec& spec, uint64_t seed,
                                                  const SimOptions& options);

}  // namespace modewise::sim
