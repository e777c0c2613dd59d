// GMD's local fit under measurement noise (src/cosched/gmd_local.h): on the synthetic lattice, the fitted
// times at a mode measured once with a measured neighbour on each side of two axes are closer to the truth
// than the mode's own measurement, and the fit's propagated sd is below one measurement's. (The synthetic
// power is cubic in the GPU clock: there the linear fit is biased by 1-3% in log power, more than the noise it
// removes; the test checks that too, so a change of the model shows.)
#include <gtest/gtest.h>

#include <cmath>

#include "cosched/gmd_local.h"
#include "cosched/synthetic.h"
#include "modewise/cosched/planner.h"
#include "modewise/cosched/surrogate.h"

namespace modewise::cosched {
namespace {

TEST(CoschedGmdLocal, FitAtAModeWithNeighbourPairsBeatsItsOwnMeasurement) {
  const test::SyntheticProblem f;
  const NoiseModel noise{0.02, 0.02, 1};
  const Margins margins = margins_for(noise, 1.0);
  const ModeLattice::Coords c{1, 3, 3, 1};  // interior on the CPU and GPU axes
  const size_t center = f.lat.index(c);
  std::vector<size_t> modes{center};
  for (int axis : {1, 2})
    for (int step : {-1, 1}) {
      ModeLattice::Coords n = c;
      n[axis] += step;
      modes.push_back(f.lat.index(n));
    }
  EXPECT_EQ(detail::lattice_neighbours(f.lat, center).size(), 8u);
  const Eigen::VectorXd truth = Surrogate::log_targets((*f.table)[center]);
  double err_raw = 0, err_fit = 0, bias_power = 0;
  const int seeds = 300;
  for (int s = 1; s <= seeds; ++s) {
    ProfileOracle o = f.oracle({0.02, 0.02, static_cast<uint64_t>(s)});
    for (size_t i : modes) o.measure(i);
    const ModeEstimate e = detail::local_fit_estimate(o, margins, center);
    ASSERT_EQ(e.mode_index, center);
    // 5 measurements, 3 parameters (intercept, CPU and GPU slopes): the intercept's sd is about 1/sqrt(5) of
    // one measurement's (a little more: the levels are not evenly spaced in log clock).
    for (double sd : e.rel_sd) {
      EXPECT_GT(sd, 0.02 / std::sqrt(5.0) * 0.999);
      EXPECT_LT(sd, 0.02 / std::sqrt(3.5));
    }
    const Eigen::VectorXd raw = Surrogate::log_targets(*o.find(center)), fit = Surrogate::log_targets(e.profile);
    for (Eigen::Index t = 0; t < truth.size(); t += 2) {  // log times
      err_raw += std::pow(raw[t] - truth[t], 2), err_fit += std::pow(fit[t] - truth[t], 2);
      bias_power += (fit[t + 1] - truth[t + 1]) / (seeds * truth.size() / 2.0);
    }
  }
  const double cells = seeds * truth.size() / 2.0;
  const double rms_raw = std::sqrt(err_raw / cells), rms_fit = std::sqrt(err_fit / cells);
  EXPECT_NEAR(rms_raw, 0.02, 0.002);  // one measurement: the noise
  // Variance alone would give ~0.45 of it; the fit's bias (curvature along the axes, ~0.5% here) adds some.
  EXPECT_LT(rms_fit, 0.7 * rms_raw) << rms_fit << " vs " << rms_raw;
  // Power: the bias of the linear fit where the target curves (why GMD's margins use an inflated sd).
  EXPECT_GT(bias_power, 0.01);
  EXPECT_LT(bias_power, 0.04);

  // Without a neighbour pair the fit adds nothing: the estimate is the measurement itself.
  ProfileOracle o = f.oracle(noise);
  o.measure(center);
  ModeLattice::Coords up = c;
  ++up[2];
  o.measure(f.lat.index(up));
  const ModeEstimate e = detail::local_fit_estimate(o, margins, center);
  EXPECT_EQ(e.profile.train.time_ms, o.find(center)->train.time_ms);
  EXPECT_DOUBLE_EQ(e.rel_sd[0], 0.02);
}

// With noise GMD spends its last measurements on a neighbour of its candidate answer and on re-measuring it,
// within its 15; without noise it measures nothing beyond its search.
TEST(CoschedGmdLocal, GmdMeasuresANeighbourOfItsAnswerWithinItsBudget) {
  const test::SyntheticProblem f;
  const Budget b{/*arrival_rate_per_s=*/20, /*latency_ms=*/400, /*power_w=*/28};
  ProfileOracle noisy = f.oracle({0.02, 0.02, 3});
  const Plan p = plan_gmd(noisy, b, 15, margins_for(noisy.noise(), 1.0));
  EXPECT_EQ(p.measurements, 15);
  EXPECT_EQ(p.measurements, noisy.measurements());
  bool neighbour_measured = false;
  for (size_t i : detail::lattice_neighbours(f.lat, p.choice.mode_index)) neighbour_measured |= noisy.measured(i);
  EXPECT_TRUE(neighbour_measured);
  ProfileOracle clean = f.oracle();
  const Plan q = plan_gmd(clean, b, 15, Margins{});
  EXPECT_EQ(q.measurements, q.profiled_modes);
}

}  // namespace
}  // namespace modewise::cosched
