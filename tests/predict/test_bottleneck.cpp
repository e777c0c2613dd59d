// The bottleneck prior of the gp transfer (include/modewise/predict/bottleneck.h): the parametric time fit recovers
// a known bottleneck function, NNLS and the power shape recover known coefficients and voltage curves, a structured
// transfer round-trips through JSON, and malformed fields are named. Data: synthetic formulas, not measurements.
#include <cmath>
#include <functional>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "modewise/device/grid.h"
#include "modewise/predict/bottleneck.h"
#include "modewise/predict/train.h"
#include "modewise/util/error.h"
#include "predict/loader_bound.h"
#include "predict/synthetic.h"

using namespace modewise;
using namespace modewise::predict;
using modewise::test::sample_grid;
using modewise::test::synthetic_rows;
using modewise::test::SyntheticWorkload;

using modewise::test::orin;
using modewise::test::error_of;
using modewise::test::loader_share;

namespace {

// A launch-bound workload at low CPU clocks, GPU-bound (two roofline classes) at low GPU and memory clocks.
BottleneckTime known_time() {
  BottleneckTime t;
  t.workers = 4;
  t.p = {std::log(20.0), std::log(30.0), std::log(10.0), std::log(5.0), std::log(1.0),
         std::log(0.3 / 0.7), std::log(60.0), std::log(8.0), std::log(12.0)};
  return t;
}

Eigen::VectorXd log_times(const BottleneckTime& t, const std::vector<device::PowerMode>& modes, double noise,
                          uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n(0, noise);
  Eigen::VectorXd y = t.predict_log(modes);
  for (Eigen::Index i = 0; i < y.size(); ++i) y(i) += noise > 0 ? n(rng) : 0;
  return y;
}

}  // namespace

TEST(BottleneckPrior, TimeFitRecoversAKnownBottleneckFunction) {
  const BottleneckTime truth = known_time();
  const auto train = sample_grid(orin(), 40, 5);
  const auto test = sample_grid(orin(), 400, 77);
  double rms = 0;
  BottleneckTime fit = BottleneckTime::fit(train, log_times(truth, train, 0, 1), 4, &rms);
  EXPECT_LT(rms, 1e-3);
  const Eigen::VectorXd err = fit.predict_log(test) - truth.predict_log(test);
  EXPECT_LT(err.cwiseAbs().maxCoeff(), 0.02);  // within 2% on 400 modes it never saw
  // The host launch term (binding at low CPU clocks) is identified.
  EXPECT_NEAR(std::exp(fit.p[0]), 20.0, 0.5);
  // With 1% noise the fit still follows the function.
  BottleneckTime noisy = BottleneckTime::fit(train, log_times(truth, train, 0.01, 2), 4);
  const Eigen::VectorXd err2 = noisy.predict_log(test) - truth.predict_log(test);
  EXPECT_LT(std::sqrt(err2.squaredNorm() / static_cast<double>(err2.size())), 0.02);
}

TEST(BottleneckPrior, NnlsRecoversNonNegativeCoefficients) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.1, 2.0);
  Eigen::MatrixXd a(4, 30);
  for (Eigen::Index i = 0; i < a.size(); ++i) a.data()[i] = u(rng);
  Eigen::VectorXd c(4);
  c << 1.5, 0, 0.25, 3;
  Eigen::VectorXd y = a.transpose() * c;
  Eigen::VectorXd got = nnls(a, y, Eigen::VectorXd::Ones(30));
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(got(k), c(k), 1e-8);
  // A target that wants a negative coefficient gets zero there, never a negative one.
  Eigen::VectorXd y2 = a.transpose() * Eigen::Vector4d(1, -1, 1, 1);
  Eigen::VectorXd got2 = nnls(a, y2, Eigen::VectorXd::Ones(30));
  EXPECT_GE(got2.minCoeff(), 0.0);
  EXPECT_EQ(got2(1), 0.0);
}

TEST(BottleneckPrior, PowerShapeRecoversVoltageCurvesAndCoefficients) {
  const BottleneckTime t = known_time();
  const auto modes = sample_grid(orin(), 300, 9);
  const Eigen::VectorXd lt = t.predict_log(modes);
  PowerShape truth;
  truth.cpu = {0.6, 0.25};
  truth.gpu = {0.8, 0.55};
  truth.coef.resize(kPowerBases);
  truth.coef << 4, 0.3, 0.1, 1.5, 2, 0.8, 1.2, 9, 0.5, 0.2;
  Eigen::VectorXd p = bottleneck_power_bases(t, truth, orin(), modes, lt).transpose() * truth.coef;
  PowerShape fit = fit_power_shape(t, orin(), modes, lt, p.array().log().matrix());
  EXPECT_LT(fit.fit_rms, 1e-6);
  EXPECT_DOUBLE_EQ(fit.cpu.floor, 0.6);
  EXPECT_DOUBLE_EQ(fit.cpu.knee, 0.25);
  EXPECT_DOUBLE_EQ(fit.gpu.floor, 0.8);
  EXPECT_DOUBLE_EQ(fit.gpu.knee, 0.55);
  for (int k = 0; k < kPowerBases; ++k) EXPECT_NEAR(fit.coef(k), truth.coef(k), 1e-3 * (1 + truth.coef(k))) << k;
}

TEST(BottleneckPrior, StructuredTransferRoundTripsThroughJson) {
  const auto ref_rows = synthetic_rows(orin(), SyntheticWorkload{}, sample_grid(orin(), 300, 1));
  FitOptions f;
  f.method = "poly";  // a quick reference
  const PerfModel ref = fit_model(orin(), ref_rows, f, "ref.csv");
  SyntheticWorkload w;
  w.name = "other";
  w.gpu_work = 150;
  w.launch = 20;
  const auto few = synthetic_rows(orin(), w, sample_grid(orin(), 20, 3));
  TransferOptions o;
  o.prior = "bottleneck";
  PerfModel m = transfer_model(ref, orin(), few, o);
  EXPECT_EQ(m.time->kind(), "bottleneck+gp");
  EXPECT_EQ(m.power->kind(), "bottleneck+gp");
  const auto modes = sample_grid(orin(), 200, 99);
  PerfModel back = PerfModel::from_json(nlohmann::json::parse(m.to_json().dump()), "m.json");
  Predictions a = m.predict(orin(), modes), b = back.predict(orin(), modes);
  for (size_t i = 0; i < modes.size(); ++i) {
    ASSERT_NEAR(a.time_ms[i], b.time_ms[i], 1e-6 * a.time_ms[i]);
    ASSERT_NEAR(a.power_w[i], b.power_w[i], 1e-6 * a.power_w[i]);
  }
  // prior none gives the plain gp correction (the model files of earlier versions)
  o.prior = "none";
  PerfModel plain = transfer_model(ref, orin(), few, o);
  EXPECT_EQ(plain.time->kind(), "gp");
  EXPECT_EQ(plain.power->kind(), "gp");
  o.prior = "sometimes";
  EXPECT_THROW(transfer_model(ref, orin(), few, o), UsageError);

  // Malformed fields are named.
  const nlohmann::json good = m.to_json();
  auto error_after = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = good;
    edit(j);
    return error_of([&] { PerfModel::from_json(j, "m.json"); });
  };
  std::string e = error_after([](nlohmann::json& j) { j["targets"]["time_ms"]["model"]["time_prior"].erase("log_launch"); });
  EXPECT_NE(e.find("time_prior: missing field 'log_launch'"), std::string::npos) << e;
  e = error_after([](nlohmann::json& j) { j["targets"]["power_w"]["model"]["power_prior"]["coefficients"]["static"] = -1; });
  EXPECT_NE(e.find("power_prior.coefficients.static: expected a non-negative number"), std::string::npos) << e;
  e = error_after([](nlohmann::json& j) { j["targets"]["power_w"]["model"]["power_prior"]["gpu_voltage"]["floor"] = 2; });
  EXPECT_NE(e.find("gpu_voltage.floor: expected a number in (0, 1]"), std::string::npos) << e;
  e = error_after([](nlohmann::json& j) { j["targets"]["time_ms"]["model"]["target"] = "energy"; });
  EXPECT_NE(e.find(".target: expected \"time\" or \"power\""), std::string::npos) << e;
  e = error_after([](nlohmann::json& j) { j["targets"]["time_ms"]["model"]["correction"]["inputs"]["offset"] = "base_time"; });
  EXPECT_NE(e.find("correction.inputs.offset: expected \"prior_time\""), std::string::npos) << e;
  e = error_after([](nlohmann::json& j) { j["targets"]["time_ms"]["model"]["time_prior"]["log_fixed"] = 1e300; });
  EXPECT_NE(e.find("time_prior.log_fixed: expected a number in [-50, 50]"), std::string::npos) << e;
  e = error_after([](nlohmann::json& j) { j["targets"]["time_ms"]["model"]["workers"] = 0; });
  EXPECT_NE(e.find("workers: expected a positive integer"), std::string::npos) << e;
}

TEST(BottleneckPrior, LeaveOneOutRefitSeesAModeOnlyItDetermines) {
  // 15 modes where the DataLoader term is far from the bottleneck, and one loader-bound mode: the fit on all 16
  // fits it, the fit without it cannot know the loader term (the check `auto` relies on).
  SyntheticWorkload w;
  w.loader = 390;
  std::vector<device::PowerMode> modes;
  Eigen::Index special = -1;
  for (const auto& m : sample_grid(orin(), 2000, 4)) {
    const double s = loader_share(w, m);
    if (s < 0.5 && modes.size() - (special >= 0 ? 1 : 0) < 15) modes.push_back(m);
    if (s > 0.999 && special < 0) {
      special = static_cast<Eigen::Index>(modes.size());
      modes.push_back(m);
    }
  }
  ASSERT_EQ(modes.size(), 16u);
  ASSERT_GE(special, 0);
  Eigen::VectorXd y(16);
  for (size_t i = 0; i < modes.size(); ++i)
    y(static_cast<Eigen::Index>(i)) = std::log(modewise::test::synthetic_row(orin(), w, modes[i]).time_ms);
  double rms = 1;
  const BottleneckTime full = BottleneckTime::fit(modes, y, 4, &rms);
  EXPECT_LT(std::abs(full.predict_log(modes)(special) - y(special)), 0.05);
  const Eigen::MatrixXd loo = BottleneckTime::loo_predict_log(modes, y, 4);
  ASSERT_EQ(loo.rows(), 16);
  ASSERT_EQ(loo.cols(), 16);
  // without the loader-bound mode its time is missed by far more than the full fit's error there
  EXPECT_GT(std::abs(loo(special, special) - y(special)), 0.15);
  // an ordinary mode is predicted from the others
  int ordinary_close = 0;
  for (Eigen::Index i = 0; i < 16; ++i)
    if (i != special && std::abs(loo(i, i) - y(i)) < 0.1) ++ordinary_close;
  EXPECT_GE(ordinary_close, 12);
}

TEST(BottleneckPrior, AutoKeepsThePlainCorrectionWhereThePriorWouldExtrapolate) {
  // The reference knows a DataLoader-bound regime; NEW is the same workload 1.3x slower, profiled only at modes
  // where the loader is not the bottleneck. The prior fits those modes exactly but cannot know the loader term;
  // the plain correction (a constant factor on the reference) can. auto must not pick the prior.
  const auto& pair = modewise::test::loader_bound_case();
  const PerfModel& ref = pair.reference;
  const SyntheticWorkload& w = pair.slower;
  std::vector<device::PowerMode> few_modes, bound;
  for (const auto& m : sample_grid(orin(), 2000, 8)) {
    const double s = loader_share(w, m);
    if (s < 0.5 && few_modes.size() < 20) few_modes.push_back(m);
    if (s > 0.999 && bound.size() < 200) bound.push_back(m);
  }
  ASSERT_EQ(few_modes.size(), 20u);
  ASSERT_GE(bound.size(), 50u);
  const auto few = synthetic_rows(orin(), w, few_modes);
  std::vector<double> truth;
  for (const auto& m : bound) truth.push_back(modewise::test::synthetic_row(orin(), w, m).time_ms);
  auto mape = [&](const std::string& prior) {
    TransferOptions o;
    o.prior = prior;
    PerfModel m = transfer_model(ref, orin(), few, o);
    return modewise::test::mape_pct(m.predict(orin(), bound).time_ms, truth);
  };
  const double none = mape("none"), prior = mape("bottleneck"), automatic = mape("auto");
  ASSERT_GT(prior, 2 * none + 5) << "the prior should extrapolate badly here";
  EXPECT_LE(automatic, none + 0.5) << "none " << none << ", bottleneck " << prior;
}
