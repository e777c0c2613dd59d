// Emulated profile rows: the emulator's noise-free estimates (sim::estimate) of a workload's training at given
// modes, labelled provenance "emulated" (never measurements). Header-only and free of Google Benchmark, so the
// benchmarks and tests/optimize (test_transfer_eval_adaptive.cpp) build their emulated profiles the same way.
#pragma once
#include <string>
#include <vector>

#include "modewise/device/device_spec.h"
#include "modewise/profile/campaign.h"
#include "modewise/sim/emulator.h"

namespace modewise::bench {

// `workload` training, batch 16, on `dev` at `mode`.
inline profile::ProfileRow emulated_row(const device::DeviceSpec& dev, const std::string& workload,
                                        const device::PowerMode& mode) {
  device::WorkloadRequest w;
  w.workload = workload;
  sim::Estimate e = sim::estimate(dev, w, mode);
  profile::ProfileRow r;
  r.device = dev.name;
  r.workload = workload;
  r.task = "train";
  r.batch_size = 16;
  r.mode = mode;
  r.time_ms = e.time_ms;
  r.power_w = e.power_w;
  r.provenance = "emulated";
  return r;
}

// One row per mode, in the order given.
inline std::vector<profile::ProfileRow> emulated_rows(const device::DeviceSpec& dev, const std::string& workload,
                                                      const std::vector<device::PowerMode>& modes) {
  std::vector<profile::ProfileRow> rows;
  rows.reserve(modes.size());
  for (const auto& m : modes) rows.push_back(emulated_row(dev, workload, m));
  return rows;
}

}  // namespace modewise::bench
