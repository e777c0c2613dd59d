// The prediction baseline: profile a few random modes (PowerTrain's protocol: 50), predict time and power of
// every task at every mode, and answer each budget with the best mode by prediction (profiled modes use
// their measured values). Unlike gmd/als its answer may be a mode nobody measured, so it can break a budget
// when the prediction is off. The predictor is the log-space surrogate of surrogate.h fitted on the profiled
// modes.
#pragma once
#include <cstdint>
#include <vector>

#include "modewise/cosched/planner.h"

namespace modewise::cosched {

class PowertrainPlanner {
 public:
  PowertrainPlanner(ProfileOracle& oracle, int modes, uint64_t seed);
  Plan answer(const Budget& budget) const;

 private:
  ProfileOracle& oracle_;
  ProfileTable predicted_;  // by lattice index (measured values where profiled)
};

}  // namespace modewise::cosched
