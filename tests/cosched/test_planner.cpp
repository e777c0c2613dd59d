#include <gtest/gtest.h>

#include "cosched/synthetic.h"
#include "modewise/cosched/als.h"
#include "modewise/cosched/planner.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::cosched;

namespace {

struct Fixture : test::SyntheticProblem {
  Outcome truth(const Plan& p, const Budget& b) const {
    return SyntheticProblem::truth(p.choice.mode_index, p.choice.batch_slot, b.arrival_rate_per_s);
  }
  // A spread of budgets from impossible to loose (rates, latencies, powers relative to the problem).
  std::vector<Budget> budgets() const {
    std::vector<Budget> v;
    for (double rate : {2.0, 10.0, 30.0, 60.0})
      for (double lat_ms : {150.0, 250.0, 400.0, 800.0, 2000.0})
        for (double p = 9; p <= 45; p += 3) v.push_back({rate, lat_ms, p});
    return v;
  }
};

struct Quality {
  int feasible = 0, met = 0;
  double rel = 0;
};

template <typename PlanFn>
Quality judge(const Fixture& f, PlanFn&& plan_for) {
  Quality q;
  for (const Budget& b : f.budgets()) {
    const double opt = test::brute_force_optimum(*f.table, f.lat, f.w, b);
    Plan p = plan_for(b);
    const bool ok = p.feasible && check(f.truth(p, b), b).ok();
    if (opt <= 0) {
      EXPECT_FALSE(p.feasible) << "claims a feasible answer for an impossible budget";
      continue;
    }
    ++q.feasible;
    if (ok) ++q.met, q.rel += f.truth(p, b).train_throughput / opt;
  }
  q.rel /= std::max(1, q.met);
  return q;
}

}  // namespace

TEST(CoschedPlanner, StrategyNames) {
  EXPECT_EQ(parse_strategy("als"), Strategy::als);
  EXPECT_EQ(to_string(Strategy::powertrain), "powertrain");
  EXPECT_THROW(parse_strategy("greedy"), UsageError);
}

TEST(CoschedPlanner, ExhaustiveIsTheOptimum) {
  Fixture f;
  for (const Budget& b : f.budgets()) {
    ProfileOracle o = f.oracle();
    Plan p = plan_exhaustive(o, b);
    EXPECT_EQ(p.profiled_modes, static_cast<int>(f.lat.size()));
    const double opt = test::brute_force_optimum(*f.table, f.lat, f.w, b);
    EXPECT_EQ(p.feasible, opt > 0);
    if (opt > 0) {
      EXPECT_DOUBLE_EQ(p.choice.outcome.train_throughput, opt);
    }
  }
}

TEST(CoschedPlanner, ImpossibleBudgetGivesTheNearestMiss) {
  Fixture f;
  ProfileOracle o = f.oracle();
  const Budget b{10, 2000, 3.0};  // below the board's idle power
  Plan p = plan(Strategy::gmd, o, b, {});
  EXPECT_FALSE(p.feasible);
  EXPECT_EQ(p.choice.violation.worst_constraint(b), "power");
  EXPECT_NE(p.miss.find("power (by"), std::string::npos) << p.miss;
  // Every strategy answers instead of failing.
  for (Strategy s : {Strategy::exhaustive, Strategy::als, Strategy::random, Strategy::powertrain}) {
    ProfileOracle o2 = f.oracle();
    EXPECT_FALSE(plan(s, o2, b, {}).feasible) << to_string(s);
  }
}

TEST(CoschedPlanner, GmdProfilesAtMost15ModesAndFindsNearOptimalAnswers) {
  Fixture f;
  int most = 0;
  Quality q = judge(f, [&](const Budget& b) {
    ProfileOracle o = f.oracle();
    Plan p = plan_gmd(o, b, 15, {});
    most = std::max(most, p.profiled_modes);
    EXPECT_EQ(p.profiled_modes, o.profiled_modes());
    return p;
  });
  EXPECT_LE(most, 15);
  ASSERT_GT(q.feasible, 100);
  EXPECT_GE(q.met, 0.97 * q.feasible);
  EXPECT_GE(q.rel, 0.95);
}

TEST(CoschedPlanner, AlsProfilesAtMost50ModesAndReusesThemAcrossBudgets) {
  Fixture f;
  ProfileOracle o = f.oracle();
  BudgetBox box{2, 60, 150, 2000, 9, 45};
  AlsOptions ao;
  AlsPlanner als(o, scenarios_in_box(box, 120, 3), ao, {});
  als.profile();
  EXPECT_LE(o.profiled_modes(), ao.max_modes - ao.refine_modes);
  EXPECT_FALSE(als.pareto_modes().empty());
  EXPECT_LE(als.pareto_modes().size(), static_cast<size_t>(o.profiled_modes()));
  const int shared = o.profiled_modes();
  int most = 0;
  Quality q = judge(f, [&](const Budget& b) {
    Plan p = als.answer(b);
    most = std::max(most, p.profiled_modes);
    return p;
  });
  EXPECT_EQ(o.profiled_modes(), shared);  // budget-specific modes stay private to their answer
  EXPECT_LE(most, 50);
  EXPECT_GE(q.met, 0.97 * q.feasible);
  EXPECT_GE(q.rel, 0.95);
}

TEST(CoschedPlanner, RandomAndPowertrainUseTheirProfilingBudget) {
  Fixture f;
  const Budget b{10, 400, 25};
  ProfileOracle o1 = f.oracle(), o2 = f.oracle();
  EXPECT_EQ(plan_random(o1, b, 15, 1, {}).profiled_modes, 15);
  PlannerOptions po;
  po.powertrain_modes = 30;
  EXPECT_EQ(plan(Strategy::powertrain, o2, b, po).profiled_modes, 30);
}

TEST(CoschedPlanner, SafetyMarginsKeepNoisyAnswersWithinBudget) {
  Fixture f;
  const NoiseModel noise{0.02, 0.02, 5};
  for (Strategy s : {Strategy::gmd, Strategy::exhaustive}) {
    Quality q = judge(f, [&](const Budget& b) {
      ProfileOracle o = f.oracle(noise);
      return plan(s, o, b, {});
    });
    EXPECT_GE(q.met, 0.95 * q.feasible) << to_string(s);
  }
}

TEST(CoschedPlanner, DeterministicAnswers) {
  Fixture f;
  const Budget b{30, 400, 24};
  for (Strategy s : {Strategy::gmd, Strategy::als, Strategy::random, Strategy::powertrain}) {
    ProfileOracle o1 = f.oracle({0.01, 0.01, 3}), o2 = f.oracle({0.01, 0.01, 3});
    Plan a = plan(s, o1, b, {}), c = plan(s, o2, b, {});
    EXPECT_EQ(a.choice.mode_index, c.choice.mode_index) << to_string(s);
    EXPECT_EQ(a.infer_batch_size, c.infer_batch_size) << to_string(s);
  }
}
