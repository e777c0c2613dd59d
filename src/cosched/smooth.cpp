#include "cosched/smooth.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <Eigen/Cholesky>
#include <Eigen/Dense>

#include "modewise/util/error.h"

namespace modewise::cosched::detail {

namespace {
constexpr double kLengthScales[] = {0.15, 0.3, 0.6};
}

void gp_smooth(const ModeLattice& lat, const std::vector<size_t>& modes, const Eigen::MatrixXd& y,
               const Eigen::MatrixXd& noise_var, const Eigen::MatrixXd& prior_mean, Eigen::MatrixXd& mean,
               Eigen::MatrixXd& var) {
  const Eigen::Index n = static_cast<Eigen::Index>(modes.size()), T = y.cols();
  MW_CHECK(y.rows() == n && noise_var.rows() == n && prior_mean.rows() == n);
  // Normalized log coordinates.
  std::vector<std::array<double, ModeLattice::kAxes>> x(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto c = lat.coords(modes[i]);
    for (int a = 0; a < ModeLattice::kAxes; ++a) {
      const int L = lat.levels(a);
      const double lo = std::log(lat.value(a, 0)), hi = std::log(lat.value(a, L - 1));
      x[i][a] = L > 1 && hi > lo ? (std::log(lat.value(a, c[a])) - lo) / (hi - lo) : 0.0;
    }
  }
  Eigen::MatrixXd d2(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) {
      double s = 0;
      for (int a = 0; a < ModeLattice::kAxes; ++a) s += (x[i][a] - x[j][a]) * (x[i][a] - x[j][a]);
      d2(i, j) = s;
    }
  const Eigen::MatrixXd r = y - prior_mean;
  mean = y;
  var = noise_var;
  Eigen::MatrixXd K(n, n), A(n, n);
  std::vector<double> best_score(T, -std::numeric_limits<double>::infinity());
  for (double ell : kLengthScales) {
    K = (-d2.array() / (2 * ell * ell)).exp().matrix();
    for (Eigen::Index t = 0; t < T; ++t) {
      const double signal = std::max(1e-10, r.col(t).squaredNorm() / n - noise_var.col(t).mean());
      A = signal * K;
      A.diagonal() += noise_var.col(t);
      Eigen::LLT<Eigen::MatrixXd> llt(A);
      if (llt.info() != Eigen::Success) continue;
      const Eigen::MatrixXd inv = llt.solve(Eigen::MatrixXd::Identity(n, n));
      const Eigen::VectorXd alpha = inv * r.col(t);
      // Leave-one-out predictive density (closed form): mean r_i - alpha_i / inv_ii, variance 1 / inv_ii.
      double score = 0;
      for (Eigen::Index i = 0; i < n; ++i) {
        const double v = 1.0 / inv(i, i), e = alpha[i] * v;
        score += -0.5 * std::log(v) - 0.5 * e * e / v;
      }
      if (!(score > best_score[t])) continue;
      best_score[t] = score;
      // Posterior of the noise-free values at the measured modes: f = y - N alpha, Cov = N - N inv N.
      for (Eigen::Index i = 0; i < n; ++i) {
        const double N = noise_var(i, t);
        mean(i, t) = y(i, t) - N * alpha[i];
        var(i, t) = std::max(1e-14, N - N * N * inv(i, i));
      }
    }
  }
}

}  // namespace modewise::cosched::detail
