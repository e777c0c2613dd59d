// Roofline-based latency and energy of a model at any calibrated mode, and the energy-optimal inference mode.
//   gpu_ms  = gpu_scale * sum over layers of max(W_l / peak, Q_l / bandwidth)     (the time roofline per layer)
//   host_ms = host_mcycles / f_cpu                  (the framework's main thread issuing the layers' kernels)
//   time_ms = max(gpu_ms, host_ms) + overlap * min(gpu_ms, host_ms)
//   energy  = eps_flop * W + eps_byte * Q + pi0 * time                               (the energy roofline)
// gpu_scale, host_mcycles and overlap default to first-principles values (the micro-benchmark's efficiency,
// a per-kernel dispatch cost) and can be calibrated from a few profiled "anchor" modes of the model itself.
#pragma once
#include <limits>
#include <string>
#include <vector>

#include "modewise/device/backend.h"
#include "modewise/roofline/onnx_analyzer.h"
#include "modewise/roofline/roofline.h"

namespace modewise::roofline {

struct ModelCalibration {
  double gpu_scale = 1.0;        // model kernels' time / the micro-benchmark roofline time
  double host_mcycles = 0;       // main-thread CPU work per inference (all samples of the batch), Mcycles
  double overlap = 0.3;          // share of the shorter of GPU and host time that does not overlap
  double energy_scale = 1.0;     // measured / roofline energy at the anchors
  int anchors = 0;               // profiled modes the values were fitted to (0: defaults)
  double time_fit_rmse = 0;      // relative RMS time error at the anchors
  double energy_fit_rmse = 0;
};

// Defaults from the analysis alone: gpu_scale 1, host work = kernels x kDefaultHostKcyclesPerKernel.
constexpr double kDefaultHostKcyclesPerKernel = 140;  // framework dispatch + driver launch per kernel
ModelCalibration default_calibration(const ModelAnalysis& a);

struct Prediction {
  device::PowerMode mode;
  double roofline_ms = 0;  // sum of the layers' time rooflines (no efficiency, no host)
  double gpu_ms = 0, host_ms = 0, time_ms = 0;
  double power_w = 0, energy_j = 0;  // per inference (one batch)
  double memory_bound_share = 0;     // share of roofline_ms in layers below the ridge
};

Prediction predict(const ModeRoofline& r, const ModelAnalysis& a, const ModelCalibration& c);

// Pick anchor modes among `modes` (the fastest corner, and one step away along CPU, GPU and EMC).
std::vector<size_t> anchor_modes(const std::vector<device::PowerMode>& modes);

struct Measured {
  device::PowerMode mode;
  double time_ms = 0, power_w = 0, energy_j = 0;  // per inference (one batch)
};
// Profile `workload` (task infer) at a mode through the backend (warm-up rule, window of minibatches).
Measured measure_inference(device::Backend& backend, const device::WorkloadRequest& workload,
                           const device::PowerMode& mode, int minibatches = 24, int window = 16);

// Fit gpu_scale, host_mcycles, overlap (time) and energy_scale to measurements at calibrated modes.
ModelCalibration fit_model_calibration(const ModelAnalysis& a, const std::vector<ModeRoofline>& rooflines,
                                       const std::vector<Measured>& anchors);

struct TuneResult {
  std::vector<Prediction> predictions;  // one per roofline, same order
  size_t fastest = 0;                   // least predicted time
  size_t chosen = 0;                    // least predicted energy within max_slowdown of the fastest
  size_t maxn = std::numeric_limits<size_t>::max();  // index of MAXN among the modes, if present
  double max_slowdown = 0;
  double predicted_saving() const;      // 1 - E(chosen) / E(maxn); NaN without MAXN
};

// Throws UsageError for max_slowdown < 0 and Error for no modes.
TuneResult tune_inference(const std::vector<ModeRoofline>& rooflines, const ModelAnalysis& a,
                          const ModelCalibration& c, double max_slowdown, const device::PowerMode& maxn);

// The exhaustive answer from measurements: least energy within max_slowdown of the measured fastest.
size_t best_measured(const std::vector<Measured>& measured, double max_slowdown);

}  // namespace modewise::roofline
