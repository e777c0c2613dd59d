#include "modewise/roofline/predict.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
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

namespace {

double idle_of(const ModeRoofline& r) { return r.idle_w > 0 ? r.idle_w : r.pi0_w; }

// Time roofline terms of every kernel layer at a mode: compute time and memory time, seconds.
struct LayerTimes {
  std::vector<double> compute_s, memory_s;
};
LayerTimes layer_times(const ModeRoofline& r, const ModelAnalysis& a) {
  LayerTimes t;
  for (const auto& l : a.layers) {
    if (!l.is_kernel()) continue;
    t.compute_s.push_back(l.flops / (r.peak_gflops * 1e9));
    t.memory_s.push_back(l.bytes() / (r.bandwidth_gbps * 1e9));
  }
  return t;
}

double gpu_seconds(const LayerTimes& t, double compute_scale, double memory_scale) {
  double s = 0;
  for (size_t i = 0; i < t.compute_s.size(); ++i)
    s += std::max(compute_scale * t.compute_s[i], memory_scale * t.memory_s[i]);
  return s;
}

}  // namespace

Prediction predict(const ModeRoofline& r, const ModelAnalysis& a, const ModelCalibration& c) {
  Prediction p;
  p.mode = r.mode;
  LayerTimes lt = layer_times(r, a);
  double roof_s = gpu_seconds(lt, 1, 1), memory_s = 0;
  for (size_t i = 0; i < lt.compute_s.size(); ++i)
    if (lt.memory_s[i] > lt.compute_s[i]) memory_s += lt.memory_s[i];
  p.roofline_ms = roof_s * 1000;
  p.memory_bound_share = roof_s > 0 ? memory_s / roof_s : 0;
  p.gpu_ms = gpu_seconds(lt, c.compute_scale, c.memory_scale) * 1000;
  p.host_ms = r.mode.cpu_mhz > 0 ? c.host_mcycles * 1000.0 / r.mode.cpu_mhz : 0;
  p.time_ms = std::max(p.gpu_ms, p.host_ms) + c.overlap * std::min(p.gpu_ms, p.host_ms);
  double t_s = p.time_ms / 1000, idle = idle_of(r);
  double dynamic_j = r.eps_flop_pj * 1e-12 * a.flops + r.eps_byte_pj * 1e-12 * a.bytes() +
                     std::max(0.0, r.pi0_w - idle) * std::min(p.gpu_ms, p.time_ms) / 1000;
  double ghz = r.mode.cpu_mhz / 1000;
  p.energy_j = idle * t_s + c.dynamic_scale * dynamic_j + c.host_w_per_ghz2 * ghz * ghz * p.host_ms / 1000;
  p.power_w = t_s > 0 ? p.energy_j / t_s : 0;
  return p;
}

std::vector<size_t> anchor_modes(const std::vector<device::PowerMode>& modes) {
  if (modes.empty()) return {};
  std::set<double> cpus, gpus, emcs;
  int cores = 0, fewest = modes.front().cores;
  for (const auto& m : modes) cpus.insert(m.cpu_mhz), gpus.insert(m.gpu_mhz), emcs.insert(m.emc_mhz),
                              cores = std::max(cores, m.cores), fewest = std::min(fewest, m.cores);
  auto nth = [](const std::set<double>& s, size_t i) { return *std::next(s.begin(), static_cast<long>(i)); };
  device::PowerMode top{cores, *cpus.rbegin(), *gpus.rbegin(), *emcs.rbegin()};
  std::vector<device::PowerMode> wanted{top};
  auto vary = [&](const std::set<double>& s, double device::PowerMode::*field) {
    for (size_t i : {size_t{0}, s.size() / 2, s.size() >= 3 ? s.size() - 3 : 0, s.size() >= 2 ? s.size() - 2 : 0}) {
      device::PowerMode m = top;
      m.*field = nth(s, i);
      wanted.push_back(m);
    }
  };
  vary(cpus, &device::PowerMode::cpu_mhz);
  vary(gpus, &device::PowerMode::gpu_mhz);
  vary(emcs, &device::PowerMode::emc_mhz);
  wanted.push_back({fewest, top.cpu_mhz, top.gpu_mhz, top.emc_mhz});
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
  double se = s.samples > 1 && s.time_sd_ms >= 0 ? s.time_sd_ms / s.time_ms / std::sqrt(double(s.samples)) : 0;
  return {mode, s.time_ms, s.power_w, s.time_ms / 1000 * s.power_w, se};
}

namespace {

// Nelder-Mead minimisation of f over N parameters.
template <size_t N, typename F>
std::array<double, N> nelder_mead(F f, std::array<double, N> x0, std::array<double, N> step, int iterations) {
  using P = std::array<double, N>;
  std::array<P, N + 1> s;
  std::array<double, N + 1> v;
  for (size_t i = 0; i <= N; ++i) {
    s[i] = x0;
    if (i > 0) s[i][i - 1] += step[i - 1];
    v[i] = f(s[i]);
  }
  for (int it = 0; it < iterations; ++it) {
    std::array<size_t, N + 1> order;
    for (size_t i = 0; i <= N; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    size_t best = order[0], worst = order[N], second = order[N - 1];
    P c{};
    for (size_t k = 0; k < N; ++k)
      for (size_t d = 0; d < N; ++d) c[d] += s[order[k]][d] / N;
    auto along = [&](double t) {
      P p;
      for (size_t d = 0; d < N; ++d) p[d] = c[d] + t * (s[worst][d] - c[d]);
      return p;
    };
    P xr = along(-1);
    double fr = f(xr);
    if (fr < v[best]) {
      P xe = along(-2);
      double fe = f(xe);
      if (fe < fr) s[worst] = xe, v[worst] = fe;
      else s[worst] = xr, v[worst] = fr;
    } else if (fr < v[second]) {
      s[worst] = xr, v[worst] = fr;
    } else {
      P xc = along(0.5);
      double fc = f(xc);
      if (fc < v[worst]) {
        s[worst] = xc, v[worst] = fc;
      } else {
        for (size_t i = 0; i <= N; ++i) {
          if (i == best) continue;
          for (size_t d = 0; d < N; ++d) s[i][d] = s[best][d] + 0.5 * (s[i][d] - s[best][d]);
          v[i] = f(s[i]);
        }
      }
    }
  }
  size_t best = static_cast<size_t>(std::min_element(v.begin(), v.end()) - v.begin());
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
  // the layers' roofline terms at each anchor do not depend on the parameters: compute them once
  std::vector<LayerTimes> times;
  std::vector<double> cpu_mhz, meas_ms;
  for (const auto& [r, m] : pairs) {
    times.push_back(layer_times(*r, a));
    cpu_mhz.push_back(r->mode.cpu_mhz);
    meas_ms.push_back(m->time_ms);
  }
  auto time_err = [&](const std::array<double, 3>& x, double overlap) {
    double sq = 0;
    for (size_t i = 0; i < pairs.size(); ++i) {
      double gpu = 1000 * gpu_seconds(times[i], std::exp(x[0]), std::exp(x[1]));
      double host = std::exp(x[2]) * 1000.0 / cpu_mhz[i];
      double e = std::log((std::max(gpu, host) + overlap * std::min(gpu, host)) / meas_ms[i]);
      sq += e * e;
    }
    return sq;
  };
  // overlap on a grid (the objective has kinks in it); the scales and the host work by Nelder-Mead for each
  double best_err = std::numeric_limits<double>::infinity();
  std::array<double, 3> best_x{0, 0, 0};
  double best_overlap = base.overlap;
  for (int k = 0; k <= 20; ++k) {
    double overlap = k / 20.0;
    std::array<double, 3> x{0.0, 0.0, std::log(std::max(1e-3, base.host_mcycles))};
    auto f = [&](const std::array<double, 3>& p) { return time_err(p, overlap); };
    for (int restart = 0; restart < 3; ++restart) x = nelder_mead<3>(f, x, {0.7, 0.7, 0.7}, 250);
    double e = f(x);
    if (e < best_err) best_err = e, best_x = x, best_overlap = overlap;
  }
  ModelCalibration c = base;
  c.compute_scale = std::exp(best_x[0]);
  c.memory_scale = std::exp(best_x[1]);
  c.host_mcycles = std::exp(best_x[2]);
  c.overlap = best_overlap;
  c.anchors = static_cast<int>(pairs.size());
  c.time_fit_rmse = std::sqrt(best_err / pairs.size());

  // energy: E = idle*T + k_dyn * dynamic + k_host * f^2 * host_time, least squares on relative errors, k >= 0
  double s11 = 0, s12 = 0, s22 = 0, b1 = 0, b2 = 0;
  for (const auto& [r, m] : pairs) {
    ModelCalibration probe = c;
    probe.dynamic_scale = 1, probe.host_w_per_ghz2 = 0;
    Prediction p = predict(*r, a, probe);
    double idle_j = idle_of(*r) * p.time_ms / 1000;
    double x1 = (p.energy_j - idle_j) / m->energy_j;
    double ghz = r->mode.cpu_mhz / 1000;
    double x2 = ghz * ghz * p.host_ms / 1000 / m->energy_j;
    double y = (m->energy_j - idle_j) / m->energy_j;
    s11 += x1 * x1, s12 += x1 * x2, s22 += x2 * x2, b1 += x1 * y, b2 += x2 * y;
  }
  double det = s11 * s22 - s12 * s12;
  double k1 = det > 1e-30 ? (b1 * s22 - b2 * s12) / det : (s11 > 0 ? b1 / s11 : 1);
  double k2 = det > 1e-30 ? (s11 * b2 - s12 * b1) / det : 0;
  if (k2 < 0) k2 = 0, k1 = s11 > 0 ? b1 / s11 : 1;
  if (k1 < 0) k1 = 0, k2 = s22 > 0 ? std::max(0.0, b2 / s22) : 0;
  c.dynamic_scale = k1;
  c.host_w_per_ghz2 = k2;
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
  // guard band: the model's own time error at the anchors is taken off the allowed slowdown
  t.guard_band = std::min(max_slowdown, c.time_fit_rmse);
  double limit = t.predictions[t.fastest].time_ms * (1 + max_slowdown - t.guard_band);
  t.chosen = t.fastest;
  for (size_t i = 0; i < t.predictions.size(); ++i)
    if (t.predictions[i].time_ms <= limit && t.predictions[i].energy_j < t.predictions[t.chosen].energy_j)
      t.chosen = i;
  return t;
}

size_t confirm_by_measurement(TuneResult& t, device::Backend& backend,
                                             const device::WorkloadRequest& workload,
                                             const std::vector<Measured>& known, const ConfirmOptions& o) {
  const auto& p = t.predictions;
  if (p.empty()) throw Error("no power modes to choose from");
  std::vector<size_t> order(p.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<size_t> wanted;
  auto want = [&](size_t i) {
    if (std::find(wanted.begin(), wanted.end(), i) == wanted.end()) wanted.push_back(i);
  };
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a].time_ms < p[b].time_ms; });
  for (size_t k = 0; k < order.size() && k < static_cast<size_t>(std::max(0, o.fastest_count)); ++k) want(order[k]);
  const double slack = std::max(t.guard_band, o.min_slack);
  const double limit = p[t.fastest].time_ms * (1 + t.max_slowdown + slack);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a].energy_j < p[b].energy_j; });
  want(t.chosen);
  int taken = 0;
  for (size_t i : order) {
    if (taken >= o.candidate_count) break;
    if (p[i].time_ms > limit) continue;
    want(i);
    ++taken;
  }
  // every wanted mode is measured afresh with a long run, anchors included: a short anchor run is too noisy to
  // be the slowdown reference
  t.confirmed.clear();
  for (size_t i : wanted)
    t.confirmed.push_back(measure_inference(backend, workload, p[i].mode, o.minibatches, o.minibatches - 10));
  size_t distinct = known.size();
  for (const auto& m : t.confirmed)
    distinct += std::none_of(known.begin(), known.end(), [&](const Measured& k) { return k.mode == m.mode; });
  const size_t best = best_measured(t.confirmed, t.max_slowdown, o.z);
  t.measured_reference_ms = std::min_element(t.confirmed.begin(), t.confirmed.end(), [](const auto& x, const auto& y) {
                              return x.time_ms < y.time_ms;
                            })->time_ms;
  t.chosen = wanted[best];
  return distinct;
}

size_t best_measured(const std::vector<Measured>& measured, double max_slowdown, double z) {
  if (measured.empty()) throw Error("no measurements");
  size_t fastest = 0;
  for (size_t i = 0; i < measured.size(); ++i)
    if (measured[i].time_ms < measured[fastest].time_ms) fastest = i;
  const double ref_se = measured[fastest].time_rel_se;
  size_t best = fastest;
  for (size_t i = 0; i < measured.size(); ++i) {
    const double se = std::sqrt(measured[i].time_rel_se * measured[i].time_rel_se + ref_se * ref_se);
    if (measured[i].time_ms <= measured[fastest].time_ms * (1 + max_slowdown - z * se) &&
        measured[i].energy_j < measured[best].energy_j)
      best = i;
  }
  return best;
}

}  // namespace modewise::roofline
