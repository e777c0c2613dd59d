// Roofline-based latency and energy of a model at any calibrated mode, and the energy-optimal inference mode.
//   gpu_ms  = sum over layers of max(compute_scale * W_l / peak, memory_scale * Q_l / bandwidth)
//             (the time roofline per layer; the scales are the model's achieved fractions of the ceilings, inverted)
//   host_ms = host_mcycles / f_cpu                  (the framework's main thread issuing the layers' kernels)
//   time_ms = max(gpu_ms, host_ms) + overlap * min(gpu_ms, host_ms)
//   energy  = idle * time + dynamic_scale * (eps_flop * W + eps_byte * Q + (pi0 - idle) * gpu_time)
//             + host_w_per_ghz2 * host_time * f_cpu^2                              (the energy roofline)
// Without anchors the scales are 1, the host work is a default dispatch cost per kernel and host power is 0;
// a few profiled "anchor" modes of the model itself calibrate them.
#pragma once
#include <limits>
#include <string>
#include <vector>

#include "modewise/device/backend.h"
#include "modewise/roofline/onnx_analyzer.h"
#include "modewise/roofline/roofline.h"

namespace modewise::roofline {

struct ModelCalibration {
  double compute_scale = 1.0;    // time of compute-bound work / the micro-benchmark's (1 / achieved fraction)
  double memory_scale = 1.0;     // the same for memory-bound work
  double host_mcycles = 0;       // main-thread CPU work per inference (all samples of the batch), Mcycles
  double overlap = 0.3;          // share of the shorter of GPU and host time that does not overlap
  double dynamic_scale = 1.0;    // multiplies the roofline's dynamic (above idle) energy
  double host_w_per_ghz2 = 0;    // power of the busy host thread per GHz^2 of CPU clock
  int anchors = 0;               // profiled modes the values were fitted to (0: defaults)
  double time_fit_rmse = 0;      // relative RMS time error at the anchors
  double energy_fit_rmse = 0;
};

// Defaults from the analysis alone: scales 1, host work = kernels x kDefaultHostKcyclesPerKernel.
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

// Pick anchor modes among `modes`: the fastest corner; along CPU, GPU and EMC clocks the lowest, the middle, the
// third- and the second-highest value with the other clocks at the top (denser near the top, where the
// energy-optimal modes within a small slowdown lie); and the fewest cores.
std::vector<size_t> anchor_modes(const std::vector<device::PowerMode>& modes);

struct Measured {
  device::PowerMode mode;
  double time_ms = 0, power_w = 0, energy_j = 0;  // per inference (one batch)
  double time_rel_se = 0;                          // standard error of time_ms / time_ms (0: unknown)
};
// Profile `workload` (task infer) at a mode through the backend (warm-up rule, window of minibatches).
Measured measure_inference(device::Backend& backend, const device::WorkloadRequest& workload,
                           const device::PowerMode& mode, int minibatches = 50, int window = 40);

// Fit the scales, host_mcycles, overlap (time) and the energy terms to measurements at calibrated modes.
ModelCalibration fit_model_calibration(const ModelAnalysis& a, const std::vector<ModeRoofline>& rooflines,
                                       const std::vector<Measured>& anchors);

struct TuneResult {
  std::vector<Prediction> predictions;  // one per roofline, same order
  size_t fastest = 0;                   // least predicted time
  size_t chosen = 0;                    // least predicted energy within max_slowdown of the fastest
  size_t maxn = std::numeric_limits<size_t>::max();  // index of MAXN among the modes, if present
  double max_slowdown = 0;
  double guard_band = 0;                // taken off max_slowdown: the model's time error at the anchors
  std::vector<Measured> confirmed;      // measurements the choice was confirmed on (empty: predictions only)
  double measured_reference_ms = 0;     // least measured time among them (the slowdown reference)
  double predicted_saving() const;      // 1 - E(chosen) / E(maxn); NaN without MAXN
};

// Candidates: predicted time <= fastest x (1 + max_slowdown - guard band), the guard band being the model's
// relative time error at its anchors (at most max_slowdown). Throws UsageError for max_slowdown < 0, Error for
// no modes.
TuneResult tune_inference(const std::vector<ModeRoofline>& rooflines, const ModelAnalysis& a,
                          const ModelCalibration& c, double max_slowdown, const device::PowerMode& maxn);

// Confirmation by measurement: the model's choice is only as good as its errors near the slowdown boundary (1-3%
// there, the same size as a 5% limit), so the tuner profiles a few more modes and decides on measurements.
// Measured: the `fastest_count` modes of least predicted time (the reference for the slowdown) and the
// `candidate_count` modes of least predicted energy among those predicted within max_slowdown + slack of the
// fastest (slack = max(guard band, 2%)), each with a long run (anchors too: their short runs are too noisy to
// be the slowdown reference); `known` (the anchors) only counts towards the distinct modes profiled.
// The choice is the least measured energy among measured modes whose measured time is within max_slowdown of the
// least measured time, less z standard errors of that ratio (measurement noise), so that a remeasurement stays
// within the limit. Confirmation runs are longer than anchor runs to keep that guard small.
// Fills t.confirmed (every measurement used) and sets t.chosen; returns the number of distinct modes profiled in
// all (known ones and new ones).
struct ConfirmOptions {
  int fastest_count = 3;
  int candidate_count = 8;
  double min_slack = 0.02;  // candidates: predicted within max_slowdown + max(guard band, min_slack)
  int minibatches = 2000;  // per confirmation run (window: all but the warm-up allowance of 10); se ~0.06% at 2.5% noise
  double z = 0.5;
};
size_t confirm_by_measurement(TuneResult& t, device::Backend& backend,
                                             const device::WorkloadRequest& workload,
                                             const std::vector<Measured>& known, const ConfirmOptions& o = {});

// The least measured energy within max_slowdown of the measured fastest, less z standard errors of the time ratio
// (from time_rel_se; z = 0: the exhaustive answer as measured).
size_t best_measured(const std::vector<Measured>& measured, double max_slowdown, double z = 0);

}  // namespace modewise::roofline
