// Turning a noise-free estimate into an emulated run: warm-up, per-minibatch noise, power samples.
#pragma once
#include <cstdint>
#include <string>

#include "modewise/device/backend.h"
#include "modewise/sim/emulator.h"

namespace modewise::sim::detail {

struct NoiseModel {
  double idle_s = 1.0;              // idle power samples before the first minibatch
  double idle_sample_ms = 50;       // sampling period while idle
  double time_sigma = 0.025;        // per-minibatch lognormal spread of time
  double power_sigma_minibatch = 0.01;  // per-minibatch spread of power
  double power_sigma_sample = 0.01;     // per-sample sensor noise (normal: small enough to stay positive)
  int warmup_minibatches = 3;
  double warmup_time_factor[3] = {2.5, 1.6, 1.2};   // x steady time
  double warmup_extra_ms[3] = {150, 40, 0};         // cudnn autotune, allocator growth
  double warmup_power_share = 0.2;  // warm-up power = idle + share x (running - idle) ...
  double warmup_max_rise = 0.08;    // ... but at most this fraction above idle
  int max_run_samples = 1500;       // cap on power samples while running (keeps campaigns cheap)
  int target_run_samples = 400;     // aim for this many samples while running...
  double min_sample_ms = 1, max_sample_ms = 50;  // ... at a period within these bounds
};

uint64_t trace_seed(uint64_t seed, const std::string& key, uint64_t run_index);
device::RunTrace draw_trace(const Estimate& est, int minibatches, uint64_t seed,
                            const NoiseModel& noise = NoiseModel{});

}  // namespace modewise::sim::detail
