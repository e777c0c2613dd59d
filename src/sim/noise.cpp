#include "sim/noise.h"

#include <algorithm>

#include "sim/rng.h"

namespace modewise::sim::detail {

uint64_t trace_seed(uint64_t seed, const std::string& key, uint64_t run_index) {
  uint64_t s = seed ^ fnv1a(key);
  uint64_t mixed = splitmix64(s);
  mixed ^= run_index * 0xD1B54A32D192ED03ULL;
  return splitmix64(mixed);
}

device::RunTrace draw_trace(const Estimate& est, int minibatches, uint64_t seed, const NoiseModel& nm) {
  Rng rng(seed);
  device::RunTrace tr;
  tr.minibatches.reserve(minibatches);
  const double idle_w = est.idle_power_w;
  // warm-up: the GPU mostly waits for one-off CPU-side work, so power stays close to idle
  const double warm_w =
      idle_w + std::min(nm.warmup_power_share * std::max(0.0, est.power_w - idle_w), nm.warmup_max_rise * idle_w);

  // minibatch timeline and the power level of each minibatch
  std::vector<double> level_w(minibatches);
  double t_s = nm.idle_s;
  for (int i = 0; i < minibatches; ++i) {
    bool warm = i < nm.warmup_minibatches;
    double noise = rng.lognormal(nm.time_sigma);
    double steady_ms = est.time_ms * noise;
    double time_ms = warm ? steady_ms * nm.warmup_time_factor[i] + nm.warmup_extra_ms[i] : steady_ms;
    device::MinibatchRecord r;
    r.start_s = t_s;
    r.time_ms = time_ms;
    r.fetch_ms = est.fetch_ms * noise;
    r.compute_ms = time_ms - r.fetch_ms;
    tr.minibatches.push_back(r);
    level_w[i] = (warm ? warm_w : est.power_w) * rng.lognormal(nm.power_sigma_minibatch);
    t_s += time_ms / 1000.0;
  }
  const double end_s = t_s;

  // power samples: idle phase, then along the run
  for (double t = 0; t < nm.idle_s - 1e-9; t += nm.idle_sample_ms / 1000.0)
    tr.power.push_back({t, idle_w * (1.0 + nm.power_sigma_sample * rng.normal())});
  double run_ms = (end_s - nm.idle_s) * 1000.0;
  double period_ms = std::clamp(run_ms / nm.target_run_samples, nm.min_sample_ms, nm.max_sample_ms);
  period_ms = std::max(period_ms, run_ms / nm.max_run_samples);
  size_t mb = 0;
  for (long k = 0;; ++k) {
    double t = nm.idle_s + k * period_ms / 1000.0;
    if (t >= end_s) break;
    while (mb + 1 < tr.minibatches.size() && tr.minibatches[mb + 1].start_s <= t) ++mb;
    tr.power.push_back({t, level_w[mb] * (1.0 + nm.power_sigma_sample * rng.normal())});
  }

  tr.gpu_util = est.gpu_util;
  tr.cpu_util = est.cpu_util;
  tr.mem_used_mb = est.mem_used_mb;
  tr.extra["fetch_ms"] = est.fetch_ms;
  tr.extra["launch_ms"] = est.launch_ms;
  tr.extra["compute_ms"] = est.compute_ms;
  tr.extra["data_ms"] = est.data_ms;
  tr.extra["stall_fraction"] = est.stall_fraction();
  tr.extra["warmup_minibatches"] = std::min(minibatches, nm.warmup_minibatches);
  tr.extra["idle_power_w"] = idle_w;
  tr.extra["dram_gbps"] = est.dram_gbps;
  return tr;
}

}  // namespace modewise::sim::detail
