// The MLP: finite-difference gradient check, training on a known function, determinism, JSON round trip.
#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "modewise/predict/mlp.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::predict;

namespace {

template <typename M>
M random_matrix(Eigen::Index rows, Eigen::Index cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n(0, 1);
  M m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<typename M::Scalar>(n(rng));
  return m;
}

}  // namespace

TEST(Mlp, GradientMatchesFiniteDifferences) {
  using Net = BasicMlp<double>;
  MlpArch arch;
  arch.hidden = {7, 5, 3};
  arch.dropout = {0.4, 0.3};  // dropout is off without an rng: the check sees the deterministic network
  Net net(4, arch, 42);
  for (auto& l : net.layers()) l.b = random_matrix<Net::Matrix>(l.b.size(), 1, 3) * 0.1;
  Net::Matrix x = random_matrix<Net::Matrix>(4, 11, 5);
  Net::RowVector y = random_matrix<Net::Matrix>(1, 11, 6);
  std::vector<Net::Layer> grad;
  double loss = net.loss_and_gradient(x, y, grad, nullptr);
  EXPECT_NEAR(loss, net.loss(x, y), 1e-12);
  const double h = 1e-6;
  int checked = 0;
  for (size_t l = 0; l < net.depth(); ++l) {
    auto check = [&](double& param, double analytic) {
      double saved = param;
      param = saved + h;
      double up = net.loss(x, y);
      param = saved - h;
      double down = net.loss(x, y);
      param = saved;
      double numeric = (up - down) / (2 * h);
      EXPECT_NEAR(analytic, numeric, 1e-6 + 1e-4 * std::abs(numeric)) << "layer " << l;
      ++checked;
    };
    auto& layer = net.layers()[l];
    for (Eigen::Index i = 0; i < layer.w.size(); ++i) check(layer.w.data()[i], grad[l].w.data()[i]);
    for (Eigen::Index i = 0; i < layer.b.size(); ++i) check(layer.b.data()[i], grad[l].b.data()[i]);
  }
  EXPECT_EQ(static_cast<size_t>(checked), net.parameter_count());
}

TEST(Mlp, LearnsASmoothFunction) {
  // y = sin(x0) + x1^2 / 2 on 400 points: the trained network must beat the constant predictor by far.
  Eigen::MatrixXf x = random_matrix<Eigen::MatrixXf>(2, 400, 7);
  Eigen::RowVectorXf y(400);
  for (int i = 0; i < 400; ++i) y(i) = std::sin(x(0, i)) + 0.5f * x(1, i) * x(1, i);
  float var = (y.array() - y.mean()).square().mean();
  MlpArch arch;
  arch.hidden = {32, 32};
  arch.dropout = {};
  Mlp net(2, arch, 1);
  TrainOptions opt;
  opt.epochs = 150;
  opt.patience = 30;
  TrainReport rep = train_mlp(net, x, y, opt);
  EXPECT_GT(rep.epochs_run, 0);
  EXPECT_LT(net.loss(x, y), 0.05f * var);
}

TEST(Mlp, TrainingIsDeterministicForASeed) {
  Eigen::MatrixXf x = random_matrix<Eigen::MatrixXf>(3, 100, 9);
  Eigen::RowVectorXf y = x.row(0) - 2 * x.row(2);
  auto run = [&](uint64_t seed) {
    Mlp net(3, MlpArch{}, seed);
    TrainOptions opt;
    opt.epochs = 5;
    opt.seed = seed;
    train_mlp(net, x, y, opt);
    return net.predict(x);
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

TEST(Mlp, FrozenLayersDoNotMove) {
  Eigen::MatrixXf x = random_matrix<Eigen::MatrixXf>(4, 64, 2);
  Eigen::RowVectorXf y = x.row(1);
  Mlp net(4, MlpArch{}, 5);
  auto before = net.layers();
  TrainOptions opt;
  opt.epochs = 3;
  opt.first_trainable_layer = 2;
  train_mlp(net, x, y, opt);
  EXPECT_EQ(net.layers()[0].w, before[0].w);
  EXPECT_EQ(net.layers()[1].b, before[1].b);
  EXPECT_NE(net.layers()[3].w, before[3].w);
}

TEST(Mlp, JsonRoundTripPredictsTheSame) {
  Mlp net(4, MlpArch{}, 11);
  Eigen::MatrixXf x = random_matrix<Eigen::MatrixXf>(4, 20, 1);
  Mlp back = Mlp::from_json(nlohmann::json::parse(net.to_json().dump()), "test");
  EXPECT_TRUE(back.predict(x).isApprox(net.predict(x), 1e-6f));
  EXPECT_EQ(back.dropout(), net.dropout());
}

TEST(Mlp, MalformedJsonNamesTheField) {
  nlohmann::json j = Mlp(4, MlpArch{}, 1).to_json();
  j["layers"][1]["in"] = 17;
  try {
    Mlp::from_json(j, "m.json: time.net");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("m.json: time.net.layers[1]"), std::string::npos) << e.what();
  }
  j = Mlp(4, MlpArch{}, 1).to_json();
  j["layers"][0]["w"].erase(0);
  EXPECT_THROW(Mlp::from_json(j, "x"), Error);
}

TEST(MlpArch, ParsesAndRejects) {
  MlpArch a = MlpArch::parse("64,32", "0.1");
  EXPECT_EQ(a.hidden, (std::vector<int>{64, 32}));
  EXPECT_EQ(a.dropout, (std::vector<double>{0.1}));
  EXPECT_THROW(MlpArch::parse("64,x", ""), UsageError);
  EXPECT_THROW(MlpArch::parse("64", "1.5"), UsageError);
  EXPECT_THROW(MlpArch::parse("0", ""), UsageError);
}
