// The non-MLP learners: ridge regression with leave-one-out penalty choice, boosted trees, Gaussian processes,
// feature sets and scaling.
#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "modewise/device/grid.h"
#include "modewise/predict/features.h"
#include "modewise/predict/target_model.h"
#include "modewise/util/error.h"
#include "predict/fitters.h"
#include "predict/synthetic.h"

using namespace modewise;
using namespace modewise::predict;
using modewise::test::orin;

TEST(Features, SetsHaveNamedColumns) {
  for (const auto& name : feature_set_names()) {
    FeatureSet fs{name, 4};
    auto x = compute_features(fs, orin(), {orin().maxn(), orin().min_mode()});
    EXPECT_EQ(static_cast<size_t>(x.rows()), feature_names(fs).size());
    EXPECT_TRUE(x.allFinite());
  }
  auto raw = compute_features(FeatureSet{"raw", 4}, orin(), {orin().maxn()});
  EXPECT_DOUBLE_EQ(raw(0, 0), 12);
  EXPECT_DOUBLE_EQ(raw(3, 0), 3.199);
  auto lg = compute_features(FeatureSet{"log", 4}, orin(), {orin().maxn()});
  EXPECT_NEAR(lg(4, 0), std::log(4 * 2.2016), 1e-12);  // min(12 cores, 4 workers) x CPU GHz
  EXPECT_THROW(check_feature_set("fourier"), UsageError);
}

TEST(Features, ScalerStandardizesAndKeepsConstantRows) {
  Eigen::MatrixXd x(2, 4);
  x << 1, 2, 3, 4, 5, 5, 5, 5;
  Scaler s = Scaler::fit(x);
  Eigen::MatrixXd z = s.apply(x);
  EXPECT_NEAR(z.row(0).mean(), 0, 1e-12);
  EXPECT_NEAR(std::sqrt(z.row(0).squaredNorm() / 4), 1, 1e-12);
  EXPECT_EQ(s.sd(1), 1.0);
  EXPECT_TRUE(z.row(1).isZero());
}

TEST(Ridge, RecoversALinearFunctionAndChoosesASmallPenalty) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n(0, 1);
  Eigen::MatrixXd x(3, 40);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = n(rng);
  Eigen::VectorXd y = (2 * x.row(0) - x.row(1) + 0.5 * x.row(2)).transpose().array() + 3.0;
  detail::RidgeFit f = detail::ridge_loo(x, y);
  EXPECT_NEAR(f.intercept, 3.0, 1e-3);
  EXPECT_NEAR(f.w(0), 2.0, 1e-3);
  EXPECT_NEAR(f.w(1), -1.0, 1e-3);
  EXPECT_LT(f.loo_mse, 1e-6);
}

TEST(Ridge, ExpansionCountsTerms) {
  Eigen::MatrixXd z = Eigen::MatrixXd::Ones(4, 2);
  EXPECT_EQ(RidgeTarget::expand(z, 1).rows(), 4);
  EXPECT_EQ(RidgeTarget::expand(z, 2).rows(), 4 + 10);
  EXPECT_EQ(RidgeTarget::expand(z, 3).rows(), 4 + 10 + 4);
}

class GbtEngine : public ::testing::TestWithParam<std::string> {};

// Both engines: modewise's own trees and XGBoost's (converted to the same node arrays).
TEST_P(GbtEngine, FitsAStepInCoresAndASmoothFunction) {
  if (GetParam() == "xgboost" && !detail::xgboost_available()) GTEST_SKIP() << "libxgboost is not installed";
  GbtOptions opt;
  opt.engine = GetParam();
  std::vector<device::PowerMode> modes = modewise::test::sample_grid(orin(), 300, 8);
  Eigen::VectorXd y(static_cast<Eigen::Index>(modes.size()));
  for (size_t i = 0; i < modes.size(); ++i) y(static_cast<Eigen::Index>(i)) = modes[i].cores >= 6 ? 1.0 : 0.0;
  FeatureCache fc(orin(), modes);
  GbtTarget t = detail::fit_gbt_target(fc, y, FeatureSet{"raw", 4}, opt);
  EXPECT_EQ(t.engine, GetParam());
  Eigen::VectorXd p = t.predict_log(fc);
  EXPECT_LT((p - y).cwiseAbs().maxCoeff(), 0.02);
  GbtTarget back = *GbtTarget::from_json(nlohmann::json::parse(t.to_json().dump()), "t");
  EXPECT_EQ(back.engine, GetParam());
  EXPECT_TRUE(back.predict_log(fc).isApprox(p));
  // A smooth function of the GPU clock: the trees must follow it on modes they did not see.
  for (size_t i = 0; i < modes.size(); ++i) y(static_cast<Eigen::Index>(i)) = std::log(modes[i].gpu_mhz);
  t = detail::fit_gbt_target(fc, y, FeatureSet{"raw", 4}, opt);
  std::vector<device::PowerMode> other = modewise::test::sample_grid(orin(), 200, 9);
  FeatureCache fo(orin(), other);
  Eigen::VectorXd po = t.predict_log(fo);
  for (size_t i = 0; i < other.size(); ++i)
    EXPECT_NEAR(po(static_cast<Eigen::Index>(i)), std::log(other[i].gpu_mhz), 0.15) << other[i].key();
}
INSTANTIATE_TEST_SUITE_P(Engines, GbtEngine, ::testing::Values("builtin", "xgboost"));

TEST(Gbt, UnknownEngineIsAUsageError) {
  std::vector<device::PowerMode> modes = modewise::test::sample_grid(orin(), 20, 8);
  FeatureCache fc(orin(), modes);
  GbtOptions opt;
  opt.engine = "lightgbm";
  EXPECT_THROW(detail::fit_gbt_target(fc, Eigen::VectorXd::Zero(20), FeatureSet{"raw", 4}, opt), UsageError);
}

TEST(Gbt, RejectsCyclicTrees) {
  nlohmann::json j = {{"kind", "gbt"}, {"features", {{"set", "raw"}, {"workers", 4}}}, {"base", 0},
                      {"trees", {{{"feature", {0, -1}}, {"threshold", {1, 0}}, {"left", {0, -1}}, {"right", {1, -1}},
                                  {"value", {0, 1}}}}}};
  EXPECT_THROW(GbtTarget::from_json(j, "t"), Error);
}

TEST(Gp, InterpolatesASmoothFunctionAndGeneralizes) {
  std::vector<device::PowerMode> train = modewise::test::sample_grid(orin(), 40, 2);
  std::vector<device::PowerMode> test = modewise::test::sample_grid(orin(), 400, 3);
  auto f = [](const device::PowerMode& m) {
    return std::log(50.0 / (m.gpu_mhz / 1000) + 10.0 / (m.emc_mhz / 1000) + 5.0 / (m.cpu_mhz / 1000));
  };
  Eigen::VectorXd y(40);
  for (int i = 0; i < 40; ++i) y(i) = f(train[static_cast<size_t>(i)]);
  FeatureCache fc(orin(), train);
  CorrectionInputs in;
  in.features = FeatureSet{"log", 4};
  GpTarget gp = detail::fit_gp_target(fc, y, in, detail::GpOptions{});
  EXPECT_LT((gp.predict_log(fc) - y).cwiseAbs().maxCoeff(), 0.01);
  FeatureCache ft(orin(), test);
  Eigen::VectorXd p = gp.predict_log(ft);
  double err = 0;
  for (size_t i = 0; i < test.size(); ++i) err += std::abs(std::exp(p(static_cast<Eigen::Index>(i)) - f(test[i])) - 1);
  EXPECT_LT(100 * err / test.size(), 3.0);
  EXPECT_TRUE(std::isfinite(gp.log_marginal_likelihood));
  GpTarget back = *GpTarget::from_json(nlohmann::json::parse(gp.to_json().dump()), "gp");
  EXPECT_TRUE(back.predict_log(ft).isApprox(p, 1e-9));
}

TEST(Gp, MissingSignalIsAClearError) {
  std::vector<device::PowerMode> modes = modewise::test::sample_grid(orin(), 20, 2);
  FeatureCache fc(orin(), modes);
  CorrectionInputs in;
  in.features = FeatureSet{"log", 4};
  in.signals = {"base_time"};
  EXPECT_THROW(in.gather(fc), Error);
}
