// Time and energy rooflines per power mode (Pagoda):
//   time     T = max(W / peak_flops, Q / bandwidth)       attainable GFLOP/s = min(peak, AI * bandwidth)
//   energy   E = eps_flop * W + eps_byte * Q + pi0 * T    (pi0: static power while running)
// Nominal ceilings come from the clocks (GPU cores x 2 FLOP x f_gpu; EMC f x 2 x bus bytes). Calibrated ceilings
// and the energy roofline come from an ERT-style micro-benchmark (workload "ert:<AI>") profiled through a
// device backend at each mode: memory- and compute-bound points at two batch sizes give the bandwidth and peak
// (slopes, so fixed per-run overheads drop out) and a least-squares fit of E over all points gives eps_flop,
// eps_byte and pi0.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "modewise/device/backend.h"
#include "modewise/device/device_spec.h"
#include "modewise/device/power_mode.h"

namespace modewise::roofline {

struct ModeRoofline {
  device::PowerMode mode;
  double nominal_gflops = 0;  // peak FP32 FLOP/s from the GPU clock, GFLOP/s
  double nominal_gbps = 0;    // peak DRAM bandwidth from the EMC clock, GB/s
  double peak_gflops = 0;     // calibrated (= nominal when not calibrated)
  double bandwidth_gbps = 0;  // calibrated (= nominal when not calibrated)
  double overhead_ms = 0;     // fixed time per micro-benchmark run (launch, sync) seen as the intercept
  double eps_flop_pj = 0;     // energy per FLOP, pJ (0: no energy roofline)
  double eps_byte_pj = 0;     // energy per DRAM byte, pJ
  double pi0_w = 0;           // static power while running, W
  double idle_w = 0;          // board power at this mode before the benchmark starts, W (0: unknown)
  double energy_fit_rmse = 0; // relative RMS error of the energy fit over the calibration points
  bool calibrated = false;

  double ridge_flop_per_byte() const { return bandwidth_gbps > 0 ? peak_gflops / bandwidth_gbps : 0; }
  double attainable_gflops(double ai_flop_per_byte) const;
  double time_s(double flops, double bytes) const;  // the time roofline (no overheads)
  double energy_j(double flops, double bytes, double time_s) const;
  bool has_energy() const { return pi0_w > 0 || eps_flop_pj > 0 || eps_byte_pj > 0; }
};

ModeRoofline nominal_roofline(const device::DeviceSpec& spec, const device::PowerMode& mode);

struct CalibrationOptions {
  double low_ai = 0.25;    // FLOP/byte, memory-bound at every mode
  double mid_ai = 16;      // near the ridge: helps the energy fit
  double high_ai = 512;    // compute-bound at every mode
  std::vector<int> batch_sizes = {16, 64};  // samples per run (the ERT streams 64 MiB per sample)
  int minibatches = 50;    // per run, warm-up included
  int window = 40;         // minibatches measured after warm-up: enough power samples for the energy fit
};

// Profile the micro-benchmark at one mode through the backend and fit its rooflines. Throws Error when the
// backend cannot run "ert:<AI>" workloads or the fit is degenerate.
ModeRoofline calibrate_mode(device::Backend& backend, const device::PowerMode& mode,
                            const CalibrationOptions& options = {});
// Many modes; `progress(done, total)` after each.
std::vector<ModeRoofline> calibrate_modes(device::Backend& backend, const std::vector<device::PowerMode>& modes,
                                          const CalibrationOptions& options = {},
                                          const std::function<void(size_t, size_t)>& progress = {});

// Calibration files: {"device": ..., "provenance": ..., "modes": [{cores, cpu_mhz, gpu_mhz, emc_mhz,
// peak_gflops, bandwidth_gbps, ...}]}.
nlohmann::json rooflines_to_json(const std::vector<ModeRoofline>& rooflines);
std::vector<ModeRoofline> rooflines_from_json(const nlohmann::json& j, const std::string& source);

}  // namespace modewise::roofline

namespace modewise::roofline {

// A comma-separated list of --modes items, each "all" (the grid), a named mode ("maxn", "MODE_30W"),
// "random:N" or a CSV file of modes (profile::resolve_modes); repeats dropped.
std::vector<device::PowerMode> resolve_mode_list(const device::DeviceSpec& spec, const std::string& list,
                                                 const std::string& grid);
// "fulcrum" when the device has that grid, else "full".
std::string default_tuning_grid(const device::DeviceSpec& spec);

}  // namespace modewise::roofline
