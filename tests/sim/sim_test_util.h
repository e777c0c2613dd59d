// Helpers shared by the emulator tests.
#pragma once
#include <string>
#include <vector>

#include "modewise/device/backend.h"
#include "modewise/device/device_spec.h"
#include "modewise/device/grid.h"
#include "modewise/sim/emulator.h"

namespace modewise::sim::testing {

inline device::WorkloadRequest request(const std::string& workload, const std::string& task, int batch_size,
                                       int workers = 4) {
  device::WorkloadRequest r;
  r.workload = workload;
  r.task = task;
  r.batch_size = batch_size;
  r.workers = workers;
  return r;
}

inline device::DeviceSpec orin() { return device::builtin_device("orin-agx"); }

// The published rule: index of the first power sample >= factor x the mean of the previous `window` samples.
inline long warmup_end_index(const std::vector<device::PowerSample>& p, double factor = 1.25, int window = 10) {
  for (size_t i = window; i < p.size(); ++i) {
    double mean = 0;
    for (size_t k = i - window; k < i; ++k) mean += p[k].power_w;
    mean /= window;
    if (p[i].power_w >= factor * mean) return static_cast<long>(i);
  }
  return -1;
}

}  // namespace modewise::sim::testing
