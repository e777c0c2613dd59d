#include "modewise/profile/warmup.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "modewise/util/error.h"

namespace modewise::profile {

double median(std::vector<double> v) {
  if (v.empty()) return device::kUnknown;
  size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double hi = v[mid];
  if (v.size() % 2) return hi;
  double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lo + hi) / 2;
}

namespace {

// Shifted by the first value, so identical values (a replayed recording) give back exactly that value.
double mean(const std::vector<double>& v) {
  if (v.empty()) return device::kUnknown;
  double shift = v.front(), sum = 0;
  for (double x : v) sum += x - shift;
  return shift + sum / static_cast<double>(v.size());
}

// Sample standard deviation (n-1); 0 for a single value.
double stddev(const std::vector<double>& v) {
  if (v.empty()) return device::kUnknown;
  if (v.size() == 1) return 0;
  double m = mean(v), ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

}  // namespace

std::optional<size_t> detect_warmup_end(const std::vector<double>& power_w, double factor, int window) {
  MW_CHECK(window >= 1 && factor > 0);
  size_t w = static_cast<size_t>(window);
  if (power_w.size() <= w) return std::nullopt;
  double sum = std::accumulate(power_w.begin(), power_w.begin() + static_cast<std::ptrdiff_t>(w), 0.0);
  for (size_t i = w; i < power_w.size(); ++i) {
    double moving_mean = sum / static_cast<double>(w);
    if (power_w[i] >= factor * moving_mean) return i;
    sum += power_w[i] - power_w[i - w];
  }
  return std::nullopt;
}

std::optional<size_t> detect_warmup_end(const std::vector<device::PowerSample>& power, double factor, int window) {
  std::vector<double> w;
  w.reserve(power.size());
  for (const auto& s : power) w.push_back(s.power_w);
  return detect_warmup_end(w, factor, window);
}

int leading_time_outliers(const std::vector<device::MinibatchRecord>& mbs) {
  if (mbs.size() < 4) return 0;
  // Steady state = the later half of the run, which warm-up does not reach.
  std::vector<double> tail;
  for (size_t i = mbs.size() / 2; i < mbs.size(); ++i) tail.push_back(mbs[i].time_ms);
  double ref = median(tail);
  std::vector<double> dev;
  for (double t : tail) dev.push_back(std::fabs(t - ref));
  double robust_sd = 1.4826 * median(dev);
  double threshold = ref + std::max(3 * robust_sd, 0.10 * ref);
  int skip = 0, max_skip = static_cast<int>(mbs.size() / 2);
  while (skip < max_skip && mbs[static_cast<size_t>(skip)].time_ms > threshold) ++skip;
  return skip;
}

RunSummary summarize_run(const device::RunTrace& trace, int window_minibatches, const WarmupRule& rule) {
  MW_CHECK(window_minibatches >= 1);
  const auto& mbs = trace.minibatches;
  if (mbs.empty()) throw Error("the run returned no minibatches (expected at least one)");
  if (trace.power.empty()) throw Error("the run returned no board power samples (expected a power trace)");

  RunSummary s;
  size_t first = 0;
  if (auto jump = detect_warmup_end(trace.power, rule.factor, rule.window)) {
    double t_jump = trace.power[*jump].t_s;
    while (first < mbs.size() && mbs[first].start_s < t_jump - 1e-9) ++first;
    s.warmup_method = "power-jump";
    if (first < mbs.size()) {  // guard: minibatches after the jump that are still slow (autotuning, allocator)
      std::vector<device::MinibatchRecord> rest(mbs.begin() + static_cast<std::ptrdiff_t>(first), mbs.end());
      if (int slow = leading_time_outliers(rest); slow > 0) {
        first += static_cast<size_t>(slow);
        s.warmup_method = "power-jump+time-outliers";
      }
    }
  }
  if (s.warmup_method.empty() || first >= mbs.size()) {  // no jump, or a jump after the last minibatch started
    first = static_cast<size_t>(leading_time_outliers(mbs));
    s.warmup_method = first ? "time-outliers" : "none";
  }
  size_t last = std::min(mbs.size(), first + static_cast<size_t>(window_minibatches));  // exclusive

  std::vector<double> times, fetch;
  for (size_t i = first; i < last; ++i) times.push_back(mbs[i].time_ms), fetch.push_back(mbs[i].fetch_ms);
  s.samples = static_cast<int>(times.size());
  s.warmup_minibatches = static_cast<int>(first);
  s.time_ms = mean(times);
  s.time_sd_ms = stddev(times);
  s.fetch_ms = mean(fetch);
  double total_time = std::accumulate(times.begin(), times.end(), 0.0);
  s.stall_fraction = total_time > 0 ? std::accumulate(fetch.begin(), fetch.end(), 0.0) / total_time : device::kUnknown;

  s.window_start_s = mbs[first].start_s;
  s.window_end_s = mbs[last - 1].start_s + mbs[last - 1].time_ms / 1000.0;
  std::vector<double> power;
  for (const auto& p : trace.power)
    if (p.t_s >= s.window_start_s - 1e-9 && p.t_s < s.window_end_s - 1e-9) power.push_back(p.power_w);
  if (power.empty()) {  // sparse sampling: the sample nearest to the middle of the window
    double mid = (s.window_start_s + s.window_end_s) / 2;
    auto nearest = std::min_element(trace.power.begin(), trace.power.end(), [&](const auto& a, const auto& b) {
      return std::fabs(a.t_s - mid) < std::fabs(b.t_s - mid);
    });
    power.push_back(nearest->power_w);
  }
  s.power_samples = static_cast<int>(power.size());
  s.power_w = median(power);
  s.power_sd_w = stddev(power);
  s.energy_j = s.time_ms * s.power_w / 1000.0;
  s.gpu_util = trace.gpu_util;
  s.cpu_util = trace.cpu_util;
  s.mem_used_mb = trace.mem_used_mb;
  return s;
}

}  // namespace modewise::profile
