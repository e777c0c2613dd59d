#include "modewise/cosched/planner.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <Eigen/Core>

#include "cosched/plan_util.h"
#include "cosched/smooth.h"
#include "modewise/cosched/als.h"
#include "modewise/cosched/powertrain.h"
#include "modewise/cosched/surrogate.h"
#include "modewise/util/error.h"

namespace modewise::cosched {

std::vector<std::string> strategy_names() { return {"exhaustive", "gmd", "als", "random", "powertrain"}; }

Strategy parse_strategy(const std::string& name) {
  if (name == "exhaustive") return Strategy::exhaustive;
  if (name == "gmd") return Strategy::gmd;
  if (name == "als") return Strategy::als;
  if (name == "random") return Strategy::random;
  if (name == "powertrain") return Strategy::powertrain;
  throw UsageError("unknown strategy '{}' (expected exhaustive, gmd, als, random or powertrain)", name);
}

std::string to_string(Strategy s) { return strategy_names()[static_cast<int>(s)]; }

Margins margins_for(const NoiseModel& noise, double z, int smooth_min_modes) {
  return {z, noise.time_rel_sd, noise.power_rel_sd, smooth_min_modes};
}

Margins Margins::averaged(int n) const {
  Margins m = *this;
  if (n > 1) m.time_rel_sd /= std::sqrt(double(n)), m.power_rel_sd /= std::sqrt(double(n));
  return m;
}

std::pair<double, double> relative_margins(double z, const TaskPoint& train, const TaskPoint& infer,
                                           const Outcome& out, double tt_sd, double tp_sd, double it_sd,
                                           double ip_sd) {
  if (z <= 0) return {0.0, 0.0};
  const double lat_sd = std::hypot(tt_sd * train.time_ms, it_sd * infer.time_ms);
  const double d = std::clamp(out.duty, 0.0, 1.0);
  const double a = ip_sd * d * infer.power_w, b = tp_sd * (1 - d) * train.power_w;
  const double c = it_sd * d * (infer.power_w - train.power_w);
  const double pow_sd = std::sqrt(a * a + b * b + c * c);
  return {out.latency_ms > 0 ? z * lat_sd / out.latency_ms : 0.0, out.power_w > 0 ? z * pow_sd / out.power_w : 0.0};
}

std::pair<double, double> relative_margins(const Margins& m, const TaskPoint& train, const TaskPoint& infer,
                                           const Outcome& out) {
  if (m.none()) return {0.0, 0.0};
  return relative_margins(m.z, train, infer, out, m.time_rel_sd, m.power_rel_sd, m.time_rel_sd, m.power_rel_sd);
}

std::vector<ModeEstimate> estimate_measured(const ProfileOracle& oracle, const Margins& margins, int extra) {
  const auto& measured = oracle.measured_modes();
  const Eigen::Index n = static_cast<Eigen::Index>(measured.size());
  std::vector<ModeEstimate> est(measured.size());
  if (n == 0) return est;
  const Eigen::Index T = static_cast<Eigen::Index>(2 + 2 * oracle.workloads().infer_batch_sizes.size());
  const bool noisy = !margins.none();
  auto noise_sd = [&](Eigen::Index t) { return t % 2 == 0 ? margins.time_rel_sd : margins.power_rel_sd; };
  for (Eigen::Index r = 0; r < n; ++r) {
    est[r].mode_index = measured[r];
    est[r].profile = *oracle.find(measured[r]);
    est[r].rel_sd.assign(T, 0.0);
    if (noisy)
      for (Eigen::Index t = 0; t < T; ++t)
        est[r].rel_sd[t] = noise_sd(t) / std::sqrt(double(oracle.times_measured(measured[r]) + extra));
  }
  if (!noisy || margins.smooth_min_modes <= 0 || n < std::max(3, margins.smooth_min_modes)) return est;

  Eigen::MatrixXd y(n, T), nv(n, T), prior(n, T), mean_all, sd_all, post_mean, post_var;
  for (Eigen::Index r = 0; r < n; ++r) {
    y.row(r) = Surrogate::log_targets(est[r].profile).transpose();
    for (Eigen::Index t = 0; t < T; ++t) nv(r, t) = std::pow(noise_sd(t), 2) / oracle.times_measured(measured[r]);
  }
  // The parametric trend (the surrogate's ridge fit), then a GP on what it leaves (detail::gp_smooth).
  Surrogate model(oracle.lattice());
  model.fit(measured, y);
  model.predict_all(mean_all, sd_all);
  for (Eigen::Index r = 0; r < n; ++r) prior.row(r) = mean_all.row(static_cast<Eigen::Index>(measured[r]));
  detail::gp_smooth(oracle.lattice(), measured, y, nv, prior, post_mean, post_var);
  for (Eigen::Index r = 0; r < n; ++r)
    for (Eigen::Index t = 0; t < T; ++t) {
      double v = post_var(r, t);
      if (extra > 0) v = 1.0 / (1.0 / v + extra / std::pow(noise_sd(t), 2));
      est[r].rel_sd[t] = std::sqrt(v);
    }
  y = post_mean;
  for (Eigen::Index r = 0; r < n; ++r) est[r].profile = Surrogate::from_log_targets(y.row(r).transpose());
  return est;
}

bool better(const Choice& a, bool af, const Choice& b, bool bf, const Budget& budget) {
  if (af != bf) return af;
  if (af) return a.outcome.train_throughput > b.outcome.train_throughput;
  return a.violation.worst_relative(budget) < b.violation.worst_relative(budget);
}

Choice best_at_mode(const ModeProfile& p, size_t mode_index, const Workloads& w, const Budget& budget,
                    const Margins& margins, bool* feasible) {
  Choice best;
  bool best_ok = false, any = false;
  for (size_t k = 0; k < w.infer_batch_sizes.size(); ++k) {
    Choice c;
    c.mode_index = mode_index;
    c.batch_slot = k;
    c.outcome = evaluate(p.train, p.infer[k], w.train_batch_size, w.infer_batch_sizes[k], budget.arrival_rate_per_s);
    const auto [lat_margin, pow_margin] = relative_margins(margins, p.train, p.infer[k], c.outcome);
    c.violation = check(c.outcome, budget, lat_margin, pow_margin);
    const bool ok = c.violation.ok();
    if (!any || better(c, ok, best, best_ok, budget)) best = c, best_ok = ok, any = true;
  }
  *feasible = best_ok;
  return best;
}

namespace detail {

Plan make_plan(const ProfileOracle& oracle, const Choice& c, bool feasible, const Budget& budget) {
  Plan p;
  p.feasible = feasible;
  p.choice = c;
  p.mode = oracle.lattice().mode(c.mode_index);
  p.infer_batch_size = oracle.workloads().infer_batch_sizes[c.batch_slot];
  p.profiled_modes = oracle.profiled_modes();
  p.measurements = oracle.measurements();
  p.measured = oracle.measured_modes();
  if (!feasible) p.miss = c.violation.describe(budget);
  return p;
}

}  // namespace detail

namespace {

// best_at_mode with a relative sd per value (ModeEstimate).
Choice best_at_estimate(const ModeEstimate& e, const Workloads& w, const Budget& budget, double z, bool* feasible) {
  Choice best;
  bool best_ok = false, any = false;
  const ModeProfile& p = e.profile;
  for (size_t k = 0; k < w.infer_batch_sizes.size(); ++k) {
    Choice c;
    c.mode_index = e.mode_index;
    c.batch_slot = k;
    c.outcome = evaluate(p.train, p.infer[k], w.train_batch_size, w.infer_batch_sizes[k], budget.arrival_rate_per_s);
    const auto [lat_margin, pow_margin] = relative_margins(z, p.train, p.infer[k], c.outcome, e.rel_sd[0], e.rel_sd[1],
                                                           e.rel_sd[2 + 2 * k], e.rel_sd[3 + 2 * k]);
    c.violation = check(c.outcome, budget, lat_margin, pow_margin);
    const bool ok = c.violation.ok();
    if (!any || better(c, ok, best, best_ok, budget)) best = c, best_ok = ok, any = true;
  }
  *feasible = best_ok;
  return best;
}

const ModeEstimate* best_estimate(const std::vector<ModeEstimate>& est, const Workloads& w, const Budget& budget,
                                  double z, Choice* best, bool* best_ok) {
  const ModeEstimate* at = nullptr;
  for (const ModeEstimate& e : est) {
    bool ok;
    Choice c = best_at_estimate(e, w, budget, z, &ok);
    if (!at || better(c, ok, *best, *best_ok, budget)) *best = c, *best_ok = ok, at = &e;
  }
  return at;
}

}  // namespace

Plan plan_from_estimates(const ProfileOracle& oracle, const std::vector<ModeEstimate>& est, const Budget& budget,
                         double z) {
  MW_CHECK(!est.empty());
  Choice best;
  bool best_ok = false;
  best_estimate(est, oracle.workloads(), budget, z, &best, &best_ok);
  return detail::make_plan(oracle, best, best_ok, budget);
}

Plan plan_from_measured(const ProfileOracle& oracle, const Budget& budget, const Margins& margins) {
  MW_CHECK(oracle.profiled_modes() > 0);
  return plan_from_estimates(oracle, estimate_measured(oracle, margins), budget, margins.none() ? 0.0 : margins.z);
}

namespace detail {

std::vector<ModeEstimate> after_one_more_measurement(std::vector<ModeEstimate> estimates, const Margins& margins) {
  for (ModeEstimate& e : estimates)
    for (size_t t = 0; t < e.rel_sd.size(); ++t) {
      const double noise = t % 2 == 0 ? margins.time_rel_sd : margins.power_rel_sd;
      if (noise > 0 && e.rel_sd[t] > 0)
        e.rel_sd[t] = 1.0 / std::sqrt(1.0 / (e.rel_sd[t] * e.rel_sd[t]) + 1.0 / (noise * noise));
    }
  return estimates;
}

bool is_near_miss(const std::vector<ModeEstimate>& estimates, const Choice& choice, const Workloads& w,
                  const Budget& budget) {
  const ModeEstimate* e = nullptr;
  for (const ModeEstimate& x : estimates)
    if (x.mode_index == choice.mode_index) e = &x;
  MW_CHECK(e != nullptr);
  const ModeProfile& p = e->profile;
  const size_t k = choice.batch_slot;
  const Outcome o = evaluate(p.train, p.infer[k], w.train_batch_size, w.infer_batch_sizes[k], budget.arrival_rate_per_s);
  const double miss = check(o, budget).worst_relative(budget);
  const double sd = *std::max_element(e->rel_sd.begin(), e->rel_sd.end());
  return miss < 2 * sd;
}

}  // namespace detail

Plan confirm_by_remeasuring(ProfileOracle& oracle, const Budget& budget, const Margins& margins, int repeats) {
  if (!margins.none() && oracle.profiled_modes() > 0) {
    for (int r = 0; r < repeats; ++r) {
      Choice best;
      bool best_ok = false;
      const std::vector<ModeEstimate> now = estimate_measured(oracle, margins);
      const std::vector<ModeEstimate> one_more = detail::after_one_more_measurement(now, margins);
      best_estimate(one_more, oracle.workloads(), budget, margins.z, &best, &best_ok);
      if (!best_ok) {
        // Nothing would be feasible even with one more measurement: re-measure the nearest miss only when its
        // estimated values (no margin) miss by less than two of their sds, i.e. a lower draw could make it feasible.
        if (!detail::is_near_miss(now, best, oracle.workloads(), budget)) break;
      }
      oracle.remeasure(best.mode_index);
    }
  }
  return plan_from_measured(oracle, budget, margins);
}

Plan plan_exhaustive(ProfileOracle& oracle, const Budget& budget, const Margins& margins) {
  for (size_t i : oracle.lattice().available_indices()) oracle.measure(i);
  return plan_from_measured(oracle, budget, margins);
}

Plan plan_random(ProfileOracle& oracle, const Budget& budget, int modes, uint64_t seed, const Margins& margins) {
  std::vector<size_t> idx = oracle.lattice().available_indices();
  std::mt19937_64 rng(seed);
  std::shuffle(idx.begin(), idx.end(), rng);
  idx.resize(std::min(idx.size(), static_cast<size_t>(std::max(1, modes))));
  for (size_t i : idx) oracle.measure(i);
  return plan_from_measured(oracle, budget, margins);
}

Plan plan(Strategy s, ProfileOracle& oracle, const Budget& budget, const PlannerOptions& o) {
  validate_budget(budget);
  const Margins m = margins_for(oracle.noise(), o.safety_z, o.smooth_min_modes);
  switch (s) {
    case Strategy::exhaustive: return plan_exhaustive(oracle, budget, m);
    case Strategy::gmd: return plan_gmd(oracle, budget, o.gmd_max_modes, m, o.gmd_repeats);
    case Strategy::random: return plan_random(oracle, budget, o.random_modes, o.seed, m);
    case Strategy::als: {
      AlsOptions ao;
      ao.max_modes = o.als_max_modes;
      ao.repeats = o.als_repeats;
      ao.noisy_refine_modes = o.als_refine_modes;
      ao.seed = o.seed;
      AlsPlanner als(oracle, scenarios_around(budget, ao.scenarios, o.seed), ao,
                     margins_for(oracle.noise(), o.als_safety_z, o.smooth_min_modes));
      als.profile();
      return als.answer(budget);
    }
    case Strategy::powertrain: {
      PowertrainPlanner pt(oracle, o.powertrain_modes, o.seed);
      return pt.answer(budget);
    }
  }
  MW_CHECK(false);
  return {};
}

}  // namespace modewise::cosched
