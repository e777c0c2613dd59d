// ALS: active-learning search. Profiling depends on the workloads and a set of budget scenarios (the range
// of budgets to serve), not on one budget: a few space-filling modes first, then, repeatedly, the surrogate
// (surrogate.h) is refitted and the next modes are those whose optimistic prediction most improves the
// feasible optimum summed over the scenarios (relative to the best profiled answer of each scenario).
// Answers for a budget come from the profiled modes (reused across budgets), refined by up to refine_modes
// more: the unprofiled modes the final surrogate predicts to beat the best profiled answer for that budget,
// best first (profiled on a private copy of the oracle, so one budget's extra modes are not another's).
// Every answer is a profiled mode checked against measured values. With noise, the last `repeats` measurements of
// the refinement go to the candidate answer's local fit (a neighbour completing a pair, then re-measurements; the
// answer from local-fit estimates, cosched/gmd_local.h); max_modes counts measurements.
#pragma once
#include <cstdint>
#include <vector>

#include "modewise/cosched/planner.h"

namespace modewise::cosched {

struct AlsOptions {
  int max_modes = 50;       // per answer: shared modes plus the ones profiled for that budget
  int refine_modes = 10;    // of those, kept for the budget-specific step of answer() (new modes)
  // With noise: of the 50, kept for the budget-specific step (new modes, then `repeats` re-measurements of the
  // answer); more than without noise because the step also pays for the re-measurements (docs/COSCHED.md).
  int noisy_refine_modes = 16;
  int repeats = 8;          // with noise: of noisy_refine_modes, measurements for the answer's local fit
  // With noise, the answer's local fit (docs/COSCHED.md, "ALS's local fit"): of the `repeats` measurements, this
  // many go to a neighbour of the candidate answer that completes a pair along an axis, the rest re-measure it;
  // the answer's margins use the fit's propagated sd x fit_sd_inflation (<= 0: no fit, re-measurements only and
  // the raw averages, as before session 6).
  int local_fit_neighbours = 1;
  double fit_sd_inflation = 1.6;
  int initial_modes = 8;    // space-filling start (top corner included)
  int batch = 3;            // modes chosen per surrogate fit
  double optimism = 3.0;    // acquisition: mean - optimism * sd of log time and log power
  int scenarios = 160;      // budget scenarios sampled for a single budget (scenarios_around)
  uint64_t seed = 1;
};

// `count` budgets spread around one budget (rate, latency and power scaled by up to -/+ 20%, 25%, 15%),
// the budget itself first.
std::vector<Budget> scenarios_around(const Budget& budget, int count, uint64_t seed);
// `count` budgets drawn log-uniformly from a box of rates, latencies and powers.
struct BudgetBox {
  double rate_lo = 0, rate_hi = 0, latency_lo_ms = 0, latency_hi_ms = 0, power_lo_w = 0, power_hi_w = 0;
};
std::vector<Budget> scenarios_in_box(const BudgetBox& box, int count, uint64_t seed);

class AlsPlanner {
 public:
  AlsPlanner(ProfileOracle& oracle, std::vector<Budget> scenarios, AlsOptions options, Margins margins);
  void profile();                           // spends up to max_modes - refine() profiled modes
  Plan answer(const Budget& budget) const;  // best profiled choice after the budget-specific refinement
  // Profiled modes that no other profiled mode dominates (faster and lower-power for every task).
  const std::vector<size_t>& pareto_modes() const { return pareto_; }
  // Measurements per answer kept for its budget-specific step: noisy_refine_modes with noise, else refine_modes.
  int refine() const { return margins_.none() ? options_.refine_modes : options_.noisy_refine_modes; }

 private:
  ProfileOracle& oracle_;
  std::vector<Budget> scenarios_;
  AlsOptions options_;
  Margins margins_;
  std::vector<size_t> pareto_;
  ProfileTable predicted_;  // final surrogate mean at every available lattice point
  std::vector<ModeEstimate> shared_estimates_;  // estimate_measured of the shared modes (the same for every budget)
};

}  // namespace modewise::cosched
