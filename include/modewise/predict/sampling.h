// Which modes to profile for a transfer. "random": uniformly without replacement (the published method).
// "spread": a space-filling design: greedy farthest-point (maximin) selection in the standardized
// log(cores), log clocks space from a seeded random start, so corners such as 2 cores at low CPU clock, where
// workloads change bottleneck, are always covered.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "modewise/device/power_mode.h"

namespace modewise::predict {

const std::vector<std::string>& sampling_names();  // random, spread
// n of `candidates` (n <= size), in candidate order. Throws UsageError for an unknown method or n too large.
std::vector<device::PowerMode> choose_modes(const std::vector<device::PowerMode>& candidates, size_t n,
                                            const std::string& method, uint64_t seed);

}  // namespace modewise::predict
