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
#include <vector>

#include "modewise/cosched/model.h"
#include "modewise/cosched/oracle.h"

namespace modewise::cosched {

enum class Strategy { exhaustive, gmd, als, random, powertrain };
Strategy parse_strategy(const std::string& name);  // throws UsageError listing the names
std::string to_string(Strategy s);
std::vector<std::string> strategy_names();

struct PlannerOptions {
  int gmd_max_modes = 15;
  int als_max_modes = 50;
  int random_modes = 15;      // profiling budget of the random baseline
  int powertrain_modes = 50;  // profiled modes the PowerTrain-style predictor learns from
  double safety_z = 3.0;      // margin in measurement standard deviations (noisy oracles only)
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
  int profiled_modes = 0;
  bool predicted = false;  // outcome from a model (powertrain), not from measurements
  std::string miss;        // nearest miss, e.g. "power (by 3.20 W)" ("" when feasible)
};

// Relative safety margins for the oracle's noise.
struct Margins {
  double latency = 0, power = 0;
};
Margins margins_for(const NoiseModel& noise, double z);

// The best choice at one profiled mode: feasible with the highest throughput, else the nearest miss
// (smallest worst relative violation). `feasible` tells which.
Choice best_at_mode(const ModeProfile& p, size_t mode_index, const Workloads& w, const Budget& budget,
                    const Margins& margins, bool* feasible);
// Prefer feasible, then higher throughput; among infeasible, the smaller worst relative violation.
bool better(const Choice& a, bool a_feasible, const Choice& b, bool b_feasible, const Budget& budget);

// The best choice over every mode the oracle has measured (at least one).
Plan plan_from_measured(const ProfileOracle& oracle, const Budget& budget, const Margins& margins);

Plan plan_exhaustive(ProfileOracle& oracle, const Budget& budget, const Margins& margins = {});
Plan plan_random(ProfileOracle& oracle, const Budget& budget, int modes, uint64_t seed, const Margins& margins);
Plan plan_gmd(ProfileOracle& oracle, const Budget& budget, int max_modes, const Margins& margins);

// Any strategy for one budget (ALS profiles for this budget and a spread of nearby ones).
Plan plan(Strategy strategy, ProfileOracle& oracle, const Budget& budget, const PlannerOptions& options);

}  // namespace modewise::cosched
