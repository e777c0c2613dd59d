// Choosing the power mode and inference batch size that maximize training throughput within the latency
// and power budgets (model.h), from profiles measured through a ProfileOracle.
//   exhaustive  profiles every mode: the optimum.
//   gmd         gradient descent over the mode lattice with line searches along each axis, multi-start from
//               informative corners; at most 15 profiled modes (gmd.cpp).
//   als         active learning: a surrogate fitted in log space proposes modes that most improve the
//               feasible optimum over a set of budgets; its profiled Pareto-optimal modes are reused across
//               budgets; at most 50 profiled modes (als.cpp).
//   random      the same profiling budget spent on random modes.
//   powertrain  PowerTrain-style prediction of every mode from a few profiled ones, then the best predicted mode.
// Every answer but powertrain's is a profiled mode, checked against its measured values with a safety margin
// of z measurement standard deviations when the oracle is noisy.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "modewise/cosched/model.h"
#include "modewise/cosched/oracle.h"

namespace modewise::cosched {

enum class Strategy { exhaustive, gmd, als, random, powertrain };
Strategy parse_strategy(const std::string& name);  // throws UsageError listing the names
std::string to_string(Strategy s);
std::vector<std::string> strategy_names();

// The default safety margin, in propagated standard deviations (docs/COSCHED.md, "Noisy profiling": tuned on
// 9 workload pairs, checked on 16 held-out pairs).
inline constexpr double kDefaultSafetyZ = 1.0;
// With noise, measurements of GMD's budget (15) kept after its search for its local fit (a neighbour of the
// candidate answer, then re-measurements of it).
inline constexpr int kDefaultGmdRepeats = 2;
// With noise, smooth the measured modes' values once at least this many modes are measured (Margins,
// estimate_measured). Off (0) by default: an opt-in experiment (docs/COSCHED.md, "Noisy profiling": on the
// emulator, 30 with ALS at z = 2 gains ~1 point of ALS throughput at the same budgets met, costs ~25x the
// planning CPU, and does worse on the synthetic test problem).
inline constexpr int kDefaultSmoothMinModes = 0;
// ALS's safety margin in propagated sds: 0.9 (0.8 before its local fit, session 6), lower than GMD's because
// ALS's answers are re-measured up to 8 times (docs/COSCHED.md; 2 was used with the opt-in smoothing).
inline constexpr double kDefaultAlsSafetyZ = 0.9;

struct PlannerOptions {
  int gmd_max_modes = 15;  // measurements (distinct modes + re-measurements)
  int gmd_repeats = kDefaultGmdRepeats;
  int als_max_modes = 50;  // measurements per answer
  // With noise: of ALS's 50 measurements per answer, those kept for the budget-specific step (new modes, then
  // als_repeats measurements for the answer's local fit: a neighbour completing a pair, then re-measurements); the
  // rest are shared by all budgets of a workload pair. Without noise the step keeps 10 (new modes only).
  // docs/COSCHED.md, "Where the misses come from": 16 with 8 re-measurements (and ALS's z = 0.8) met more budgets at
  // the same or higher throughput on the tuning and the held-out pairs than 10 with 4 or 5; "ALS's local fit".
  int als_refine_modes = 16;
  int als_repeats = 8;
  int random_modes = 15;      // profiling budget of the random baseline
  int powertrain_modes = 50;  // profiled modes the PowerTrain-style predictor learns from
  double safety_z = kDefaultSafetyZ;  // margin in propagated measurement sds (noisy oracles only)
  int smooth_min_modes = kDefaultSmoothMinModes;  // smoothing of measured modes (Margins), 0: off
  double als_safety_z = kDefaultAlsSafetyZ;       // ALS's margin (its answers are re-measured more than GMD's)
  uint64_t seed = 1;
};

// A (mode, inference batch size) with what the planner believes about it.
struct Choice {
  size_t mode_index = 0;
  size_t batch_slot = 0;  // index into Workloads::infer_batch_sizes
  Outcome outcome;
  Violation violation;  // with margins; ok() when feasible
};

struct Plan {
  bool feasible = false;  // a choice meets both budgets (on the values the planner has)
  Choice choice;          // the best feasible choice, or the nearest miss
  device::PowerMode mode;
  int infer_batch_size = 0;
  int profiled_modes = 0;  // distinct modes
  int measurements = 0;    // profiling runs: distinct modes plus re-measurements (ProfileOracle::measurements)
  bool predicted = false;  // outcome from a model (powertrain), not from measurements
  std::string miss;        // nearest miss, e.g. "power (by 3.20 W)" ("" when feasible)
  std::vector<size_t> measured;  // lattice indices of the modes measured for this answer (the evaluation's analysis)
};

// Safety margins for the oracle's measurement noise, calibrated per (mode, b): a choice must meet
//   latency + z * sd(latency) <= L  and  power + z * sd(power) <= P,
// where the sds are propagated from the relative noise of the measured times and powers through the formulas of
// model.h: b/lambda is exact, so sd(latency) = time_rel_sd * sqrt(t_T^2 + t_I^2); the average power
// d p_I + (1 - d) p_T has sd^2 = (power_rel_sd d p_I)^2 + (power_rel_sd (1 - d) p_T)^2
// + (time_rel_sd d (p_I - p_T))^2 (the duty d = lambda t_I / b carries t_I's noise). z = 0: no margin.
struct Margins {
  double z = 0;
  double time_rel_sd = 0, power_rel_sd = 0;
  // Smoothing (estimate_measured): with at least this many measured modes, a measured mode's values combine its
  // measurement with the surrogate's prediction from the other measured modes; 0: off (raw measurements).
  int smooth_min_modes = 0;
  bool none() const { return z <= 0 || (time_rel_sd <= 0 && power_rel_sd <= 0); }
  // For values averaged over n measurements (ProfileOracle::remeasure): the sds divided by sqrt(n).
  Margins averaged(int n) const;
};
Margins margins_for(const NoiseModel& noise, double z, int smooth_min_modes = kDefaultSmoothMinModes);
// The relative margins (latency_margin, power_margin of model.h's check()) of one outcome.
std::pair<double, double> relative_margins(const Margins& m, const TaskPoint& train, const TaskPoint& infer,
                                           const Outcome& outcome);
// The same with a relative sd per value: training time and power, inference time and power.
std::pair<double, double> relative_margins(double z, const TaskPoint& train, const TaskPoint& infer,
                                           const Outcome& outcome, double train_time_sd, double train_power_sd,
                                           double infer_time_sd, double infer_power_sd);

// What a planner believes about a measured mode: its values and the relative sd of each, in the order of
// Surrogate::log_targets (training time, training power, then per batch size inference time and power).
struct ModeEstimate {
  size_t mode_index = 0;
  ModeProfile profile;
  std::vector<double> rel_sd;
};
// Estimates of every measured mode (in measurement order). Without smoothing (noise-free oracle, or fewer than
// margins.smooth_min_modes measured modes): the measured values (means of repeats), sd = noise sd / sqrt(n).
// With smoothing: the surrogate (surrogate.h) is fitted on all measured modes in log space; each value is the
// inverse-variance weighted mean of its measurement (variance sd^2/n) and its leave-one-out prediction from the
// other modes (variance: the LOO error variance not explained by the noise, at least the fit's own estimation
// variance), with the combined sd. `extra` pretends every mode was measured `extra` more times (for deciding
// which mode a re-measurement helps).
std::vector<ModeEstimate> estimate_measured(const ProfileOracle& oracle, const Margins& margins, int extra = 0);

// The best choice at one profiled mode: feasible with the highest throughput, else the nearest miss
// (smallest worst relative violation). `feasible` tells which.
Choice best_at_mode(const ModeProfile& p, size_t mode_index, const Workloads& w, const Budget& budget,
                    const Margins& margins, bool* feasible);
// Prefer feasible, then higher throughput; among infeasible, the smaller worst relative violation.
bool better(const Choice& a, bool a_feasible, const Choice& b, bool b_feasible, const Budget& budget);

// The best choice over every mode the oracle has measured (at least one); each mode's margins shrink with the
// number of times it was measured (Margins::averaged).
// With noise the values are estimate_measured's (smoothed when margins.smooth_min_modes allows).
Plan plan_from_measured(const ProfileOracle& oracle, const Budget& budget, const Margins& margins);
// The same from precomputed estimates (estimate_measured of the same oracle; reused across budgets).
Plan plan_from_estimates(const ProfileOracle& oracle, const std::vector<ModeEstimate>& estimates,
                         const Budget& budget, double z);

// With noise: spend up to `repeats` measurements re-measuring the answer. Each step re-measures the mode of the
// best choice that would be feasible with one more measurement's margin (the candidate answer, so a lucky
// draw that made it look feasible is averaged out); when there is none, the nearest miss if its measured values
// miss the budget by less than two noise sds (an unlucky draw may have hidden a feasible answer); then answers
// with plan_from_measured. Without noise (or repeats <= 0) it measures nothing.
Plan confirm_by_remeasuring(ProfileOracle& oracle, const Budget& budget, const Margins& margins, int repeats);

Plan plan_exhaustive(ProfileOracle& oracle, const Budget& budget, const Margins& margins = {});
Plan plan_random(ProfileOracle& oracle, const Budget& budget, int modes, uint64_t seed, const Margins& margins);
// max_modes bounds the measurements (distinct modes and re-measurements); with noise the last `repeats` of them
// go to GMD's local fit: a neighbour of the candidate answer, then re-measurements of it (gmd.cpp, docs/COSCHED.md).
Plan plan_gmd(ProfileOracle& oracle, const Budget& budget, int max_modes, const Margins& margins,
              int repeats = kDefaultGmdRepeats);

// Any strategy for one budget (ALS profiles for this budget and a spread of nearby ones).
Plan plan(Strategy strategy, ProfileOracle& oracle, const Budget& budget, const PlannerOptions& options);

}  // namespace modewise::cosched
