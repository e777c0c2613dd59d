#include "modewise/roofline/predict.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include "modewise/device/power_mode.h"
#include "modewise/profile/warmup.h"
#include "modewise/util/error.h"

namespace modewise::roofline {

ModelCalibration default_calibration(const ModelAnalysis& a) {
  ModelCalibration c;
  c.host_mcycles = a.kernels() * kDefaultHostKcyclesPerKernel / 1000.0;
  return c;
}

Prediction predict(const ModeRoofline& r, const ModelAnalysis& a, const ModelCalibration& c) {
  Prediction p;
  p.mode = r.mode;
  double roof_s = 0, memory_s = 0;
  for (const auto& l : a.layers) {
    if (!l.is_kernel()) continue;
    double t = r.time_s(l.flops, l.bytes());
    roof_s += t;
    if (l.arithmetic_intensity() < r.ridge_flop_per_byte()) memory_s += t;
  }
  p.roofline_ms = roof_s * 1000;
  p.memory_bound_share = roof_s > 0 ? memory_s / roof_s : 0;
  p.gpu_ms = c.gpu_scale * p.roofline_ms;
  p.host_ms = r.mode.cpu_mhz > 0 ? c.host_mcycles * 1000.0 / r.mode.cpu_mhz : 0;
  p.time_ms = std::max(p.gpu_ms, p.host_ms) + c.overlap * std::min(p.gpu_ms, p.host_ms);
  p.energy_j = c.energy_scale * r.energy_j(a.flops, a.bytes(), p.time_ms / 1000);
  p.power_w = p.time_ms > 0 ? p.energy_j / (p.time_ms / 1000) : 0;
  return p;
}

std::vector<size_t> anchor_modes(const std::vector<device::PowerMode>& modes) {
  if (modes.empty()) return {};
  std::set<double> cpus, gpus, emcs;
  int cores = 0;
  for (const auto& m : modes) cpus.insert(m.cpu_mhz), gpus.insert(m.gpu_mhz), emcs.insert(m.emc_mhz),
                              cores = std::max(cores, m.cores);
  auto nth = [](const std::set<double>& s, size_t i) { return *std::next(s.begin(), static_cast<long>(i)); };
  device::PowerMode top{cores, *cpus.rbegin(), *gpus.rbegin(), *emcs.rbegin()};
  std::vector<device::PowerMode> wanted{top};
  auto vary = [&](const std::set<double>& s, double device::PowerMode::*field) {
    for (size_t i : {size_t{0}, s.size() / 2}) {
      device::PowerMode m = top;
      m.*field = nth(s, i);
      wanted.push_back(m);
    }
  };
  vary(cpus, &device::PowerMode::cpu_mhz);
  vary(gpus, &device::PowerMode::gpu_mhz);
  vary(emcs, &device::PowerMode::emc_mhz);
  std::vector<size_t> out;
  for (const auto& w : wanted)
    for (size_t i = 0; i < modes.size(); ++i)
      if (modes[i] == w && std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
  if (out.empty()) out.push_back(0);
  return out;
}

Measured measure_inference(device::Backend& backend, const device::WorkloadRequest& workload,
                           const device::PowerMode& mode, int minibatches, int window) {
  backend.apply(mode);
  device::WorkloadRequest req = workload;
  req.task = "infer";
  profile::RunSummary s = profile::summarize_run(backend.run(req, minibatches), window);
  if (!(s.time_ms > 0) || !(s.power_w > 0))
    throw Error("{}: no usable time/power for {} at {}", backend.name(), req.workload, mode.key());
  return {mode, s.time_ms, s.power_w, s.time_ms / 1000 * s.power_w};
}

namespace {

// Nelder-Mead minimisation of f over 3 parameters.
template <typename F>
std::array<double, 3> nelder_mead(F f, std::array<double, 3> x0, std::array<double, 3> step, int iterations) {
  std::array<std::array<double, 3>, 4> s;
  std::array<double, 4> v;
  for (int i = 0; i < 4; ++i) {
    s[i] = x0;
    if (i > 0) s[i][i - 1] += step[i - 1];
    v[i] = f(s[i]);
  }
  for (int it = 0; it < iterations; ++it) {
    std::array<int, 4> order{0, 1, 2, 3};
    std::sort(order.begin(), order.end(), [&](int a, int b) { return v[a] < v[b]; });
    auto best = order[0], worst = order[3], second = order[2];
    std::array<double, 3> c{0, 0, 0};
    for (int i : {order[0], order[1], order[2]})
      for (int d = 0; d < 3; ++d) c[d] += s[i][d] / 3;
    auto along = [&](double t) {
      std::array<double, 3> p;
      for (int d = 0; d < 3; ++d) p[d] = c[d] + t * (s[worst][d] - c[d]);
      return p;
    };
    auto xr = along(-1);
    double fr = f(xr);
    if (fr < v[best]) {
      auto xe = along(-2);
      double fe = f(xe);
      if (fe < fr) s[worst] = xe, v[worst] = fe;
      else s[worst] = xr, v[worst] = fr;
    } else if (fr < v[second]) {
      s[worst] = xr, v[worst] = fr;
    } else {
      auto xc = along(0.5);
      double fc = f(xc);
      if (fc < v[worst]) {
        s[worst] = xc, v[worst] = fc;
      } else {
        for (int i = 0; i < 4; ++i) {
          if (i == best) continue;
          for (int d = 0; d < 3; ++d) s[i][d] = s[best][d] + 0.5 * (s[i][d] - s[best][d]);
          v[i] = f(s[i]);
        }
      }
    }
  }
  int best = static_cast<int>(std::min_element(v.begin(), v.end()) - v.begin());
  return s[best];
}

}  // namespace

ModelCalibration fit_model_calibration(const ModelAnalysis& a, const std::vector<ModeRoofline>& rooflines,
                                       const std::vector<Measured>& anchors) {
  std::vector<std::pair<const ModeRoofline*, const Measured*>> pairs;
  for (const auto& m : anchors)
    for (const auto& r : rooflines)
      if (r.mode == m.mode) pairs.push_back({&r, &m});
  if (pairs.empty()) throw Error("no anchor measurement matches a calibrated mode");
  ModelCalibration base = default_calibration(a);
  auto unpack = [&](const std::array<double, 3>& x) {
    ModelCalibration c = base;
    c.gpu_scale = std::exp(x[0]);
    c.host_mcycles = std::exp(x[1]);
    c.overlap = std::clamp(x[2], 0.0, 1.0);
    return c;
  };
  auto time_err = [&](const std::array<double, 3>& x) {
    ModelCalibration c = unpack(x);
    double sq = 0;
    for (const auto& [r, m] : pairs) {
      double e = std::log(predict(*r, a, c).time_ms / m->time_ms);
      sq += e * e;
    }
    double penalty = x[2] < 0 ? -x[2] : (x[2] > 1 ? x[2] - 1 : 0);
    return sq + penalty * penalty;
  };
  std::array<double, 3> x{0.0, std::log(std::max(1e-3, base.host_mcycles)), base.overlap};
  // a few restarts from the best point so far (Nelder-Mead can stall on the max() kink)
  for (int restart = 0; restart < 4; ++restart) x = nelder_mead(time_err, x, {0.5, 0.5, 0.2}, 300);
  ModelCalibration c = unpack(x);
  c.anchors = static_cast<int>(pairs.size());
  c.time_fit_rmse = std::sqrt(time_err(x) / pairs.size());
  // energy: one multiplier, least squares on the relative error
  double num = 0, den = 0;
  for (const auto& [r, m] : pairs) {
    double q = predict(*r, a, c).energy_j / m->energy_j;
    num += q;
    den += q * q;
  }
  c.energy_scale = den > 0 ? num / den : 1.0;
  double sq = 0;
  for (const auto& [r, m] : pairs) {
    double e = predict(*r, a, c).energy_j / m->energy_j - 1;
    sq += e * e;
  }
  c.energy_fit_rmse = std::sqrt(sq / pairs.size());
  return c;
}

double TuneResult::predicted_saving() const {
  if (maxn >= predictions.size()) return std::nan("");
  return 1 - predictions[chosen].energy_j / predictions[maxn].energy_j;
}

TuneResult tune_inference(const std::vector<ModeRoofline>& rooflines, const ModelAnalysis& a,
                          const ModelCalibration& c, double max_slowdown, const device::PowerMode& maxn) {
  if (!(max_slowdown >= 0)) throw UsageError("--max-slowdown must be >= 0 (got {})", max_slowdown);
  if (rooflines.empty()) throw Error("no power modes to choose from");
  TuneResult t;
  t.max_slowdown = max_slowdown;
  for (size_t i = 0; i < rooflines.size(); ++i) {
    t.predictions.push_back(predict(rooflines[i], a, c));
    if (rooflines[i].mode == maxn) t.maxn = i;
  }
  for (size_t i = 0; i < t.predictions.size(); ++i)
    if (t.predictions[i].time_ms < t.predictions[t.fastest].time_ms) t.fastest = i;
  double limit = t.predictions[t.fastest].time_ms * (1 + max_slowdown);
  t.chosen = t.fastest;
  for (size_t i = 0; i < t.predictions.size(); ++i)
    if (t.predictions[i].time_ms <= limit && t.predictions[i].energy_j < t.predictions[t.chosen].energy_j)
      t.chosen = i;
  return t;
}

size_t best_measured(const std::vector<Measured>& measured, double max_slowdown) {
  if (measured.empty()) throw Error("no measurements");
  size_t fastest = 0;
  for (size_t i = 0; i < measured.size(); ++i)
    if (measured[i].time_ms < measured[fastest].time_ms) fastest = i;
  double limit = measured[fastest].time_ms * (1 + max_slowdown);
  size_t best = fastest;
  for (size_t i = 0; i < measured.size(); ++i)
    if (measured[i].time_ms <= limit && measured[i].energy_j < measured[best].energy_j) best = i;
  return best;
}

}  // namespace modewise::roofline
