// Which modes to profile for a transfer. "random": uniformly without replacement (the published method).
// "spread": a space-filling design in the standardized log(cores), log clocks space: two opposite corners of the
// box (so every axis' minimum and maximum; one of them is always the fewest cores at the lowest CPU clock, where
// workloads change bottleneck), the pair chosen by a seeded random mode, then greedy farthest-point (maximin)
// selection. ("adaptive", which needs a base model and the measurements
// so far, is predict/adaptive_sampling.h.)
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "modewise/device/power_mode.h"

namespace modewise::predict {

const std::vector<std::string>& sampling_names();  // random, spread
// n of `candidates` (n <= size), in candidate order. Throws UsageError for an unknown method or n too large.
std::vector<device::PowerMode> choose_modes(const std::vector<device::PowerMode>& candidates, size_t n,
                                            const std::string& method, uint64_t seed);

// The space spread sampling measures distances in: one column per mode, rows log(cores), log(CPU), log(GPU),
// log(EMC clock), each standardized over `modes` (a constant row stays 0).
Eigen::MatrixXd standardized_log_modes(const std::vector<device::PowerMode>& modes);

// Continues a spread design: up to n more of `candidates`, each the farthest (maximin) from `fixed` and from the
// ones chosen before it (first candidate on ties), in the order chosen. `fixed` modes outside `candidates` are
// ignored; with no fixed mode inside the candidates the design starts from the seeded corners of "spread".
std::vector<device::PowerMode> spread_more(const std::vector<device::PowerMode>& candidates, size_t n,
                                           const std::vector<device::PowerMode>& fixed, uint64_t seed);

}  // namespace modewise::predict
