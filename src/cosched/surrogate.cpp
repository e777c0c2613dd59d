#include "modewise/cosched/surrogate.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Dense>

#include "modewise/util/error.h"

namespace modewise::cosched {

namespace {
constexpr int kRaw = 4 + 4 + 4 + 6;  // logs, inverses, squared logs, pairwise products of logs
}

int Surrogate::feature_count() { return 1 + kRaw; }

Surrogate::Surrogate(const ModeLattice& lattice) {
  const size_t n = lattice.size();
  Eigen::MatrixXd raw(n, kRaw);
  double top[4];
  for (int a = 0; a < 4; ++a) top[a] = lattice.value(a, lattice.levels(a) - 1);
  for (size_t i = 0; i < n; ++i) {
    const auto c = lattice.coords(i);
    double lg[4];
    int k = 0;
    for (int a = 0; a < 4; ++a) {
      const double x = lattice.value(a, c[a]) / top[a];
      lg[a] = std::log(x);
      raw(i, k++) = lg[a];
      raw(i, 4 + a) = 1.0 / x;
    }
    k = 8;
    for (int a = 0; a < 4; ++a) raw(i, k++) = lg[a] * lg[a];
    for (int a = 0; a < 4; ++a)
      for (int b = a + 1; b < 4; ++b) raw(i, k++) = lg[a] * lg[b];
  }
  phi_.resize(n, 1 + kRaw);
  phi_.col(0).setOnes();
  for (int j = 0; j < kRaw; ++j) {
    const double m = raw.col(j).mean();
    const double sd = std::sqrt((raw.col(j).array() - m).square().mean());
    if (sd > 1e-12) phi_.col(1 + j) = ((raw.col(j).array() - m) / sd).matrix();
    else phi_.col(1 + j).setZero();
  }
}

Eigen::VectorXd Surrogate::log_targets(const ModeProfile& p) {
  Eigen::VectorXd t(2 + 2 * p.infer.size());
  t[0] = std::log(p.train.time_ms);
  t[1] = std::log(p.train.power_w);
  for (size_t k = 0; k < p.infer.size(); ++k) {
    t[2 + 2 * k] = std::log(p.infer[k].time_ms);
    t[3 + 2 * k] = std::log(p.infer[k].power_w);
  }
  return t;
}

ModeProfile Surrogate::from_log_targets(const Eigen::VectorXd& t) {
  ModeProfile p;
  p.train = {std::exp(t[0]), std::exp(t[1])};
  for (Eigen::Index k = 2; k + 1 < t.size(); k += 2) p.infer.push_back({std::exp(t[k]), std::exp(t[k + 1])});
  return p;
}

void Surrogate::fit(const std::vector<size_t>& modes, const Eigen::MatrixXd& y) {
  const Eigen::Index n = static_cast<Eigen::Index>(modes.size()), p = phi_.cols(), T = y.cols();
  MW_CHECK(n >= 2 && y.rows() == n);
  Eigen::MatrixXd X(n, p);
  for (Eigen::Index i = 0; i < n; ++i) X.row(i) = phi_.row(static_cast<Eigen::Index>(modes[i]));
  // Ridge with an unpenalized intercept; the penalty is picked per fit from a small ladder by the
  // closed-form leave-one-out error summed over targets.
  Eigen::MatrixXd best_inv;
  Eigen::MatrixXd best_coef;
  Eigen::VectorXd best_loo;
  double best_err = std::numeric_limits<double>::infinity();
  Eigen::MatrixXd penalty = Eigen::MatrixXd::Identity(p, p);
  penalty(0, 0) = 1e-9;
  const Eigen::MatrixXd xtx = X.transpose() * X, xty = X.transpose() * y;
  for (double lambda : {1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0}) {
    Eigen::MatrixXd inv = (xtx + lambda * penalty).ldlt().solve(Eigen::MatrixXd::Identity(p, p));
    Eigen::MatrixXd coef = inv * xty;
    Eigen::MatrixXd resid = y - X * coef;
    Eigen::VectorXd h = (X * inv).cwiseProduct(X).rowwise().sum();  // leverages
    Eigen::VectorXd loo = Eigen::VectorXd::Zero(T);
    for (Eigen::Index i = 0; i < n; ++i) {
      const double denom = std::max(1e-6, 1.0 - h[i]);
      loo += (resid.row(i).transpose() / denom).cwiseAbs2();
    }
    loo = (loo / static_cast<double>(n)).cwiseSqrt();
    const double err = loo.sum();
    if (err < best_err) best_err = err, best_inv = inv, best_coef = coef, best_loo = loo;
  }
  loo_rmse_ = best_loo;
  coef_ = std::move(best_coef);
  inv_ = std::move(best_inv);
}

void Surrogate::loo_predictions(const std::vector<size_t>& modes, const Eigen::MatrixXd& y, Eigen::MatrixXd& pred,
                                Eigen::VectorXd& leverage) const {
  const Eigen::Index n = static_cast<Eigen::Index>(modes.size());
  MW_CHECK(y.rows() == n && coef_.rows() == phi_.cols());
  pred.resize(n, y.cols());
  leverage.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto x = phi_.row(static_cast<Eigen::Index>(modes[i]));
    const double h = std::clamp((x * inv_).dot(x), 0.0, 1.0 - 1e-6);
    leverage[i] = h;
    // y_i - loo residual, with loo residual = residual / (1 - h)
    pred.row(i) = y.row(i) - (y.row(i) - x * coef_) / (1.0 - h);
  }
}

// Predictive sd: the LOO error scaled by the point's distance from the data, sqrt(1 + x' A^-1 x).
void Surrogate::predict(size_t mode, Eigen::VectorXd& mean, Eigen::VectorXd& sd) const {
  const auto x = phi_.row(static_cast<Eigen::Index>(mode));
  mean = (x * coef_).transpose();
  const double lev = (x * inv_).dot(x);
  sd = loo_rmse_ * std::sqrt(1.0 + std::max(0.0, lev));
}

void Surrogate::predict_all(Eigen::MatrixXd& mean, Eigen::MatrixXd& sd) const {
  mean = phi_ * coef_;
  Eigen::VectorXd lev = (phi_ * inv_).cwiseProduct(phi_).rowwise().sum();
  sd.resize(phi_.rows(), coef_.cols());
  for (Eigen::Index i = 0; i < phi_.rows(); ++i)
    sd.row(i) = loo_rmse_.transpose() * std::sqrt(1.0 + std::max(0.0, lev[i]));
}

}  // namespace modewise::cosched
