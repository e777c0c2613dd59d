// Calibration fits behind `modewise sim-check --fit` and `sim-check --leave-one-out`: a bounded coordinate search
// (in log space) over the calibrated parameters of the catalog workloads that have reference points and a few
// global coefficients, minimising the normalised errors against the reference points with a weak pull (a prior)
// towards the starting values.
//   --fit            starts from, and pulls towards, the values in the code (a developer's refinement); it prints
//                    the fitted values, which are copied by hand into src/sim/workloads.cpp and src/sim/model.h
//                    (the emulator never fits at run time).
//   --leave-one-out  starts every refit from NEUTRAL values and pulls towards them, never towards the shipped
//                    constants (which were fitted with the held-out points): the geometric centre of each
//                    parameter's search range, and the op and kernel counts as counted from the models.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "modewise/sim/calibration.h"
#include "modewise/util/error.h"
#include "sim/model.h"
#include "sim/workloads.h"

namespace modewise::sim {

namespace {

struct Param {
  std::string name;
  double* value;
  double lo, hi;
  double start;  // where the search starts and what the prior pulls towards
};

// Everything a calibration fit varies.
struct Calibrated {
  detail::Framework fw;
  detail::DeviceCoeffs dc;
  std::map<std::string, detail::WorkloadParams> ws;
};

// The parameter list over `c` (one set per workload of `workloads`). neutral: every value is first set to its
// neutral value and ops/kernels ranges are anchored on the counted numbers; else ranges and starts follow the
// current values.
std::vector<Param> bind_params(Calibrated& c, const std::set<std::string>& workloads, bool neutral) {
  std::vector<Param> params = {
      {"framework.launch_kcycles_per_op", &c.fw.launch_kcycles_per_op, 40, 400, 0},
      {"framework.overlap_rho", &c.fw.overlap_rho, 0.02, 1.0, 0},
      {"framework.kernel_gpu_fixed_us", &c.fw.kernel_gpu_fixed_us, 0.5, 10, 0},
      {"framework.serial_step_fixed_us", &c.fw.serial_step_fixed_us, 1, 30, 0},
      {"framework.driver_kcycles_per_kernel", &c.fw.driver_kcycles_per_kernel, 3, 30, 0},
      {"framework.host_mcycles_per_step_infer", &c.fw.host_mcycles_per_step_infer, 0.1, 5, 0},
      {"device.board_static_w", &c.dc.board_static_w, 3, 12, 0},
      {"device.gpu_dyn_w", &c.dc.gpu_dyn_w, 20, 80, 0},
      {"device.gpu_busy_activity", &c.dc.gpu_busy_activity, 0.05, 1.0, 0},
      {"device.gpu_byte_activity", &c.dc.gpu_byte_activity, 0.05, 10.0, 0},
      {"device.cpu_core_leak_w", &c.dc.cpu_core_leak_w, 0.1, 0.8, 0},
  };
  const size_t n_global = params.size();
  for (const auto& name : workloads) {
    auto& w = c.ws.at(name);
    if (w.half_fill_samples <= 0) w.half_fill_samples = 0.5;
    const double ops = neutral ? w.ops_counted : w.ops_fwd, kernels = neutral ? w.kernels_counted : w.kernels_fwd;
    params.push_back({name + ".compute_eff", &w.compute_eff, 0.25, 1.3, 0});
    params.push_back({name + ".mem_eff", &w.mem_eff, 0.15, 0.9, 0});
    params.push_back({name + ".half_fill_samples", &w.half_fill_samples, 0.01, 16, 0});
    params.push_back({name + ".gpu_activity", &w.gpu_activity, 0.3, 2.5, 0});
    params.push_back({name + ".ops_fwd", &w.ops_fwd, 0.3 * ops, 2.0 * ops, ops});
    params.push_back({name + ".kernels_fwd", &w.kernels_fwd, 0.3 * kernels, 3.0 * kernels, kernels});
  }
  for (size_t i = 0; i < params.size(); ++i) {
    auto& p = params[i];
    const bool counted = i >= n_global && (i - n_global) % 6 >= 4;  // ops_fwd, kernels_fwd
    if (neutral) *p.value = counted ? p.start : std::sqrt(p.lo * p.hi);
    p.start = *p.value;
  }
  return params;
}

device::WorkloadRequest request_of(const ReferencePoint& p) {
  device::WorkloadRequest req;
  req.workload = p.workload;
  req.task = "infer";
  req.batch_size = p.batch_size;
  return req;
}

Estimate estimate_with(const device::DeviceSpec& spec, const Calibrated& c, const ReferencePoint& p) {
  return detail::model_estimate(spec, c.dc, c.fw, c.ws.at(p.workload), request_of(p), p.mode, SimOptions{});
}

// Coordinate search over `params` on the points `use` accepts (excluded glitches never count). Returns the
// final objective.
template <typename Use>
double coordinate_search(const device::DeviceSpec& spec, Calibrated& c, std::vector<Param>& params,
                         const std::vector<ReferencePoint>& points, const Tolerance& tol, Use use,
                         double* before = nullptr) {
  auto objective = [&]() {
    double worst = 0, sum = 0;
    for (const auto& p : points) {
      if (p.excluded || !use(p)) continue;
      Estimate e = estimate_with(spec, c, p);
      double et = std::log(e.time_ms / p.time_ms) / tol.time, ep = std::log(e.power_w / p.power_w) / tol.power;
      sum += std::pow(et, 4) + std::pow(ep, 4) + et * et + ep * ep;
      worst = std::max({worst, std::abs(et), std::abs(ep)});
    }
    double prior = 0;
    for (const auto& p : params) prior += std::pow(std::log(*p.value / p.start), 2);
    return sum + 0.2 * prior + (worst > 0.9 ? 100 * (worst - 0.9) : 0);
  };
  double best = objective();
  if (before) *before = best;
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
  return best;
}

Calibrated current_values(const device::DeviceSpec& spec, const std::vector<ReferencePoint>& points) {
  Calibrated c;
  c.dc = detail::device_coeffs(spec);
  for (const auto& p : points) c.ws.emplace(p.workload, detail::find_workload(p.workload));
  return c;
}

std::set<std::string> workloads_of(const std::vector<ReferencePoint>& points) {
  std::set<std::string> s;
  for (const auto& p : points) s.insert(p.workload);
  return s;
}

}  // namespace

int calibrated_parameter_count(const std::vector<ReferencePoint>& points) {
  Calibrated c = current_values(device::builtin_device("orin-agx"), points);
  return static_cast<int>(bind_params(c, workloads_of(points), false).size());
}

int calibration_target_count(const std::vector<ReferencePoint>& points) {
  return 2 * static_cast<int>(std::count_if(points.begin(), points.end(), [](const auto& p) { return !p.excluded; }));
}

std::string fit_to_reference(const device::DeviceSpec& spec, const std::vector<ReferencePoint>& points,
                             const Tolerance& tol) {
  Calibrated c = current_values(spec, points);
  std::vector<Param> params = bind_params(c, workloads_of(points), false);
  double before = 0;
  double best = coordinate_search(spec, c, params, points, tol, [](const ReferencePoint&) { return true; }, &before);
  std::string out = fmt::format("objective {:.4f} -> {:.4f} ({} parameters, {} targets)\n", before, best,
                                params.size(), calibration_target_count(points));
  for (const auto& p : points) {
    Estimate e = estimate_with(spec, c, p);
    out += fmt::format("  {:12} bs {:3}  time {:+6.1f}%  power {:+6.1f}%{}\n", p.workload, p.batch_size,
                       100 * (e.time_ms / p.time_ms - 1), 100 * (e.power_w / p.power_w - 1),
                       p.excluded ? "  (excluded)" : "");
  }
  for (const auto& p : params)
    out += fmt::format("{:45} {:10.4g} -> {:10.4g}{}\n", p.name, p.start, *p.value,
                       std::abs(*p.value / p.start - 1) > 0.005 ? "" : "   (unchanged)");
  return out;
}

namespace {

// Drops the parameters named in `fixed` (by full name or by the part after the workload: "kernels_fwd"); they
// keep the neutral values bind_params gave them.
void hold_fixed(std::vector<Param>& params, const std::vector<std::string>& fixed) {
  for (const auto& f : fixed) {
    auto matches = [&](const Param& p) {
      return p.name == f || (p.name.size() > f.size() && p.name.compare(p.name.size() - f.size(), f.size(), f) == 0 &&
                             p.name[p.name.size() - f.size() - 1] == '.');
    };
    if (std::none_of(params.begin(), params.end(), matches))
      throw UsageError("--fix: no calibrated parameter '{}' (e.g. kernels_fwd, half_fill_samples, "
                       "framework.overlap_rho)", f);
    params.erase(std::remove_if(params.begin(), params.end(), matches), params.end());
  }
}

}  // namespace

LeaveOneOutResult leave_one_out(const device::DeviceSpec& spec, const std::vector<ReferencePoint>& points,
                                const Tolerance& tol, HoldOut unit, const std::vector<std::string>& fixed) {
  auto t0 = std::chrono::steady_clock::now();
  LeaveOneOutResult r;
  r.unit = unit;
  r.tolerance = tol;
  const std::set<std::string> all_workloads = workloads_of(points);
  r.targets = calibration_target_count(points);

  // The full-data refit from the same neutral start: the in-sample error of this procedure.
  {
    Calibrated c = current_values(spec, points);
    auto params = bind_params(c, all_workloads, true);
    hold_fixed(params, fixed);
    r.parameters = static_cast<int>(params.size());
    coordinate_search(spec, c, params, points, tol, [](const ReferencePoint&) { return true; });
    r.neutral_in_sample.tolerance = tol;
    for (const auto& p : points) r.neutral_in_sample.rows.push_back(check_row(p, estimate_with(spec, c, p), tol));
    summarize(r.neutral_in_sample);
  }

  // Held-out groups: a workload's points, or one point.
  std::vector<std::vector<size_t>> groups;
  if (unit == HoldOut::workload) {
    for (const auto& w : all_workloads) {
      std::vector<size_t> g;
      for (size_t i = 0; i < points.size(); ++i)
        if (points[i].workload == w) g.push_back(i);  // an excluded glitch is predicted too, never fitted
      groups.push_back(g);
    }
  } else {
    for (size_t i = 0; i < points.size(); ++i)
      if (!points[i].excluded) groups.push_back({i});
  }
  r.predicted.tolerance = tol;
  std::vector<std::optional<CheckRow>> rows(points.size());
  for (const auto& g : groups) {
    std::set<const ReferencePoint*> held;
    for (size_t i : g) held.insert(&points[i]);
    // Parameters only for workloads that keep points: a held-out workload keeps its neutral values (the fit has
    // no data about it), as a new workload would.
    std::set<std::string> fitted;
    for (const auto& p : points)
      if (!held.count(&p) && !p.excluded) fitted.insert(p.workload);
    Calibrated c = current_values(spec, points);
    auto params = bind_params(c, all_workloads, true);  // every value neutral
    hold_fixed(params, fixed);
    params.erase(std::remove_if(params.begin(), params.end(),
                                [&](const Param& p) {
                                  auto dot = p.name.rfind('.');
                                  std::string owner = p.name.substr(0, dot);
                                  return all_workloads.count(owner) && !fitted.count(owner);
                                }),
                 params.end());
    coordinate_search(spec, c, params, points, tol, [&](const ReferencePoint& p) { return !held.count(&p); });
    ++r.refits;
    for (size_t i : g) rows[i] = check_row(points[i], estimate_with(spec, c, points[i]), tol);
  }
  for (size_t i = 0; i < points.size(); ++i) {
    if (rows[i]) {
      r.predicted.rows.push_back(*rows[i]);
    } else {  // an excluded glitch when holding out points: shown as the full refit predicts it, never counted
      r.predicted.rows.push_back(r.neutral_in_sample.rows[i]);
    }
  }
  summarize(r.predicted);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace modewise::sim
