// The local fit under measurement noise that GMD and ALS answer from (docs/COSCHED.md, "GMD's local fit", "ALS's
// local fit"): the estimate of a measured mode
// combines its own measurement(s) with those of its measured lattice neighbours (one level away along one
// axis), through a linear model of every log target in the log physical coordinate of each axis. A neighbour on
// each side of an axis pins that axis's slope, so the fitted value at the mode averages the noise of three
// measurements instead of one; a neighbour on one side only fits its slope exactly and adds nothing.
#pragma once
#include <functional>
#include <vector>

#include "modewise/cosched/planner.h"

namespace modewise::cosched::detail {

// The available lattice points one level away from `center` along one axis (at most 8).
std::vector<size_t> lattice_neighbours(const ModeLattice& lattice, size_t center);

// Whether lattice neighbour `neighbour` of `center` completes a pair along its axis: the mode on the opposite side
// of `center` is measured, so a local fit at `center` averages three measurements.
bool completes_pair(const ProfileOracle& oracle, size_t center, size_t neighbour);

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

// With noise, the last `left` measurements of a planner for its candidate answer's local fit, then the answer.
// Each step the candidate is the best choice on the local-fit estimates that would be feasible with one more
// measurement's margin (as confirm_by_remeasuring). While fewer than `neighbours` were measured,
// `pick_neighbour(candidate)` names an unmeasured lattice neighbour of it to measure (the lattice size: none);
// otherwise the candidate is re-measured (a nearest miss only when it misses by less than 2 sds). The answer is the
// best choice on the local-fit estimates, with margins from their propagated sds x `sd_inflation`.
Plan answer_by_local_fit(ProfileOracle& oracle, const Budget& budget, const Margins& margins, int left, int neighbours,
                         double sd_inflation, const std::function<size_t(size_t candidate)>& pick_neighbour);

}  // namespace modewise::cosched::detail
