// Offline calibration helper behind `modewise sim-check --fit`: a bounded coordinate search (in log space) over
// the calibrated parameters of the catalog workloads that have reference points and a few global
// coefficients, minimising the normalised errors against the reference points with a weak pull towards the
// current values. It prints the fitted values; they are copied by hand into src/sim/workloads.cpp and
// src/sim/model.h (the emulator never fits at run time).
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "modewise/sim/calibration.h"
#include "sim/model.h"
#include "sim/workloads.h"

namespace modewise::sim {

namespace {

struct Param {
  std::string name;
  double* value;
  double lo, hi;
  double start;
};

}  // namespace

std::string fit_to_reference(const device::DeviceSpec& spec, const std::vector<ReferencePoint>& points,
                             const Tolerance& tol) {
  detail::Framework fw;
  detail::DeviceCoeffs dc = detail::device_coeffs(spec);
  std::map<std::string, detail::WorkloadParams> ws;
  for (const auto& p : points) ws.emplace(p.workload, detail::find_workload(p.workload));

  std::vector<Param> params = {
      {"framework.launch_kcycles_per_op", &fw.launch_kcycles_per_op, 40, 400, 0},
      {"framework.overlap_rho", &fw.overlap_rho, 0.02, 1.0, 0},
      {"framework.kernel_gpu_fixed_us", &fw.kernel_gpu_fixed_us, 0.5, 10, 0},
      {"framework.serial_step_fixed_us", &fw.serial_step_fixed_us, 1, 30, 0},
      {"framework.driver_kcycles_per_kernel", &fw.driver_kcycles_per_kernel, 3, 30, 0},
      {"framework.host_mcycles_per_step_infer", &fw.host_mcycles_per_step_infer, 0.1, 5, 0},
      {"device.board_static_w", &dc.board_static_w, 3, 12, 0},
      {"device.gpu_dyn_w", &dc.gpu_dyn_w, 20, 80, 0},
      {"device.gpu_busy_activity", &dc.gpu_busy_activity, 0.05, 1.0, 0},
      {"device.gpu_byte_activity", &dc.gpu_byte_activity, 0.05, 10.0, 0},
      {"device.cpu_core_leak_w", &dc.cpu_core_leak_w, 0.1, 0.8, 0},
  };
  for (auto& [name, w] : ws) {
    if (w.half_fill_samples <= 0) w.half_fill_samples = 0.5;
    params.push_back({name + ".compute_eff", &w.compute_eff, 0.25, 1.3, 0});
    params.push_back({name + ".mem_eff", &w.mem_eff, 0.15, 0.9, 0});
    params.push_back({name + ".half_fill_samples", &w.half_fill_samples, 0.01, 16, 0});
    params.push_back({name + ".gpu_activity", &w.gpu_activity, 0.3, 2.5, 0});
    params.push_back({name + ".ops_fwd", &w.ops_fwd, 0.3 * w.ops_fwd, 2.0 * w.ops_fwd, 0});
    params.push_back({name + ".kernels_fwd", &w.kernels_fwd, 0.5 * w.kernels_fwd, 3.0 * w.kernels_fwd, 0});
  }
  for (auto& p : params) p.start = *p.value;

  auto objective = [&]() {
    double worst = 0, sum = 0;
    for (const auto& p : points) {
      if (p.excluded) continue;
      device::WorkloadRequest req;
      req.workload = p.workload;
      req.task = "infer";
      req.batch_size = p.batch_size;
      Estimate e = detail::model_estimate(spec, dc, fw, ws.at(p.workload), req, p.mode, SimOptions{});
      double et = std::log(e.time_ms / p.time_ms) / tol.time, ep = std::log(e.power_w / p.power_w) / tol.power;
      sum += std::pow(et, 4) + std::pow(ep, 4) + et * et + ep * ep;
      worst = std::max({worst, std::abs(et), std::abs(ep)});
    }
    double prior = 0;
    for (const auto& p : params) prior += std::pow(std::log(*p.value / p.start), 2);
    return sum + 0.2 * prior + (worst > 0.9 ? 100 * (worst - 0.9) : 0);
  };

  double before = objective(), best = before;
  for (double step = 0.3; step > 0.002; step *= 0.5) {
    for (int sweep = 0; sweep < 200; ++sweep) {
      bool improved = false;
      for (auto& p : params) {
        for (double dir : {+1.0, -1.0}) {
          double old = *p.value;
          *p.value = std::clamp(old * std::exp(dir * step), p.lo, p.hi);
          double f = objective();
          if (f < best - 1e-12) {
            best = f;
            improved = true;
          } else {
            *p.value = old;
          }
        }
      }
      if (!improved) break;
    }
  }
  std::string out = fmt::format("objective {:.4f} -> {:.4f}\n", before, best);
  for (const auto& p : points) {
    device::WorkloadRequest req;
    req.workload = p.workload;
    req.task = "infer";
    req.batch_size = p.batch_size;
    Estimate e = detail::model_estimate(spec, dc, fw, ws.at(p.workload), req, p.mode, SimOptions{});
    out += fmt::format("  {:12} bs {:3}  time {:+6.1f}%  power {:+6.1f}%{}\n", p.workload, p.batch_size,
                       100 * (e.time_ms / p.time_ms - 1), 100 * (e.power_w / p.power_w - 1),
                       p.excluded ? "  (excluded)" : "");
  }
  for (const auto& p : params)
    out += fmt::format("{:45} {:10.4g} -> {:10.4g}{}\n", p.name, p.start, *p.value,
                       std::abs(*p.value / p.start - 1) > 0.005 ? "" : "   (unchanged)");
  return out;
}

}  // namespace modewise::sim
