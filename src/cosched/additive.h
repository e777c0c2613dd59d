// An additive model over the mode lattice, the local "gradient" model of GMD: target(x) = c + sum over axes
// of theta_a[level_a], fitted by least squares with a smoothness prior (second divided differences along each
// axis, in the axis's physical coordinate) so that a single step measured along an axis extrapolates as a
// straight line. Time is modelled in log space against log clock (a power law per axis), power linearly
// against the clock.
#pragma once
#include <array>
#include <vector>

#include <Eigen/Core>

#include "modewise/cosched/oracle.h"

namespace modewise::cosched::detail {

class AdditiveModel {
 public:
  // log_coordinates: the axis coordinate is log(value) (else value).
  AdditiveModel(const ModeLattice& lattice, bool log_coordinates, double smoothness = 1.0,
                double interaction_penalty = 0.1);
  // Fit several targets (columns of y) at once from the profiled modes (rows).
  void fit(const std::vector<size_t>& modes, const Eigen::MatrixXd& y);
  // Prediction of every target at a lattice point.
  Eigen::VectorXd predict(size_t mode) const;
  // One target at one lattice point, without allocating.
  double predict_one(size_t mode, Eigen::Index target) const;

 private:
  Eigen::VectorXd row(size_t mode) const;  // the design row of a lattice point

  const ModeLattice& lattice_;
  std::vector<int> offset_;  // first parameter of each axis (after the intercept)
  int inter_ = 0;            // first of the 6 pairwise interaction parameters
  std::vector<std::array<double, ModeLattice::kAxes>> unit_;  // per lattice point: normalized coordinates
  std::vector<ModeLattice::Coords> coords_;                    // per lattice point
  int params_ = 0;
  Eigen::MatrixXd prior_;    // smoothness penalty D'D
  Eigen::MatrixXd coef_;     // params x targets
};

}  // namespace modewise::cosched::detail
