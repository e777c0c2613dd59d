#include <gtest/gtest.h>

#include "modewise/cosched/eval.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::cosched;

TEST(CoschedEval, SmallEvaluationOnTheEmulator) {
  EvalOptions o;
  o.train_workloads = {"resnet18"};
  o.infer_workloads = {"mobilenetv3", "lstm"};
  o.rate_fractions = {0.1, 0.4};
  o.latency_factors = {1.2, 2, 5};
  o.power_levels = 6;
  o.strategies = {Strategy::exhaustive, Strategy::gmd, Strategy::als, Strategy::random};
  EvalReport r = run_eval(o);
  EXPECT_EQ(r.pairs, 2u);
  EXPECT_EQ(r.configs, 2u * 2 * 3 * 6);
  EXPECT_GT(r.feasible_configs, r.configs / 2);
  EXPECT_EQ(r.grid, "fulcrum");
  ASSERT_EQ(r.strategies.size(), 4u);
  const StrategyStats& ex = r.strategies[0];
  EXPECT_EQ(ex.met, r.feasible_configs);
  EXPECT_DOUBLE_EQ(ex.rel_throughput_met, 1.0);
  EXPECT_EQ(ex.profiled_max, 441);
  const StrategyStats& gmd = r.strategies[1];
  EXPECT_LE(gmd.profiled_max, 15);
  EXPECT_GE(gmd.met_share(), 0.9);
  const StrategyStats& als = r.strategies[2];
  EXPECT_LE(als.profiled_max, 50);
  EXPECT_GE(als.met_share(), 0.9);
  EXPECT_EQ(r.strategies[3].profiled_max, 15);
  for (const auto& s : r.strategies) {
    EXPECT_EQ(s.false_feasible, 0u) << to_string(s.strategy);
    EXPECT_LE(s.rel_throughput_met, 1.0 + 1e-9);
    // without noise the tolerant judgement is the strict one and nothing is re-measured
    EXPECT_EQ(s.met_tolerant, s.met) << to_string(s.strategy);
    EXPECT_DOUBLE_EQ(s.measurements_mean, s.profiled_mean) << to_string(s.strategy);
  }
}

TEST(CoschedEval, RejectsEmptySets) {
  EvalOptions o;
  o.train_workloads.clear();
  EXPECT_THROW(run_eval(o), UsageError);
}

// Where the misses come from (docs/COSCHED.md): every feasible configuration is met, said infeasible, or broke a
// budget (within or beyond the noise); the throughput lost over the met answers splits exactly into search and
// choice; measuring every mode leaves no search loss.
TEST(CoschedEval, MissBreakdownAddsUp) {
  EvalOptions o;
  o.train_workloads = {"resnet18"};
  o.infer_workloads = {"lstm"};
  o.rate_fractions = {0.1, 0.4};
  o.latency_factors = {1.05, 1.2, 2};
  o.power_levels = 8;
  o.strategies = {Strategy::exhaustive, Strategy::gmd};
  for (double noise : {0.0, 0.02}) {
    o.noise = {noise, noise, 7};
    const EvalReport r = run_eval(o);
    for (const StrategyStats& s : r.strategies) {
      SCOPED_TRACE(to_string(s.strategy) + " noise " + std::to_string(noise));
      EXPECT_EQ(s.met + s.claimed_infeasible + s.broke_within_noise + s.broke_beyond_noise, s.feasible_configs);
      EXPECT_LE(s.infeasible_feasible_measured, s.claimed_infeasible);
      EXPECT_LE(s.met_tight, s.tight_configs);
      EXPECT_LE(s.tight_configs, s.feasible_configs);
      EXPECT_GE(s.loss_search_met, -1e-12);
      EXPECT_GE(s.loss_choice_met, -1e-12);
      EXPECT_NEAR(s.rel_throughput_met, 1 - s.loss_search_met - s.loss_choice_met, 1e-9);
      if (noise == 0) {
        EXPECT_EQ(s.tight_configs, 0u);
        EXPECT_EQ(s.broke_within_noise + s.broke_beyond_noise, 0u);
      }
    }
    const StrategyStats& ex = r.strategies[0];
    EXPECT_NEAR(ex.loss_search_met, 0.0, 1e-12);
    if (noise > 0) {
      EXPECT_GT(ex.tight_configs, 0u);  // latency budgets 5% above the fastest possible leave little slack
      EXPECT_GT(ex.loss_choice_met, 0.0);  // the margins give up some throughput
    } else {
      EXPECT_EQ(ex.met, ex.feasible_configs);
    }
  }
}
