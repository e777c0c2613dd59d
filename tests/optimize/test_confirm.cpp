#include "modewise/optimize/confirm.h"

#include <gtest/gtest.h>

#include <cmath>

namespace modewise::optimize {
namespace {

using device::PowerMode;

// A synthetic landscape: time falls and power rises with the GPU clock; 40 modes.
struct Landscape {
  std::vector<PowerMode> modes;
  std::vector<MeasuredPoint> truth;
  Landscape() {
    for (int k = 0; k < 40; ++k) {
      double gpu = 100 + 25.0 * k;
      modes.push_back({4, 2201.6, gpu, 3199});
      truth.push_back({1e5 / gpu, 5 + gpu / 100});  // 10..1000 ms, 6..15.75 W
    }
  }
  size_t true_best(double budget) const {
    size_t best = 0;
    for (size_t i = 0; i < truth.size(); ++i)
      if (truth[i].power_w <= budget && truth[i].time_ms < truth[best].time_ms) best = i;
    return best;
  }
};

TEST(Confirm, BiasedPredictionsStillGiveTheTrueOptimumWithinTheBudget) {
  Landscape l;
  predict::Predictions pred;
  for (const auto& t : l.truth) {
    pred.time_ms.push_back(t.time_ms * 1.02);
    pred.power_w.push_back(t.power_w * 0.975);  // power underestimated by 2.5%
  }
  int calls = 0;
  MeasureFn measure = [&](const PowerMode& m) {
    ++calls;
    for (size_t i = 0; i < l.modes.size(); ++i)
      if (l.modes[i] == m) return l.truth[i];
    ADD_FAILURE() << "unknown mode";
    return MeasuredPoint{};
  };
  for (double budget : {8.0, 10.3, 12.0, 14.9}) {
    // from predictions alone the recommended mode breaks the budget
    auto naive = best_within_budget(l.modes, pred, budget, Objective::time);
    ASSERT_TRUE(naive.has_value());
    calls = 0;
    auto r = confirm_recommendation(l.modes, pred, budget, Objective::time, measure);
    ASSERT_TRUE(r.has_value()) << budget;
    EXPECT_LE(r->measured.power_w, budget);
    EXPECT_EQ(r->index, l.true_best(budget)) << budget;
    EXPECT_LE(calls, 6);
    EXPECT_EQ(r->profiled.size(), r->measurements.size());
    EXPECT_DOUBLE_EQ(r->predicted_power_w, pred.power_w[r->index]);
  }
  auto naive = best_within_budget(l.modes, pred, 10.3, Objective::time);
  EXPECT_GT(l.truth[naive->index].power_w, 10.3);
}

TEST(Confirm, StepsDownWhenEveryCandidateIsOverTheBudget) {
  Landscape l;
  predict::Predictions pred;
  for (const auto& t : l.truth) {
    pred.time_ms.push_back(t.time_ms);
    pred.power_w.push_back(t.power_w * 0.92);  // 8% low: all first candidates measure over
  }
  MeasureFn measure = [&](const PowerMode& m) {
    for (size_t i = 0; i < l.modes.size(); ++i)
      if (l.modes[i] == m) return l.truth[i];
    return MeasuredPoint{};
  };
  ConfirmOptions o;
  o.measurements = 3;
  auto r = confirm_recommendation(l.modes, pred, 11.0, Objective::time, measure, o);
  ASSERT_TRUE(r.has_value());
  EXPECT_LE(r->measured.power_w, 11.0);
  EXPECT_LE(r->profiled.size(), 6u);
}

TEST(Confirm, NothingWithinTheBudgetOrTurnedOff) {
  Landscape l;
  predict::Predictions pred;
  for (const auto& t : l.truth) {
    pred.time_ms.push_back(t.time_ms);
    pred.power_w.push_back(t.power_w);
  }
  MeasureFn too_hot = [](const PowerMode&) { return MeasuredPoint{10, 100}; };
  EXPECT_FALSE(confirm_recommendation(l.modes, pred, 12.0, Objective::time, too_hot).has_value());
  EXPECT_FALSE(confirm_recommendation(l.modes, pred, 1.0, Objective::time, too_hot).has_value());  // no candidate
  ConfirmOptions off;
  off.measurements = 0;
  MeasureFn never = [](const PowerMode&) -> MeasuredPoint {
    ADD_FAILURE() << "measured while turned off";
    return {};
  };
  EXPECT_FALSE(confirm_recommendation(l.modes, pred, 12.0, Objective::time, never, off).has_value());
}

TEST(Confirm, EnergyObjectiveUsesMeasuredEnergy) {
  Landscape l;
  predict::Predictions pred;
  for (const auto& t : l.truth) {
    pred.time_ms.push_back(t.time_ms);
    pred.power_w.push_back(t.power_w);
  }
  MeasureFn measure = [&](const PowerMode& m) {
    for (size_t i = 0; i < l.modes.size(); ++i)
      if (l.modes[i] == m) return l.truth[i];
    return MeasuredPoint{};
  };
  auto r = confirm_recommendation(l.modes, pred, 20.0, Objective::energy, measure);
  ASSERT_TRUE(r.has_value());
  for (size_t k = 0; k < r->measurements.size(); ++k)
    EXPECT_GE(r->measurements[k].energy_j(), r->measured.energy_j() - 1e-12);
}

}  // namespace
}  // namespace modewise::optimize
