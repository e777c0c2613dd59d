// The bottleneck prior (include/modewise/predict/bottleneck.h): the parametric time model and its
// Levenberg-Marquardt fit, the power bases and their NNLS fit, and the StructuredTarget (prior + gp) with JSON.
#include "modewise/predict/bottleneck.h"

#include <algorithm>
#include <cmath>

#include <Eigen/Cholesky>
#include <Eigen/QR>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "modewise/util/error.h"
#include "predict/json_util.h"

namespace modewise::predict {

namespace {
enum { kLaunch, kCompute, kMemory, kKernel, kFixed, kRho, kLoader, kCompute2, kMemory2 };
double ghz(double mhz) { return std::max(mhz, 1e-3) / 1000.0; }
double usable_workers(int workers, int cores) {
  return std::max(1.0, static_cast<double>(std::min(std::max(workers, 1), std::max(cores - 1, 1))));
}
}  // namespace

std::vector<std::string> BottleneckTime::param_names() {
  return {"log_launch", "log_compute", "log_memory",  "log_kernel",  "log_fixed",
          "logit_overlap", "log_loader", "log_compute2", "log_memory2"};
}

BottleneckTime::Parts BottleneckTime::parts(const device::PowerMode& m) const {
  const double fc = ghz(m.cpu_mhz), fg = ghz(m.gpu_mhz), fe = ghz(m.emc_mhz);
  Parts r{};
  r.usable_workers = usable_workers(workers, m.cores);
  r.launch_ms = std::exp(p[kLaunch]) / fc;
  r.gpu_ms = std::max(std::exp(p[kCompute]) / fg, std::exp(p[kMemory]) / fe) +
             std::max(std::exp(p[kCompute2]) / fg, std::exp(p[kMemory2]) / fe) + std::exp(p[kKernel]) / fg +
             std::exp(p[kFixed]);
  const double rho = 1.0 / (1.0 + std::exp(-p[kRho]));
  const double step = std::max(r.launch_ms, r.gpu_ms) + rho * std::min(r.launch_ms, r.gpu_ms);
  r.loader_ms = std::exp(p[kLoader]) / (fc * r.usable_workers);
  r.time_ms = std::max(step, r.loader_ms);
  return r;
}

Eigen::VectorXd BottleneckTime::predict_log(const std::vector<device::PowerMode>& modes) const {
  Eigen::VectorXd out(static_cast<Eigen::Index>(modes.size()));
  for (size_t i = 0; i < modes.size(); ++i) out(static_cast<Eigen::Index>(i)) = std::log(parts(modes[i]).time_ms);
  return out;
}

namespace {
// Multi-start Levenberg-Marquardt on the squared log error; the starts as parameter vectors. Rows with weight 0
// do not count (leave-one-out). Returns the best fit and its cost.
BottleneckTime fit_lm(const std::vector<device::PowerMode>& modes, const Eigen::VectorXd& log_time, int workers,
                      const std::vector<std::array<double, BottleneckTime::kParams>>& starts,
                      const Eigen::VectorXd& weight, double* best_cost) {
  const Eigen::Index n = log_time.size();
  constexpr int kParams = BottleneckTime::kParams;
  BottleneckTime model;
  model.workers = workers;
  auto residuals = [&](const BottleneckTime& b) {
    Eigen::VectorXd r = (b.predict_log(modes) - log_time).cwiseProduct(weight);
    return r;
  };
  double best = INFINITY;
  for (const auto& s : starts) {
    BottleneckTime b;
    b.workers = workers;
    b.p = s;
    Eigen::VectorXd r = residuals(b);
    double cost = r.squaredNorm(), lambda = 1e-2;
    for (int it = 0; it < 100 && lambda < 1e8; ++it) {
      Eigen::MatrixXd jac(n, kParams);
      for (int k = 0; k < kParams; ++k) {
        BottleneckTime q = b;
        q.p[static_cast<size_t>(k)] += 1e-6;
        jac.col(k) = (residuals(q) - r) / 1e-6;
      }
      Eigen::MatrixXd a = jac.transpose() * jac;
      Eigen::VectorXd g = jac.transpose() * r;
      bool improved = false;
      while (lambda < 1e8) {
        Eigen::MatrixXd al = a;
        al.diagonal().array() += lambda * (a.diagonal().array() + 1e-9);
        Eigen::VectorXd step = al.ldlt().solve(-g);
        BottleneckTime q = b;
        for (int k = 0; k < kParams; ++k)
          q.p[static_cast<size_t>(k)] = std::clamp(q.p[static_cast<size_t>(k)] + step(k), -40.0, 40.0);
        Eigen::VectorXd rq = residuals(q);
        double cq = rq.squaredNorm();
        if (std::isfinite(cq) && cq < cost) {
          const double gain = cost - cq;
          b = q;
          r = rq;
          cost = cq;
          lambda = std::max(lambda / 3, 1e-9);
          improved = gain > 1e-12 * (1 + cost);
          break;
        }
        lambda *= 4;
      }
      if (!improved) break;
    }
    if (cost < best) {
      best = cost;
      model = b;
    }
  }
  if (best_cost) *best_cost = best;
  return model;
}

// The fixed starts: component k takes share_k of the median time at the median clocks.
std::vector<std::array<double, BottleneckTime::kParams>> fixed_starts(const std::vector<device::PowerMode>& modes,
                                                                      const Eigen::VectorXd& log_time, int workers) {
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  std::vector<double> vc, vg, ve, vu, vt;
  for (size_t i = 0; i < modes.size(); ++i) {
    vc.push_back(ghz(modes[i].cpu_mhz));
    vg.push_back(ghz(modes[i].gpu_mhz));
    ve.push_back(ghz(modes[i].emc_mhz));
    vu.push_back(usable_workers(workers, modes[i].cores));
    vt.push_back(log_time(static_cast<Eigen::Index>(i)));
  }
  const double fc = median(vc), fg = median(vg), fe = median(ve), fu = median(vu), t = std::exp(median(vt));
  // shares: launch, compute, memory, kernel, fixed, overlap, loader, compute 2, memory 2
  const std::vector<std::array<double, 9>> shares{
      {0.5, 0.4, 0.2, 0.1, 0.05, 0.3, 0.2, 0.1, 0.3}, {0.9, 0.2, 0.1, 0.1, 0.05, 0.3, 0.1, 0.1, 0.1},
      {0.2, 0.8, 0.2, 0.1, 0.05, 0.3, 0.1, 0.1, 0.3}, {0.2, 0.2, 0.8, 0.1, 0.05, 0.3, 0.1, 0.3, 0.1},
      {0.3, 0.3, 0.1, 0.1, 0.05, 0.3, 0.9, 0.1, 0.1}, {0.6, 0.6, 0.3, 0.2, 0.1, 0.1, 0.3, 0.2, 0.4},
      {0.9, 0.5, 0.2, 0.3, 0.1, 0.6, 0.5, 0.2, 0.2}, {0.1, 0.3, 0.2, 0.5, 0.3, 0.3, 0.1, 0.2, 0.4}};
  std::vector<std::array<double, BottleneckTime::kParams>> out;
  for (const auto& s : shares)
    out.push_back({std::log(s[0] * t * fc), std::log(s[1] * t * fg), std::log(s[2] * t * fe), std::log(s[3] * t * fg),
                   std::log(s[4] * t), std::log(s[5] / (1 - s[5])), std::log(s[6] * t * fc * fu),
                   std::log(s[7] * t * fg), std::log(s[8] * t * fe)});
  return out;
}
}  // namespace

BottleneckTime BottleneckTime::fit(const std::vector<device::PowerMode>& modes, const Eigen::VectorXd& log_time,
                                   int workers, double* rms_log) {
  MW_CHECK(!modes.empty() && log_time.size() == static_cast<Eigen::Index>(modes.size()));
  double best = 0;
  BottleneckTime model = fit_lm(modes, log_time, workers, fixed_starts(modes, log_time, workers),
                                Eigen::VectorXd::Ones(log_time.size()), &best);
  if (rms_log) *rms_log = std::sqrt(best / static_cast<double>(log_time.size()));
  return model;
}

Eigen::MatrixXd BottleneckTime::loo_predict_log(const std::vector<device::PowerMode>& modes,
                                                const Eigen::VectorXd& log_time, int workers) {
  const Eigen::Index n = log_time.size();
  MW_CHECK(n == static_cast<Eigen::Index>(modes.size()) && n > 1);
  Eigen::MatrixXd out(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    std::vector<device::PowerMode> rest;
    Eigen::VectorXd rest_t(n - 1);
    for (Eigen::Index j = 0; j < n; ++j)
      if (j != i) {
        rest_t(static_cast<Eigen::Index>(rest.size())) = log_time(j);
        rest.push_back(modes[static_cast<size_t>(j)]);
      }
    // The fit of `fit` on the other modes: its starts from their medians, mode i weighted 0.
    Eigen::VectorXd w = Eigen::VectorXd::Ones(n);
    w(i) = 0;
    out.col(i) = fit_lm(modes, log_time, workers, fixed_starts(rest, rest_t, workers), w, nullptr).predict_log(modes);
  }
  return out;
}

// ---- power ----

double Voltage::at(double x) const { return floor + (1.0 - floor) * std::max(0.0, (x - knee) / (1.0 - knee)); }

std::vector<std::string> bottleneck_power_basis_names() {
  return {"static",          "cores_vcpu",      "cores_vcpu2_fcpu", "vgpu",          "vgpu2_fgpu",
          "emc_ghz",         "cpu_busy_dynamic", "gpu_busy_dynamic", "gpu_per_minibatch", "per_minibatch"};
}

Eigen::MatrixXd bottleneck_power_bases(const BottleneckTime& t, const PowerShape& shape,
                                       const device::DeviceSpec& spec, const std::vector<device::PowerMode>& modes,
                                       const Eigen::VectorXd& log_time) {
  const Eigen::Index n = static_cast<Eigen::Index>(modes.size());
  MW_CHECK(log_time.size() == n);
  Eigen::MatrixXd b(static_cast<Eigen::Index>(kPowerBases), n);
  const double top_cpu = spec.cpu_mhz.empty() ? 1 : ghz(spec.cpu_mhz.back());
  const double top_gpu = spec.gpu_mhz.empty() ? 1 : ghz(spec.gpu_mhz.back());
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& m = modes[static_cast<size_t>(i)];
    const double xc = ghz(m.cpu_mhz) / top_cpu, xg = ghz(m.gpu_mhz) / top_gpu, fe = ghz(m.emc_mhz);
    const double vc = shape.cpu.at(xc), vg = shape.gpu.at(xg);
    const BottleneckTime::Parts pt = t.parts(m);
    const double time_ms = std::exp(log_time(i));
    const double busy_cores =
        std::min<double>(std::max(m.cores, 1), (pt.launch_ms + pt.loader_ms * pt.usable_workers) / time_ms);
    const double gpu_frac = std::min(1.0, pt.gpu_ms / time_ms);
    b(0, i) = 1;
    b(1, i) = m.cores * vc;
    b(2, i) = m.cores * vc * vc * xc;
    b(3, i) = vg;
    b(4, i) = vg * vg * xg;
    b(5, i) = fe;
    b(6, i) = vc * vc * xc * busy_cores;
    b(7, i) = vg * vg * xg * gpu_frac;
    b(8, i) = 1000.0 * vg * vg / time_ms;
    b(9, i) = 1000.0 / time_ms;
  }
  return b;
}

namespace {
double weighted_sse(const Eigen::MatrixXd& b, const Eigen::VectorXd& c, const Eigen::VectorXd& y) {
  return ((b.transpose() * c - y).cwiseQuotient(y)).squaredNorm();
}
}  // namespace

PowerShape fit_power_shape(const BottleneckTime& t, const device::DeviceSpec& spec,
                           const std::vector<device::PowerMode>& modes, const Eigen::VectorXd& log_time,
                           const Eigen::VectorXd& log_power) {
  const Eigen::VectorXd y = log_power.array().exp().matrix();
  const Eigen::VectorXd w = y.cwiseInverse();
  PowerShape best;
  double best_sse = INFINITY;
  auto try_shape = [&](const PowerShape& s) {
    Eigen::MatrixXd b = bottleneck_power_bases(t, s, spec, modes, log_time);
    Eigen::VectorXd c = nnls(b, y, w);
    double sse = weighted_sse(b, c, y);
    if (sse < best_sse) {
      best_sse = sse;
      best = s;
      best.coef = c;
    }
  };
  const double floors[] = {0.5, 0.6, 0.7, 0.8, 0.9}, knees[] = {0.1, 0.25, 0.4, 0.55, 0.7};
  PowerShape s;
  s.cpu = {0.7, 0.4};
  s.gpu = {0.7, 0.4};
  for (int round = 0; round < 2; ++round) {
    for (int part = 0; part < 2; ++part) {
      for (double f : floors)
        for (double k : knees) {
          PowerShape q = round == 0 && part == 0 ? s : best;
          (part == 0 ? q.cpu : q.gpu) = {f, k};
          try_shape(q);
        }
    }
  }
  best.fit_rms = std::sqrt(best_sse / static_cast<double>(y.size()));
  return best;
}

Eigen::VectorXd nnls(const Eigen::MatrixXd& a_in, const Eigen::VectorXd& y_in, const Eigen::VectorXd& w) {
  const Eigen::Index k = a_in.rows(), n = a_in.cols();
  MW_CHECK(y_in.size() == n && w.size() == n);
  // Weighted, column-scaled problem: min |A c - y| with A = (W a^T) / scale.
  Eigen::MatrixXd a = (a_in.transpose().array().colwise() * w.array()).matrix();
  Eigen::VectorXd y = y_in.cwiseProduct(w);
  Eigen::VectorXd scale(k);
  for (Eigen::Index j = 0; j < k; ++j) {
    scale(j) = std::max(a.col(j).norm(), 1e-12);
    a.col(j) /= scale(j);
  }
  Eigen::VectorXd x = Eigen::VectorXd::Zero(k);
  std::vector<bool> passive(static_cast<size_t>(k), false);
  auto solve_passive = [&]() {
    std::vector<Eigen::Index> idx;
    for (Eigen::Index j = 0; j < k; ++j)
      if (passive[static_cast<size_t>(j)]) idx.push_back(j);
    Eigen::MatrixXd ap(n, static_cast<Eigen::Index>(idx.size()));
    for (size_t c = 0; c < idx.size(); ++c) ap.col(static_cast<Eigen::Index>(c)) = a.col(idx[c]);
    Eigen::VectorXd zp = ap.colPivHouseholderQr().solve(y);
    Eigen::VectorXd z = Eigen::VectorXd::Zero(k);
    for (size_t c = 0; c < idx.size(); ++c) z(idx[c]) = zp(static_cast<Eigen::Index>(c));
    return z;
  };
  for (int outer = 0; outer < 3 * k; ++outer) {
    Eigen::VectorXd grad = a.transpose() * (y - a * x);
    Eigen::Index best = -1;
    double gmax = 1e-10 * (1 + y.norm());
    for (Eigen::Index j = 0; j < k; ++j)
      if (!passive[static_cast<size_t>(j)] && grad(j) > gmax) {
        gmax = grad(j);
        best = j;
      }
    if (best < 0) break;
    passive[static_cast<size_t>(best)] = true;
    for (int inner = 0; inner < 3 * k; ++inner) {
      Eigen::VectorXd z = solve_passive();
      bool feasible = true;
      for (Eigen::Index j = 0; j < k; ++j)
        if (passive[static_cast<size_t>(j)] && z(j) <= 0) feasible = false;
      if (feasible) {
        x = z;
        break;
      }
      double alpha = 1;
      for (Eigen::Index j = 0; j < k; ++j)
        if (passive[static_cast<size_t>(j)] && z(j) <= 0) alpha = std::min(alpha, x(j) / (x(j) - z(j)));
      x += alpha * (z - x);
      for (Eigen::Index j = 0; j < k; ++j)
        if (passive[static_cast<size_t>(j)] && x(j) <= 1e-14) {
          passive[static_cast<size_t>(j)] = false;
          x(j) = 0;
        }
    }
  }
  return x.cwiseQuotient(scale);
}

// ---- structured target ----

StructuredTarget::StructuredTarget(const StructuredTarget& o)
    : TargetModel(o), target(o.target), time_prior(o.time_prior), power(o.power),
      correction(o.correction ? std::make_unique<GpTarget>(*o.correction) : nullptr) {}

Eigen::VectorXd StructuredTarget::prior_log(FeatureCache& fc) const {
  if (target == "time") return time_prior.predict_log(fc.modes());
  Eigen::MatrixXd b = bottleneck_power_bases(time_prior, power.shape, fc.spec(), fc.modes(), fc.signal("time"));
  Eigen::VectorXd p = b.transpose() * power.shape.coef;
  // The fit is positive at the profiled modes; far outside them a floor of 0.1 W keeps the log finite.
  return p.cwiseMax(0.1).array().log().matrix();
}

Eigen::VectorXd StructuredTarget::predict_log(FeatureCache& fc) const {
  fc.set_signal(signal_name(), prior_log(fc));
  return correction->predict_log(fc);
}

bool StructuredTarget::predict_log_sd(FeatureCache& fc, Eigen::VectorXd& sd) const {
  fc.set_signal(signal_name(), prior_log(fc));
  return correction->predict_log_sd(fc, sd);
}

std::vector<std::string> StructuredTarget::signals_used() const {
  std::vector<std::string> out;
  for (const auto& s : correction->signals_used())
    if (s != signal_name()) out.push_back(s);
  if (target == "power")
    if (std::find(out.begin(), out.end(), "time") == out.end()) out.push_back("time");
  return out;
}

nlohmann::json StructuredTarget::to_json() const {
  nlohmann::json params = nlohmann::json::object();
  const auto names = BottleneckTime::param_names();
  for (size_t k = 0; k < names.size(); ++k) params[names[k]] = time_prior.p[k];
  nlohmann::json j{{"kind", kind()},
                   {"target", target},
                   {"workers", time_prior.workers},
                   {"time_prior", params},
                   {"correction", correction->to_json()}};
  if (target == "power") {
    nlohmann::json c = nlohmann::json::object();
    const auto bn = bottleneck_power_basis_names();
    for (size_t k = 0; k < bn.size(); ++k) c[bn[k]] = power.shape.coef(static_cast<Eigen::Index>(k));
    j["power_prior"] = {{"coefficients", c},
                        {"cpu_voltage", {{"floor", power.shape.cpu.floor}, {"knee", power.shape.cpu.knee}}},
                        {"gpu_voltage", {{"floor", power.shape.gpu.floor}, {"knee", power.shape.gpu.knee}}}};
  }
  return j;
}

std::unique_ptr<StructuredTarget> StructuredTarget::from_json(const nlohmann::json& j, const std::string& where) {
  auto t = std::make_unique<StructuredTarget>();
  t->target = detail::text(j, "target", where);
  if (t->target != "time" && t->target != "power")
    throw Error("{}.target: expected \"time\" or \"power\", found \"{}\"", where, t->target);
  t->time_prior.workers = detail::integer(j, "workers", where);
  if (t->time_prior.workers < 1) throw Error("{}.workers: expected a positive integer, found {}", where, t->time_prior.workers);
  const auto& tp = detail::field(j, "time_prior", where);
  const auto names = BottleneckTime::param_names();
  for (size_t k = 0; k < names.size(); ++k) {
    t->time_prior.p[k] = detail::number(tp, names[k], where + ".time_prior");
    // the fit keeps them within [-40, 40] (log milliseconds x GHz); far outside, exp() overflows
    if (!(std::abs(t->time_prior.p[k]) <= 50))
      throw Error("{}.time_prior.{}: expected a number in [-50, 50], found {}", where, names[k], t->time_prior.p[k]);
  }
  if (t->target == "power") {
    const std::string pw = where + ".power_prior";
    const auto& pp = detail::field(j, "power_prior", where);
    const auto& cj = detail::field(pp, "coefficients", pw);
    const auto bn = bottleneck_power_basis_names();
    t->power.shape.coef.resize(static_cast<Eigen::Index>(bn.size()));
    for (size_t k = 0; k < bn.size(); ++k) {
      double c = detail::number(cj, bn[k], pw + ".coefficients");
      if (!(c >= 0) || !std::isfinite(c))
        throw Error("{}.coefficients.{}: expected a non-negative number, found {}", pw, bn[k], c);
      t->power.shape.coef(static_cast<Eigen::Index>(k)) = c;
    }
    for (const char* part : {"cpu_voltage", "gpu_voltage"}) {
      const std::string vw = pw + "." + part;
      const auto& vj = detail::field(pp, part, pw);
      Voltage v{detail::number(vj, "floor", vw), detail::number(vj, "knee", vw)};
      if (!(v.floor > 0 && v.floor <= 1)) throw Error("{}.floor: expected a number in (0, 1], found {}", vw, v.floor);
      if (!(v.knee >= 0 && v.knee < 1)) throw Error("{}.knee: expected a number in [0, 1), found {}", vw, v.knee);
      (std::string(part) == "cpu_voltage" ? t->power.shape.cpu : t->power.shape.gpu) = v;
    }
  }
  const std::string cw = where + ".correction";
  const auto& cj = detail::field(j, "correction", where);
  if (detail::text(cj, "kind", cw) != "gp") throw Error("{}.kind: expected \"gp\"", cw);
  t->correction = GpTarget::from_json(cj, cw);
  if (t->correction->inputs.offset != t->signal_name())
    throw Error("{}.inputs.offset: expected \"{}\", found \"{}\"", cw, t->signal_name(), t->correction->inputs.offset);
  return t;
}

}  // namespace modewise::predict
