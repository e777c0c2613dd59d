#include "cosched/additive.h"

#include <cmath>

#include <Eigen/Dense>

#include "modewise/util/error.h"

namespace modewise::cosched::detail {

AdditiveModel::AdditiveModel(const ModeLattice& lattice, bool log_coordinates, double smoothness,
                             double interaction_penalty)
    : lattice_(lattice) {
  params_ = 1;
  for (int a = 0; a < ModeLattice::kAxes; ++a) {
    offset_.push_back(params_);
    params_ += lattice.levels(a);
  }
  inter_ = params_;
  params_ += 6;
  unit_.resize(lattice.size());
  coords_.resize(lattice.size());
  for (size_t i = 0; i < lattice.size(); ++i) {
    const auto c = coords_[i] = lattice.coords(i);
    for (int a = 0; a < ModeLattice::kAxes; ++a) {
      auto u = [&](int l) { return log_coordinates ? std::log(lattice.value(a, l)) : lattice.value(a, l); };
      const int n = lattice.levels(a);
      unit_[i][a] = n > 1 ? (u(c[a]) - u(0)) / (u(n - 1) - u(0)) : 0.0;
    }
  }
  prior_ = Eigen::MatrixXd::Zero(params_, params_);
  for (int k = 0; k < 6; ++k) prior_(inter_ + k, inter_ + k) = interaction_penalty;
  for (int a = 0; a < ModeLattice::kAxes; ++a) {
    const int n = lattice.levels(a);
    auto u = [&](int l) { return log_coordinates ? std::log(lattice.value(a, l)) : lattice.value(a, l); };
    const double span = std::max(1e-9, std::abs(u(n - 1) - u(0)));
    for (int l = 1; l + 1 < n; ++l) {
      // Second divided difference in the normalized coordinate, as a row of D.
      const double h0 = (u(l) - u(l - 1)) / span, h1 = (u(l + 1) - u(l)) / span;
      Eigen::VectorXd d = Eigen::VectorXd::Zero(params_);
      d[offset_[a] + l - 1] = 1.0 / h0;
      d[offset_[a] + l] = -1.0 / h0 - 1.0 / h1;
      d[offset_[a] + l + 1] = 1.0 / h1;
      d *= 2.0 / (h0 + h1);
      prior_ += smoothness * 1e-3 * d * d.transpose();
    }
  }
  // A tiny ridge keeps the system definite (the intercept and axis levels trade off freely otherwise).
  prior_.diagonal().array() += 1e-8;
  prior_(0, 0) = 1e-12;
}

void AdditiveModel::fit(const std::vector<size_t>& modes, const Eigen::MatrixXd& y) {
  MW_CHECK(!modes.empty() && y.rows() == static_cast<Eigen::Index>(modes.size()));
  Eigen::MatrixXd xtx = prior_;
  Eigen::MatrixXd xty = Eigen::MatrixXd::Zero(params_, y.cols());
  for (size_t r = 0; r < modes.size(); ++r) {
    Eigen::VectorXd x = row(modes[r]);
    xtx += x * x.transpose();
    xty += x * y.row(static_cast<Eigen::Index>(r));
  }
  coef_ = xtx.ldlt().solve(xty);
}

Eigen::VectorXd AdditiveModel::row(size_t mode) const {
  const auto c = lattice_.coords(mode);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(params_);
  x[0] = 1.0;
  for (int a = 0; a < ModeLattice::kAxes; ++a) x[offset_[a] + c[a]] = 1.0;
  int k = inter_;
  for (int a = 0; a < ModeLattice::kAxes; ++a)
    for (int b = a + 1; b < ModeLattice::kAxes; ++b) x[k++] = (1.0 - unit_[mode][a]) * (1.0 - unit_[mode][b]);
  return x;
}

Eigen::VectorXd AdditiveModel::predict(size_t mode) const { return coef_.transpose() * row(mode); }

double AdditiveModel::predict_one(size_t mode, Eigen::Index t) const {
  const auto& c = coords_[mode];
  const auto& u = unit_[mode];
  double v = coef_(0, t);
  for (int a = 0; a < ModeLattice::kAxes; ++a) v += coef_(offset_[a] + c[a], t);
  int k = inter_;
  for (int a = 0; a < ModeLattice::kAxes; ++a)
    for (int b = a + 1; b < ModeLattice::kAxes; ++b) v += (1.0 - u[a]) * (1.0 - u[b]) * coef_(k++, t);
  return v;
}

}  // namespace modewise::cosched::detail
