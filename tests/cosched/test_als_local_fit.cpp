// ALS's local fit under measurement noise (src/cosched/als.cpp, docs/COSCHED.md "ALS's local fit"): on the
// synthetic lattice with 2% noise (seeded), every answer stays within ALS's 50 measurements, most feasible
// answers are fitted with a measured neighbour on each side of an axis (the neighbour the fit spends a
// measurement on), no impossible budget is answered feasible, and the budgets met and the throughput are
// compared with the same planner answering from the raw averages (fit_sd_inflation = 0, before session 6).
#include <gtest/gtest.h>

#include <algorithm>

#include "cosched/synthetic.h"
#include "modewise/cosched/als.h"
#include "modewise/cosched/planner.h"

namespace modewise::cosched {
namespace {

struct Result {
  int feasible = 0, met = 0, answered = 0, with_pair = 0, most_measurements = 0;
  double rel = 0;  // mean true throughput / optimum over the met answers
};

Result run_als(const test::SyntheticProblem& f, double fit_sd_inflation) {
  const NoiseModel noise{0.02, 0.02, 11};
  ProfileOracle o = f.oracle(noise);
  AlsOptions ao;
  ao.fit_sd_inflation = fit_sd_inflation;
  AlsPlanner als(o, scenarios_in_box({2, 60, 150, 2000, 9, 45}, 120, 3), ao,
                 margins_for(noise, kDefaultAlsSafetyZ, 0));
  als.profile();
  Result r;
  for (double rate : {2.0, 10.0, 30.0, 60.0})
    for (double lat_ms : {150.0, 250.0, 400.0, 800.0, 2000.0})
      for (double p_w = 9; p_w <= 45; p_w += 3) {
        const Budget b{rate, lat_ms, p_w};
        const double opt = test::brute_force_optimum(*f.table, f.lat, f.w, b);
        const Plan p = als.answer(b);
        r.most_measurements = std::max(r.most_measurements, p.measurements);
        if (opt <= 0) {
          EXPECT_FALSE(p.feasible) << "an impossible budget answered feasible: " << rate << " " << lat_ms << " " << p_w;
          continue;
        }
        ++r.feasible;
        if (!p.feasible) continue;
        ++r.answered;
        // A measured neighbour on each side of some axis of the answer's mode.
        const auto c = f.lat.coords(p.choice.mode_index);
        auto measured = [&](ModeLattice::Coords x) {
          return f.lat.contains(x) &&
                 std::find(p.measured.begin(), p.measured.end(), f.lat.index(x)) != p.measured.end();
        };
        bool pair = false;
        for (int a = 0; a < ModeLattice::kAxes; ++a) {
          ModeLattice::Coords lo = c, hi = c;
          --lo[a], ++hi[a];
          pair = pair || (measured(lo) && measured(hi));
        }
        r.with_pair += pair;
        const Outcome truth = f.truth(p.choice.mode_index, p.choice.batch_slot, rate);
        if (check(truth, b).ok()) ++r.met, r.rel += truth.train_throughput / opt;
      }
  r.rel /= std::max(1, r.met);
  return r;
}

TEST(CoschedAlsLocalFit, NoisyAnswersUseANeighbourPairAndStayWithinBudgets) {
  const test::SyntheticProblem f;
  const Result fit = run_als(f, 1.6), raw = run_als(f, 0.0);
  EXPECT_LE(fit.most_measurements, 50);
  EXPECT_LE(raw.most_measurements, 50);
  EXPECT_GT(fit.feasible, 100);
  // The fit spends a measurement completing a pair around the candidate: most answers have one.
  EXPECT_GE(fit.with_pair, 0.6 * fit.answered) << fit.with_pair << " of " << fit.answered;
  EXPECT_GT(fit.with_pair, raw.with_pair);
  // What the synthetic problem shows (seeded; its budgets are looser than the evaluation's, both meet ~99%):
  // more throughput from the fit (0.984 vs 0.979 of the optimum) at about the same budgets met (192 vs 193 of
  // 194); the evaluation's figures are in docs/COSCHED.md.
  EXPECT_GE(fit.met, raw.met - 2);
  EXPECT_GT(fit.rel, raw.rel);
  EXPECT_GE(fit.met, 0.97 * fit.feasible);
  std::cout << "fit: met " << fit.met << " of " << fit.feasible << " at " << fit.rel << ", pair " << fit.with_pair
            << " of " << fit.answered << "; raw: met " << raw.met << " at " << raw.rel << ", pair " << raw.with_pair
            << " of " << raw.answered << "\n";
}

}  // namespace
}  // namespace modewise::cosched
