// Adaptive choice of the modes to profile for a transfer (`profile --modes adaptive:N --base REF.model.json`).
// Profiling starts from a few space-filling ("spread") modes; after each batch of measurements the base model is
// transferred to the rows measured so far and the next modes are chosen where they help most: where the
// transferred model is least certain and near the predicted Pareto front, where the answer is decided.
//
// next_adaptive_modes is a pure function of its arguments: the same measured rows (in the same order) give the same
// next modes. A killed campaign therefore resumes by calling it again with the rows it has, and a campaign's output
// is the ordinary profile of the modes measured, in the order measured.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "modewise/device/device_spec.h"
#include "modewise/device/power_mode.h"
#include "modewise/predict/model.h"
#include "modewise/predict/train.h"
#include "modewise/profile/profile.h"

namespace modewise::predict {

struct AdaptiveOptions {
  size_t total = 20;    // modes to profile in all (N of adaptive:N)
  size_t initial = 10;  // the first batch, chosen by spread sampling (at least kMinTransferModes)
  size_t batch = 5;     // modes chosen per step after the first batch
  uint64_t seed = 1;    // seeds the spread start and any randomness of the choice
  TransferOptions transfer;  // how each step transfers `base` to the rows measured so far
};

// The next modes to profile: the first batch (`initial` spread modes) when `measured` is empty, otherwise up to
// `batch` modes of `candidates` not yet measured; never more than total - measured; empty when `total` modes have
// been measured (or no candidate is left). `spec` is the device being profiled (it may differ from the base
// model's device: a cross-device transfer). Rows of modes outside `candidates` count as measured all the same.
// Throws UsageError for options that cannot work (total or initial 0, total larger than the candidates).
std::vector<device::PowerMode> next_adaptive_modes(const PerfModel& base, const device::DeviceSpec& spec,
                                                   const std::vector<device::PowerMode>& candidates,
                                                   const std::vector<profile::ProfileRow>& measured,
                                                   const AdaptiveOptions& options);

}  // namespace modewise::predict
