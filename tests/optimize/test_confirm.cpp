#include "modewise/optimize/confirm.h"
#include "modewise/util/error.h"

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
  // Predictions = truth x (time_factor, power_factor).
  predict::Predictions predictions(double time_factor = 1, double power_factor = 1) const {
    predict::Predictions p;
    for (const auto& t : truth) {
      p.time_ms.push_back(t.time_ms * time_factor);
      p.power_w.push_back(t.power_w * power_factor);
    }
    return p;
  }
  // An exact measurement of a mode of the landscape.
  MeasureFn exact() const {
    return [this](const PowerMode& m) {
      for (size_t i = 0; i < modes.size(); ++i)
        if (modes[i] == m) return truth[i];
      ADD_FAILURE() << "unknown mode";
      return MeasuredPoint{};
    };
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
  predict::Predictions pred = l.predictions(1.02, 0.975);  // power underestimated by 2.5%
  int calls = 0;
  MeasureFn exact = l.exact();
  MeasureFn measure = [&](const PowerMode& m) {
    ++calls;
    return exact(m);
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
  predict::Predictions pred = l.predictions(1, 0.92);  // 8% low: the first candidates measure over
  MeasureFn measure = l.exact();
  ConfirmOptions o;
  o.measurements = 3;
  auto r = confirm_recommendation(l.modes, pred, 11.0, Objective::time, measure, o);
  ASSERT_TRUE(r.has_value());
  EXPECT_LE(r->measured.power_w, 11.0);
  EXPECT_LE(r->profiled.size(), 6u);
}

TEST(Confirm, NothingWithinTheBudgetOrTurnedOff) {
  Landscape l;
  predict::Predictions pred = l.predictions();
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
  predict::Predictions pred = l.predictions();
  MeasureFn measure = l.exact();
  auto r = confirm_recommendation(l.modes, pred, 20.0, Objective::energy, measure);
  ASSERT_TRUE(r.has_value());
  for (size_t k = 0; k < r->measurements.size(); ++k)
    EXPECT_GE(r->measurements[k].energy_j(), r->measured.energy_j() - 1e-12);
}

TEST(Confirm, KnownMeasurementsAreFreeCandidatesAndCorrectNearbyPredictions) {
  Landscape l;
  predict::Predictions pred = l.predictions(1, 0.92);  // power 8% low everywhere
  const double budget = 11.0;
  const size_t best = l.true_best(budget);
  // the true optimum was measured already (e.g. by the profile the model came from): no need to profile it again
  ConfirmOptions o;
  o.measurements = 3;
  o.known = {{best, l.truth[best]}, {best + 4, l.truth[best + 4]}};
  std::vector<PowerMode> profiled;
  MeasureFn exact = l.exact();
  MeasureFn measure = [&](const PowerMode& m) {
    profiled.push_back(m);
    return exact(m);
  };
  auto r = confirm_recommendation(l.modes, pred, budget, Objective::time, measure, o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->index, best);
  EXPECT_DOUBLE_EQ(r->measured.power_w, l.truth[best].power_w);
  EXPECT_EQ(r->profiled.size(), profiled.size());
  for (const auto& m : profiled) {  // never profiles a known mode again
    EXPECT_NE(m, l.modes[best]);
    EXPECT_NE(m, l.modes[best + 4]);
  }
  // the power ratio measured at the known modes corrects the 8% bias, so nothing above the optimum looks feasible
  EXPECT_TRUE(profiled.empty()) << profiled.size() << " modes profiled";
  // without known modes the same search has to profile
  o.known.clear();
  auto plain = confirm_recommendation(l.modes, pred, budget, Objective::time, measure, o);
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(profiled.empty());
  // an index out of range is an error, not a crash
  o.known = {{l.modes.size(), MeasuredPoint{1, 1}}};
  EXPECT_THROW(confirm_recommendation(l.modes, pred, budget, Objective::time, measure, o), Error);
}

}  // namespace
}  // namespace modewise::optimize

// eval transfer with confirmation: on synthetic profiles (no noise columns, so repeated measurements are exact)
// no recommendation breaks its budget, and confirmation profiles at most `measurements` extra modes.
#include "modewise/device/grid.h"
#include "modewise/optimize/transfer_eval.h"
#include "predict/synthetic.h"

namespace modewise::optimize {
namespace {

TEST(Confirm, EvalTransferWithConfirmationBreaksNoBudget) {
  device::DeviceSpec spec = device::builtin_device("orin-agx");
  test::SyntheticWorkload other;
  other.name = "other";
  other.gpu_work = 120;
  other.loader = 12;
  profile::Profile ref, fresh;
  ref.source = "ref.csv";
  ref.rows = test::synthetic_rows(spec, test::SyntheticWorkload{}, test::sample_grid(spec, 300, 1));
  fresh.source = "new.csv";
  fresh.rows = test::synthetic_rows(spec, other, test::sample_grid(spec, 600, 2));
  TransferEvalOptions o;
  o.samples = {20};
  o.repeats = 2;
  o.budgets = 8;
  o.methods = {"linear"};  // a weak model: predictions alone break budgets
  o.fit.arch.hidden = {16};
  o.fit.train.epochs = 20;
  o.caution.sd_multiplier = 0;
  TransferEvalResult plain = evaluate_transfer(spec, ref, spec, fresh, o);
  o.confirm.measurements = 8;
  TransferEvalResult confirmed = evaluate_transfer(spec, ref, spec, fresh, o);
  const EvalCell& p = plain.cells[0];
  const EvalCell& c = confirmed.cells[0];
  EXPECT_GT(p.violations, 0);
  EXPECT_EQ(c.violations, 0);
  EXPECT_LT(c.mean_gap_pct, 10.0);  // the weak model alone: budgets broken (negative gaps) or far from optimal
  EXPECT_GT(c.mean_confirm_measurements, 0);
  EXPECT_LE(c.mean_confirm_measurements, 8);
  EXPECT_EQ(p.mean_confirm_measurements, 0);
}

}  // namespace
}  // namespace modewise::optimize
