// Smoothing noisy measurements over the mode lattice (planner.h, estimate_measured): a Gaussian process on
// the residuals of a parametric mean. Internal to the cosched module.
#pragma once
#include <vector>

#include <Eigen/Core>

#include "modewise/cosched/oracle.h"

namespace modewise::cosched::detail {

// y: one row per measured mode (`modes`), one column per target; noise_var: the known noise variance of each
// value (same shape); prior_mean: the parametric mean at each measured mode (same shape). Per target, a GP
// with a squared-exponential kernel in the normalized log coordinates of the lattice (cores, CPU, GPU, EMC
// scaled to [0, 1]) models y - prior_mean; its signal variance is the residual variance not explained by the
// noise, its length scale the one of a small ladder with the best leave-one-out predictive density. Returns
// the posterior mean and variance of the noise-free value at each measured mode (var <= noise_var).
void gp_smooth(const ModeLattice& lattice, const std::vector<size_t>& modes, const Eigen::MatrixXd& y,
               const Eigen::MatrixXd& noise_var, const Eigen::MatrixXd& prior_mean, Eigen::MatrixXd& mean,
               Eigen::MatrixXd& var);

}  // namespace modewise::cosched::detail
