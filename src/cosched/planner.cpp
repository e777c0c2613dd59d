#include "modewise/cosched/planner.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "cosched/plan_util.h"
#include "modewise/cosched/als.h"
#include "modewise/cosched/powertrain.h"
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

Margins margins_for(const NoiseModel& noise, double z) { return {z, noise.time_rel_sd, noise.power_rel_sd}; }

Margins Margins::averaged(int n) const {
  Margins m = *this;
  if (n > 1) m.time_rel_sd /= std::sqrt(double(n)), m.power_rel_sd /= std::sqrt(double(n));
  return m;
}

std::pair<double, double> relative_margins(const Margins& m, const TaskPoint& train, const TaskPoint& infer,
                                           const Outcome& out) {
  if (m.none()) return {0.0, 0.0};
  const double lat_sd = m.time_rel_sd * std::hypot(train.time_ms, infer.time_ms);
  const double d = std::clamp(out.duty, 0.0, 1.0);
  const double a = m.power_rel_sd * d * infer.power_w, b = m.power_rel_sd * (1 - d) * train.power_w;
  const double c = m.time_rel_sd * d * (infer.power_w - train.power_w);
  const double pow_sd = std::sqrt(a * a + b * b + c * c);
  return {out.latency_ms > 0 ? m.z * lat_sd / out.latency_ms : 0.0, out.power_w > 0 ? m.z * pow_sd / out.power_w : 0.0};
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
  if (!feasible) p.miss = c.violation.describe(budget);
  return p;
}

}  // namespace detail

Plan plan_from_measured(const ProfileOracle& oracle, const Budget& budget, const Margins& margins) {
  MW_CHECK(oracle.profiled_modes() > 0);
  Choice best;
  bool best_ok = false, any = false;
  for (size_t i : oracle.measured_modes()) {
    bool ok;
    Choice c = best_at_mode(*oracle.find(i), i, oracle.workloads(), budget, margins.averaged(oracle.times_measured(i)),
                            &ok);
    if (!any || better(c, ok, best, best_ok, budget)) best = c, best_ok = ok, any = true;
  }
  return detail::make_plan(oracle, best, best_ok, budget);
}

Plan confirm_by_remeasuring(ProfileOracle& oracle, const Budget& budget, const Margins& margins, int repeats) {
  if (!margins.none() && oracle.profiled_modes() > 0) {
    const double rel_sd = std::max(margins.time_rel_sd, margins.power_rel_sd);
    for (int r = 0; r < repeats; ++r) {
      Choice best;
      bool best_ok = false, any = false;
      for (size_t i : oracle.measured_modes()) {
        bool ok;
        Choice c = best_at_mode(*oracle.find(i), i, oracle.workloads(), budget,
                                margins.averaged(oracle.times_measured(i) + 1), &ok);
        if (!any || better(c, ok, best, best_ok, budget)) best = c, best_ok = ok, any = true;
      }
      if (!best_ok) {
        // Nothing would be feasible even with one more measurement: re-measure the nearest miss only when its
        // measured values (no margin) miss by less than two noise sds, i.e. a lower draw could make it feasible.
        const ModeProfile& p = *oracle.find(best.mode_index);
        const Outcome o = evaluate(p.train, p.infer[best.batch_slot], oracle.workloads().train_batch_size,
                                   oracle.workloads().infer_batch_sizes[best.batch_slot], budget.arrival_rate_per_s);
        const double miss = check(o, budget).worst_relative(budget);
        if (!(miss < 2 * rel_sd / std::sqrt(double(oracle.times_measured(best.mode_index))))) break;
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
  const Margins m = margins_for(oracle.noise(), o.safety_z);
  switch (s) {
    case Strategy::exhaustive: return plan_exhaustive(oracle, budget, m);
    case Strategy::gmd: return plan_gmd(oracle, budget, o.gmd_max_modes, m, o.gmd_repeats);
    case Strategy::random: return plan_random(oracle, budget, o.random_modes, o.seed, m);
    case Strategy::als: {
      AlsOptions ao;
      ao.max_modes = o.als_max_modes;
      ao.repeats = o.als_repeats;
      ao.seed = o.seed;
      AlsPlanner als(oracle, scenarios_around(budget, ao.scenarios, o.seed), ao, m);
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
