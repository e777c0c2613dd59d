// Internal helpers shared by the strategies.
#pragma once
#include <vector>

#include "modewise/cosched/planner.h"

namespace modewise::cosched::detail {

Plan make_plan(const ProfileOracle& oracle, const Choice& c, bool feasible, const Budget& budget);

// The estimates with each mode's relative sds as they would be after one more measurement of it (inverse-variance
// combination with one measurement's noise sd).
std::vector<ModeEstimate> after_one_more_measurement(std::vector<ModeEstimate> estimates, const Margins& margins);

// Whether a choice that misses its budget is worth re-measuring: its estimated values (no margin) miss by less than
// two of their sds, i.e. a lower draw could make it feasible. `estimates` holds the choice's mode.
bool is_near_miss(const std::vector<ModeEstimate>& estimates, const Choice& choice, const Workloads& w,
                  const Budget& budget);

}  // namespace modewise::cosched::detail
