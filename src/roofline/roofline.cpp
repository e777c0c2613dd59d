#include "modewise/roofline/roofline.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <nlohmann/json.hpp>

#include "modewise/device/device_spec.h"
#include "modewise/device/grid.h"
#include "modewise/profile/warmup.h"
#include "modewise/sim/emulator.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::roofline {

double ModeRoofline::attainable_gflops(double ai) const { return std::min(peak_gflops, ai * bandwidth_gbps); }

double ModeRoofline::time_s(double flops, double bytes) const {
  return std::max(flops / (peak_gflops * 1e9), bytes / (bandwidth_gbps * 1e9));
}

double ModeRoofline::energy_j(double flops, double bytes, double t_s) const {
  return eps_flop_pj * 1e-12 * flops + eps_byte_pj * 1e-12 * bytes + pi0_w * t_s;
}

ModeRoofline nominal_roofline(const device::DeviceSpec& spec, const device::PowerMode& mode) {
  ModeRoofline r;
  r.mode = mode;
  r.nominal_gflops = r.peak_gflops = spec.peak_fp32_gflops(mode.gpu_mhz);
  r.nominal_gbps = r.bandwidth_gbps = spec.peak_dram_gbps(mode.emc_mhz);
  return r;
}

namespace {

struct Point {
  double flops = 0, bytes = 0, time_s = 0, energy_j = 0;
  std::vector<double> idle_w;  // power samples before the first minibatch
};

Point measure(device::Backend& backend, double ai, int batch, const CalibrationOptions& o) {
  device::WorkloadRequest req;
  req.workload = "ert:" + util::format_number(ai);
  req.task = "infer";
  req.batch_size = batch;
  req.workers = 0;
  sim::MinibatchWork work = sim::minibatch_work(req);  // the micro-benchmark's work, by construction
  device::RunTrace trace = backend.run(req, o.minibatches);
  profile::RunSummary s = profile::summarize_run(trace, o.window);
  if (!(s.time_ms > 0) || !(s.power_w > 0))
    throw Error("{}: micro-benchmark {} (batch {}) gave no usable time/power at {}", backend.name(), req.workload,
                batch, backend.current_mode().key());
  Point p{work.gflop * 1e9, work.dram_mb * 1e6, s.time_ms / 1000.0, s.time_ms / 1000.0 * s.power_w, {}};
  double first_start_s = trace.minibatches.empty() ? 0 : trace.minibatches.front().start_s;
  for (const auto& sample : trace.power)
    if (sample.t_s < first_start_s) p.idle_w.push_back(sample.power_w);
  return p;
}

// Least squares E = a*W + b*Q + c*T with a, b, c >= 0 (drop negative coefficients and refit).
std::array<double, 3> fit_energy(const std::vector<Point>& pts) {
  std::array<bool, 3> active{true, true, true};
  std::array<double, 3> x{0, 0, 0};
  // scale columns to comparable magnitudes for a well-conditioned solve
  std::array<double, 3> scale{1e-12, 1e-12, 1};
  for (int round = 0; round < 3; ++round) {
    double a[3][4] = {};
    for (const auto& p : pts) {
      double f[3] = {p.flops * scale[0], p.bytes * scale[1], p.time_s * scale[2]};
      for (int i = 0; i < 3; ++i) {
        if (!active[i]) continue;
        for (int j = 0; j < 3; ++j)
          if (active[j]) a[i][j] += f[i] * f[j];
        a[i][3] += f[i] * p.energy_j;
      }
    }
    for (int i = 0; i < 3; ++i)
      if (!active[i]) a[i][i] = 1, a[i][3] = 0;
    // Gaussian elimination with partial pivoting
    for (int c = 0; c < 3; ++c) {
      int piv = c;
      for (int r = c + 1; r < 3; ++r)
        if (std::abs(a[r][c]) > std::abs(a[piv][c])) piv = r;
      std::swap(a[c], a[piv]);
      if (std::abs(a[c][c]) < 1e-300) throw Error("energy roofline fit is degenerate");
      for (int r = 0; r < 3; ++r) {
        if (r == c) continue;
        double k = a[r][c] / a[c][c];
        for (int k2 = c; k2 < 4; ++k2) a[r][k2] -= k * a[c][k2];
      }
    }
    bool negative = false;
    for (int i = 0; i < 3; ++i) {
      x[i] = a[i][3] / a[i][i];
      if (active[i] && x[i] < 0) active[i] = false, negative = true;
    }
    if (!negative) break;
  }
  for (int i = 0; i < 3; ++i) x[i] = active[i] ? std::max(0.0, x[i]) * scale[i] : 0;
  return x;
}

}  // namespace

ModeRoofline calibrate_mode(device::Backend& backend, const device::PowerMode& mode, const CalibrationOptions& o) {
  if (o.batch_sizes.size() < 2 || o.batch_sizes.front() >= o.batch_sizes.back())
    throw UsageError("roofline calibration needs two increasing batch sizes");
  ModeRoofline r = nominal_roofline(backend.spec(), mode);
  backend.apply(mode);
  int b1 = o.batch_sizes.front(), b2 = o.batch_sizes.back();
  std::vector<Point> pts;
  auto slope = [&](double ai, double& overhead_s) {
    Point p1 = measure(backend, ai, b1, o), p2 = measure(backend, ai, b2, o);
    pts.push_back(p1);
    pts.push_back(p2);
    double dt = p2.time_s - p1.time_s;
    if (!(dt > 0))
      throw Error("{}: micro-benchmark time did not grow with its size at {} (ert:{})", backend.name(), mode.key(),
                  util::format_number(ai));
    overhead_s = std::max(0.0, p1.time_s - dt / (b2 - b1) * b1);
    return std::pair{(p2.flops - p1.flops) / dt, (p2.bytes - p1.bytes) / dt};
  };
  double ovh_low = 0, ovh_high = 0, ovh_mid = 0;
  r.bandwidth_gbps = slope(o.low_ai, ovh_low).second / 1e9;
  r.peak_gflops = slope(o.high_ai, ovh_high).first / 1e9;
  slope(o.mid_ai, ovh_mid);  // energy-fit points only
  r.overhead_ms = (ovh_low + ovh_high) / 2 * 1000;
  auto e = fit_energy(pts);
  r.eps_flop_pj = e[0] * 1e12;
  r.eps_byte_pj = e[1] * 1e12;
  r.pi0_w = e[2];
  double sq = 0;
  for (const auto& p : pts) {
    double rel = (r.energy_j(p.flops, p.bytes, p.time_s) - p.energy_j) / p.energy_j;
    sq += rel * rel;
  }
  r.energy_fit_rmse = std::sqrt(sq / pts.size());
  std::vector<double> idle;
  for (const auto& p : pts) idle.insert(idle.end(), p.idle_w.begin(), p.idle_w.end());
  r.idle_w = idle.size() >= 3 ? std::min(profile::median(idle), r.pi0_w) : 0;
  r.calibrated = true;
  return r;
}

std::vector<ModeRoofline> calibrate_modes(device::Backend& backend, const std::vector<device::PowerMode>& modes,
                                          const CalibrationOptions& options,
                                          const std::function<void(size_t, size_t)>& progress) {
  std::vector<ModeRoofline> out;
  out.reserve(modes.size());
  for (size_t i = 0; i < modes.size(); ++i) {
    out.push_back(calibrate_mode(backend, modes[i], options));
    if (progress) progress(i + 1, modes.size());
  }
  return out;
}

nlohmann::json rooflines_to_json(const std::vector<ModeRoofline>& rs) {
  nlohmann::json modes = nlohmann::json::array();
  for (const auto& r : rs) {
    nlohmann::json j = device::mode_to_json(r.mode);
    j.update({{"nominal_gflops", r.nominal_gflops}, {"nominal_gbps", r.nominal_gbps}, {"peak_gflops", r.peak_gflops},
              {"bandwidth_gbps", r.bandwidth_gbps}, {"ridge_flop_per_byte", r.ridge_flop_per_byte()},
              {"overhead_ms", r.overhead_ms}, {"eps_flop_pj", r.eps_flop_pj}, {"eps_byte_pj", r.eps_byte_pj},
              {"pi0_w", r.pi0_w}, {"idle_w", r.idle_w}, {"energy_fit_rmse", r.energy_fit_rmse},
              {"calibrated", r.calibrated}});
    modes.push_back(j);
  }
  return modes;
}

std::vector<ModeRoofline> rooflines_from_json(const nlohmann::json& j, const std::string& source) {
  const nlohmann::json& modes = j.is_object() && j.contains("modes") ? j.at("modes") : j;
  if (!modes.is_array()) throw Error("{}: expected a JSON array of modes (or an object with \"modes\")", source);
  std::vector<ModeRoofline> out;
  for (size_t i = 0; i < modes.size(); ++i) {
    const auto& m = modes[i];
    auto num = [&](const char* key, double fallback, bool required) {
      if (!m.contains(key)) {
        if (required) throw Error("{}: modes[{}]: missing \"{}\"", source, i, key);
        return fallback;
      }
      if (!m.at(key).is_number()) throw Error("{}: modes[{}]: \"{}\" must be a number", source, i, key);
      return m.at(key).get<double>();
    };
    ModeRoofline r;
    r.mode = {static_cast<int>(num("cores", 0, true)), num("cpu_mhz", 0, true), num("gpu_mhz", 0, true),
              num("emc_mhz", 0, true)};
    r.peak_gflops = num("peak_gflops", 0, true);
    r.bandwidth_gbps = num("bandwidth_gbps", 0, true);
    if (!(r.peak_gflops > 0) || !(r.bandwidth_gbps > 0))
      throw Error("{}: modes[{}]: peak_gflops and bandwidth_gbps must be > 0", source, i);
    r.nominal_gflops = num("nominal_gflops", r.peak_gflops, false);
    r.nominal_gbps = num("nominal_gbps", r.bandwidth_gbps, false);
    r.overhead_ms = num("overhead_ms", 0, false);
    r.eps_flop_pj = num("eps_flop_pj", 0, false);
    r.eps_byte_pj = num("eps_byte_pj", 0, false);
    r.pi0_w = num("pi0_w", 0, false);
    r.idle_w = num("idle_w", 0, false);
    r.energy_fit_rmse = num("energy_fit_rmse", 0, false);
    r.calibrated = m.value("calibrated", true);
    out.push_back(r);
  }
  return out;
}

}  // namespace modewise::roofline
