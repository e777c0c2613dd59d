// Internal helpers shared by the strategies.
#pragma once
#include "modewise/cosched/planner.h"

namespace modewise::cosched::detail {

Plan make_plan(const ProfileOracle& oracle, const Choice& c, bool feasible, const Budget& budget);

}  // namespace modewise::cosched::detail
