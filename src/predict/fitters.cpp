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

RidgeFit ridge_loo(const Eigen::MatrixXd& x_in, const Eigen::VectorXd& y) {
  MW_CHECK(x_in.cols() == y.size() && y.size() > 1);
  Eigen::MatrixXd x = x_in;
  const double n = static_cast<double>(x.cols());
  Eigen::VectorXd x_mean = x.rowwise().mean();
  x.colwise() -= x_mean;
  const double y_mean = y.mean();
  Eigen::VectorXd yc = y.array() - y_mean;
  Eigen::MatrixXd gram = x * x.transpose();
  Eigen::VectorXd xy = x * yc;
  const double scale = std::max(gram.trace() / static_cast<double>(std::max<Eigen::Index>(gram.rows(), 1)), 1e-12);
  RidgeFit best;
  best.loo_mse = INFINITY;
  for (int e = -9; e <= 2; ++e) {
    const double lambda = scale * std::pow(10.0, e);
    Eigen::MatrixXd a = gram;
    a.diagonal().array() += lambda;
    Eigen::LDLT<Eigen::MatrixXd> ldlt(a);
    Eigen::VectorXd w = ldlt.solve(xy);
    Eigen::MatrixXd mx = ldlt.solve(x);  // terms x n
    Eigen::ArrayXd h = (x.array() * mx.array()).colwise().sum().transpose() + 1.0 / n;
    Eigen::ArrayXd resid = yc.array() - (x.transpose() * w).array();
    double err = (resid / (1.0 - h).max(1e-6)).square().mean();
    if (std::isfinite(err) && err < best.loo_mse) {
      best.loo_mse = err;
      best.w = w;
      best.lambda = lambda;
    }
  }
  MW_CHECK(best.w.size() == x.rows());
  best.intercept = y_mean - x_mean.dot(best.w);
  return best;
}

MlpTarget ridge_head(const MlpTarget& base, FeatureCache& fc, const Eigen::VectorXd& log_y) {
  MlpTarget t = base;
  t.target = TargetScale::fit(log_y);
  Eigen::MatrixXd h = t.net.last_hidden(t.standardized_inputs(fc)).cast<double>();
  RidgeFit fit = ridge_loo(h, (log_y.array() - t.target.mean) / t.target.sd);
  auto& out = t.net.layers().back();
  out.w = fit.w.transpose().cast<float>();
  out.b(0) = static_cast<float>(fit.intercept);
  return t;
}

RidgeTarget fit_ridge_target(FeatureCache& fc, const Eigen::VectorXd& log_y, const CorrectionInputs& in, int degree) {
  MW_CHECK(degree >= 1 && degree <= 3 && log_y.size() > 1);
  RidgeTarget t;
  t.inputs = in;
  t.degree = degree;
  Eigen::MatrixXd raw = in.gather(fc);
  t.input = Scaler::fit(raw);
  RidgeFit fit = ridge_loo(RidgeTarget::expand(t.input.apply(raw), degree), log_y - in.offset_values(fc));
  t.lambda = fit.lambda;
  t.coef.resize(fit.w.size() + 1);
  t.coef(0) = fit.intercept;
  t.coef.tail(fit.w.size()) = fit.w;
  return t;
}

}  // namespace modewise::predict::detail
