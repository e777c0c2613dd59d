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
