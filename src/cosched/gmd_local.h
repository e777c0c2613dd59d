// GMD's local fit under measurement noise (docs/COSCHED.md, "Noisy profiling"): the estimate of a measured mode
// combines its own measurement(s) with those of its measured lattice neighbours (one level away along one
// axis), through a linear model of every log target in the log physical coordinate of each axis. A neighbour on
// each side of an axis pins that axis's slope, so the fitted value at the mode averages the noise of three
// measurements instead of one; a neighbour on one side only fits its slope exactly and adds nothing.
#pragma once
#include <vector>

#include "modewise/cosched/planner.h"

namespace modewise::cosched::detail {

// The available lattice points one level away from `center` along one axis (at most 8).
std::vector<size_t> lattice_neighbours(const ModeLattice& lattice, size_t center);

// The local-fit estimate of one measured mode: per log target (Surrogate::log_targets order), weighted least
// squares (weights: times measured) of intercept + one slope per axis that has a measured neighbour, over the
// mode and its measured neighbours; the value is the intercept. Its relative sd is the propagated one (the noise
// sd times sqrt((X'WX)^-1 at the intercept)) times `sd_inflation` (the propagated sd ignores the fit's bias: the
// curvature of the target along an axis), but never more than the mode's own average's (noise sd / sqrt(n)).
// When the fit cannot lower the sd (no neighbour pair on any axis) the estimate is the measured average.
ModeEstimate local_fit_estimate(const ProfileOracle& oracle, const Margins& margins, size_t mode,
                                double sd_inflation = 1.0);

// Local-fit estimates of every measured mode (in measurement order); without noise, the measured values.
std::vector<ModeEstimate> local_fit_estimates(const ProfileOracle& oracle, const Margins& margins,
                                              double sd_inflation = 1.0);

}  // namespace modewise::cosched::detail
