// Warm-up detection and per-mode summaries of a run (the published training-time profiling method):
//   1. the end of warm-up is the first board-power sample >= 1.25x the moving mean of the previous 10 samples
//      (the jump when the GPU starts working after the mode was set and the loader filled its queue);
//   2. the measurement window is the next N minibatches that start at or after that sample;
//   3. time = mean minibatch time over the window; power = MEDIAN board power over the window's duration.
// Guard: minibatches after the jump that are still time outliers (as below) are skipped too (warm-up phases
// whose power already rose, e.g. cuDNN autotuning); warmup_method then says "power-jump+time-outliers".
// Fallback when no power jump is found (replayed traces, a workload that was already running, sparse power
// samples): skip the leading minibatches whose time is an outlier (more than 3 robust standard deviations, and
// at least 10%, above the median of the later minibatches), at most half the run. docs/PROFILING.md.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "modewise/device/backend.h"

namespace modewise::profile {

struct WarmupRule {
  double factor = 1.25;  // power jump: sample >= factor x moving mean
  int window = 10;       // moving-mean length in samples
};

// Index of the first power sample >= factor x the mean of the `window` samples before it; nullopt when there is
// no such sample (fewer than window+1 samples, or no jump).
std::optional<size_t> detect_warmup_end(const std::vector<double>& power_w, double factor = 1.25, int window = 10);
std::optional<size_t> detect_warmup_end(const std::vector<device::PowerSample>& power, double factor = 1.25,
                                        int window = 10);

// Number of leading minibatches to skip when no power jump is found (the fallback above).
int leading_time_outliers(const std::vector<device::MinibatchRecord>& minibatches);

// Per-mode statistics of one run.
struct RunSummary {
  double time_ms = device::kUnknown;     // mean over the window
  double time_sd_ms = device::kUnknown;  // sample standard deviation over the window (0 for one minibatch)
  double power_w = device::kUnknown;     // median board power over the window
  double power_sd_w = device::kUnknown;  // standard deviation of the power samples in the window
  double energy_j = device::kUnknown;    // per minibatch: time_ms * power_w / 1000
  double fetch_ms = device::kUnknown;    // mean fetch stall per minibatch over the window
  double stall_fraction = device::kUnknown;  // sum(fetch_ms) / sum(time_ms) over the window
  double gpu_util = device::kUnknown, cpu_util = device::kUnknown, mem_used_mb = device::kUnknown;
  int samples = 0;             // minibatches in the window
  int warmup_minibatches = 0;  // minibatches skipped before the window
  int power_samples = 0;       // power samples the median was taken over
  std::string warmup_method;   // "power-jump", "power-jump+time-outliers", "time-outliers" or "none"
  double window_start_s = 0, window_end_s = 0;
};

// Summarize a run: find the end of warm-up, take up to `window_minibatches` minibatches after it.
// Throws Error when the run has no minibatches or no power samples at all.
RunSummary summarize_run(const device::RunTrace& trace, int window_minibatches, const WarmupRule& rule = {});

double median(std::vector<double> values);  // NaN for an empty vector

}  // namespace modewise::profile
