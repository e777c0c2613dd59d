// PLACEHOLDER (lead, session 4): spread sampling over the modes not yet measured, so that the campaign code can be
// built and tested against the final interface while the adaptive choice itself is written.
#include "modewise/predict/adaptive_sampling.h"

#include <algorithm>
#include <unordered_set>

#include "modewise/predict/sampling.h"
#include "modewise/util/error.h"

namespace modewise::predict {

std::vector<device::PowerMode> next_adaptive_modes(const PerfModel& /*base*/, const device::DeviceSpec& /*spec*/,
                                                   const std::vector<device::PowerMode>& candidates,
                                                   const std::vector<profile::ProfileRow>& measured,
                                                   const AdaptiveOptions& options) {
  if (options.total == 0 || options.initial == 0 || options.batch == 0)
    throw UsageError("adaptive sampling: total, initial and batch must be at least 1");
  if (options.total > candidates.size())
    throw UsageError("adaptive:{}: only {} candidate modes", options.total, candidates.size());
  std::unordered_set<device::PowerMode, device::PowerModeHash> done;
  for (const auto& r : measured) done.insert(r.mode);
  if (done.size() >= options.total) return {};
  std::vector<device::PowerMode> left;
  for (const auto& m : candidates)
    if (!done.count(m)) left.push_back(m);
  size_t want = measured.empty() ? std::min(options.initial, options.total) : options.batch;
  want = std::min({want, options.total - done.size(), left.size()});
  if (want == 0) return {};
  return choose_modes(left, want, "spread", options.seed + done.size());
}

}  // namespace modewise::predict
