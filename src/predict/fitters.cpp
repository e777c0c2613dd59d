#include "predict/fitters.h"

#include <cmath>

#include <Eigen/Cholesky>

#include "modewise/util/error.h"

namespace modewise::predict::detail {

namespace {
Eigen::RowVectorXf standardized_target(const Eigen::VectorXd& log_y, const TargetScale& s) {
  return ((log_y.array() - s.mean) / s.sd).matrix().transpose().cast<float>();
}
}  // namespace

MlpTarget fit_mlp_target(FeatureCache& fc, const Eigen::VectorXd& log_y, const FeatureSet& fs, const MlpArch& arch,
                         const TrainOptions& opt) {
  MlpTarget t;
  t.features = fs;
  const Eigen::MatrixXd& raw = fc.get(fs);
  t.input = Scaler::fit(raw);
  t.target = TargetScale::fit(log_y);
  t.net = Mlp(static_cast<int>(raw.rows()), arch, opt.seed);
  train_mlp(t.net, t.input.apply(raw).cast<float>(), standardized_target(log_y, t.target), opt);
  return t;
}

MlpTarget finetune_mlp_target(const MlpTarget& base, FeatureCache& fc, const Eigen::VectorXd& log_y, bool new_head,
                              const TrainOptions& opt) {
  MlpTarget t = base;
  if (new_head) {
    t.target = TargetScale::fit(log_y);
    t.net.reinit_layer(t.net.depth() - 1, opt.seed ^ 0x9e3779b97f4a7c15ULL);
  }
  train_mlp(t.net, t.standardized_inputs(fc), standardized_target(log_y, t.target), opt);
  return t;
}

RidgeTarget fit_ridge_target(FeatureCache& fc, const Eigen::VectorXd& log_y, const FeatureSet& fs, int degree) {
  MW_CHECK(degree >= 1 && degree <= 3 && log_y.size() > 1);
  RidgeTarget t;
  t.features = fs;
  t.degree = degree;
  const Eigen::MatrixXd& raw = fc.get(fs);
  t.input = Scaler::fit(raw);
  Eigen::MatrixXd x = RidgeTarget::expand(t.input.apply(raw), degree);  // terms x n
  const double n = static_cast<double>(x.cols());
  Eigen::VectorXd x_mean = x.rowwise().mean();
  x.colwise() -= x_mean;
  const double y_mean = log_y.mean();
  Eigen::VectorXd yc = log_y.array() - y_mean;
  Eigen::MatrixXd gram = x * x.transpose();
  Eigen::VectorXd xy = x * yc;
  const double scale = std::max(gram.trace() / static_cast<double>(gram.rows()), 1e-12);
  double best_err = INFINITY;
  Eigen::VectorXd best_w;
  for (int e = -9; e <= 1; ++e) {
    const double lambda = scale * std::pow(10.0, e);
    Eigen::MatrixXd a = gram;
    a.diagonal().array() += lambda;
    Eigen::LDLT<Eigen::MatrixXd> ldlt(a);
    Eigen::VectorXd w = ldlt.solve(xy);
    Eigen::MatrixXd mx = ldlt.solve(x);  // terms x n
    Eigen::ArrayXd h = (x.array() * mx.array()).colwise().sum().transpose() + 1.0 / n;
    Eigen::ArrayXd resid = yc.array() - (x.transpose() * w).array();
    double err = (resid / (1.0 - h).max(1e-6)).square().mean();
    if (std::isfinite(err) && err < best_err) {
      best_err = err;
      best_w = w;
      t.lambda = lambda;
    }
  }
  MW_CHECK(best_w.size() == x.rows());
  t.coef.resize(best_w.size() + 1);
  t.coef(0) = y_mean - x_mean.dot(best_w);
  t.coef.tail(best_w.size()) = best_w;
  return t;
}

}  // namespace modewise::predict::detail
