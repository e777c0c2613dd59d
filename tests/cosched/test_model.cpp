#include <gtest/gtest.h>

#include "modewise/cosched/model.h"
#include "modewise/util/error.h"

using namespace modewise::cosched;

TEST(CoschedModel, FormulasOfTheIssue) {
  // b=4 at 20 req/s, t_T=100 ms, t_I=40 ms: latency 4/20 s + 100 + 40 ms; duty 20 * 0.04 / 4 = 0.2.
  Outcome o = evaluate({100, 30}, {40, 20}, 16, 4, 20);
  EXPECT_DOUBLE_EQ(o.latency_ms, 200 + 100 + 40);
  EXPECT_DOUBLE_EQ(o.duty, 0.2);
  EXPECT_DOUBLE_EQ(o.power_w, 0.2 * 20 + 0.8 * 30);
  EXPECT_DOUBLE_EQ(o.train_throughput, 16 * 0.8 / 0.1);
}

TEST(CoschedModel, SaturatedInferenceHasNoTrainingThroughput) {
  Outcome o = evaluate({100, 30}, {60, 20}, 16, 1, 20);  // duty 1.2
  EXPECT_GT(o.duty, 1.0);
  EXPECT_EQ(o.train_throughput, 0.0);
  Violation v = check(o, {20, 1e9, 1e9});
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.worst_constraint({20, 1e9, 1e9}), "duty");
}

TEST(CoschedModel, ViolationsNameTheConstraintAndTheExcess) {
  Outcome o = evaluate({100, 30}, {40, 20}, 16, 4, 20);  // 340 ms, 28 W
  Budget b{20, 400, 25};
  Violation v = check(o, b);
  EXPECT_FALSE(v.ok());
  EXPECT_DOUBLE_EQ(v.power_excess_w, 3.0);
  EXPECT_EQ(v.latency_excess_ms, 0.0);
  EXPECT_EQ(v.worst_constraint(b), "power");
  EXPECT_EQ(v.describe(b), "power (by 3.00 W)");
  Budget tight{20, 300, 40};
  EXPECT_EQ(check(o, tight).describe(tight), "latency (by 40.0 ms)");
  EXPECT_TRUE(check(o, {20, 340, 28}).ok());
}

TEST(CoschedModel, MarginsAreRelative) {
  Outcome o = evaluate({100, 30}, {40, 20}, 16, 4, 20);  // 28 W
  EXPECT_TRUE(check(o, {20, 400, 28.5}).ok());
  EXPECT_FALSE(check(o, {20, 400, 28.5}, 0.0, 0.03).ok());  // 28 * 1.03 > 28.5
}

TEST(CoschedModel, BadBudgetsAreUsageErrors) {
  EXPECT_THROW(validate_budget({0, 100, 30}), modewise::UsageError);
  EXPECT_THROW(validate_budget({10, -1, 30}), modewise::UsageError);
  EXPECT_THROW(validate_budget({10, 100, std::nan("")}), modewise::UsageError);
  EXPECT_NO_THROW(validate_budget({10, 100, 30}));
}
