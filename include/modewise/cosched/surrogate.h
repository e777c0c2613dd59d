// The surrogate behind ALS (and the powertrain baseline when no reference model is given): Bayesian ridge
// regression in log space on physically informed features of a power mode (log and inverse of each
// normalized clock and of the core count, squares and pairwise products of the logs). One fit predicts every
// target at once (training time and power, inference time and power per batch size), with a predictive
// standard deviation calibrated by leave-one-out residuals on the profiled points.
#pragma once
#include <vector>

#include <Eigen/Core>

#include "modewise/cosched/oracle.h"

namespace modewise::cosched {

class Surrogate {
 public:
  explicit Surrogate(const ModeLattice& lattice);

  // Targets of a profile in a fixed order: log train time, log train power, then per batch size log
  // inference time and log inference power.
  static Eigen::VectorXd log_targets(const ModeProfile& p);
  static ModeProfile from_log_targets(const Eigen::VectorXd& t);  // the inverse

  // Fit on profiled modes (rows of log_y: one per mode, columns: targets). Chooses the ridge penalty by
  // leave-one-out error. Needs at least 2 modes.
  void fit(const std::vector<size_t>& modes, const Eigen::MatrixXd& log_y);
  // Mean and standard deviation of the log targets at one lattice point.
  void predict(size_t mode, Eigen::VectorXd& mean, Eigen::VectorXd& sd) const;
  // The same at every lattice point (lattice size x targets).
  void predict_all(Eigen::MatrixXd& mean, Eigen::MatrixXd& sd) const;
  // After fit(): the leave-one-out prediction of every target at each profiled mode (rows as in fit's
  // log_y: the fit without that mode, in closed form) and each mode's leverage (in [0, 1)).
  void loo_predictions(const std::vector<size_t>& modes, const Eigen::MatrixXd& log_y, Eigen::MatrixXd& pred,
                       Eigen::VectorXd& leverage) const;
  // Leave-one-out RMS error of each log target on the profiled modes.
  const Eigen::VectorXd& loo_rmse() const { return loo_rmse_; }

  static int feature_count();

 private:
  Eigen::MatrixXd phi_;  // lattice size x features (standardized, intercept first)
  Eigen::MatrixXd coef_;  // features x targets
  Eigen::MatrixXd inv_;   // (X'X + penalty)^-1
  Eigen::VectorXd loo_rmse_;
};

}  // namespace modewise::cosched
