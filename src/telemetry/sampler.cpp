#include "modewise/telemetry/sampler.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "modewise/util/error.h"

namespace modewise::telemetry {

double monotonic_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double elapsed_s(const Sample& a, const Sample& b) { return b.t_s - a.t_s; }

double energy_j(const Sample& a, const Sample& b, size_t channel) {
  MW_CHECK(channel < a.energy_j.size() && channel < b.energy_j.size());
  return b.energy_j[channel] - a.energy_j[channel];
}

double mean_power_w(const Sample& a, const Sample& b, size_t channel) {
  double dt = elapsed_s(a, b);
  if (dt <= 0) return b.power_w.at(channel);
  return energy_j(a, b, channel) / dt;
}

PowerSampler::PowerSampler(PowerSensor& sensor, SamplerOptions options)
    : sensor_(sensor), options_(std::move(options)), channels_(sensor.channels()) {
  if (!(options_.interval_s > 0) || options_.interval_s > 60)
    throw Error("sampling interval must be between 0 and 60 s, got {} s", options_.interval_s);
  if (!options_.clock) options_.clock = monotonic_s;
}

PowerSampler::~PowerSampler() { stop(); }

void PowerSampler::start() {
  if (running_) return;
  stop_ = false;
  poll();
  running_ = true;
  thread_ = std::thread([this] { loop(); });
}

void PowerSampler::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  running_ = false;
}

void PowerSampler::loop() {
  using clock = std::chrono::steady_clock;
  auto interval = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(options_.interval_s));
  auto next = clock::now() + interval;
  while (!stop_) {
    std::this_thread::sleep_until(next);
    if (stop_) break;
    poll();
    next += interval;
    auto now = clock::now();
    if (next < now) next = now + interval;  // fell behind (a stalled read): skip, never burst
  }
}

void PowerSampler::poll() {
  std::lock_guard poll_lock(poll_mutex_);
  double t = options_.clock();
  Reading r;
  try {
    r = sensor_.read(t);
    t = 0.5 * (t + options_.clock());  // stamp the middle of the read (several files on a real board)
    if (r.power_w.size() != channels_.size())
      throw Error("power sensor '{}' returned {} values for {} channels", sensor_.name(), r.power_w.size(),
                  channels_.size());
  } catch (const Error& e) {
    ++errors_;
    std::lock_guard lock(mutex_);
    last_error_ = e.what();
    return;
  }
  Sample s;
  s.t_s = t;
  s.power_w = std::move(r.power_w);
  s.counter_energy_j = r.counter_energy_j;
  {
    std::lock_guard lock(mutex_);
    if (samples_.empty()) {
      s.energy_j.assign(channels_.size(), 0.0);
      start_t_s_ = t;
    } else {
      const Sample& prev = samples_.back();
      double dt = std::max(0.0, t - prev.t_s);
      s.t_s = std::max(t, prev.t_s);
      s.energy_j.resize(channels_.size());
      for (size_t c = 0; c < channels_.size(); ++c)
        s.energy_j[c] = prev.energy_j[c] + 0.5 * (prev.power_w[c] + s.power_w[c]) * dt;
    }
    samples_.push_back(s);
    ++total_samples_;
    trim();
  }
  new_sample_.notify_all();
  if (options_.on_sample) options_.on_sample(s);
}

void PowerSampler::trim() {
  if (options_.keep_history) return;
  double keep_from = samples_.empty() ? 0 : samples_.back().t_s;
  for (const auto& [name, t0] : windows_) keep_from = std::min(keep_from, t0);
  // Keep the last sample before keep_from so the window's start can be interpolated.
  while (samples_.size() > 2 && samples_[1].t_s <= keep_from) samples_.pop_front();
}

Sample PowerSampler::latest() const {
  std::lock_guard lock(mutex_);
  if (samples_.empty())
    throw Error("no power sample yet from '{}'{}", sensor_.name(), last_error_.empty() ? "" : ": " + last_error_);
  return samples_.back();
}

std::vector<Sample> PowerSampler::history() const {
  std::lock_guard lock(mutex_);
  return {samples_.begin(), samples_.end()};
}

size_t PowerSampler::sample_count() const {
  std::lock_guard lock(mutex_);
  return total_samples_;
}

std::string PowerSampler::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

double PowerSampler::achieved_rate_hz() const {
  std::lock_guard lock(mutex_);
  if (samples_.size() < 2) return 0;
  double span = samples_.back().t_s - start_t_s_;
  return span > 0 ? static_cast<double>(total_samples_ - 1) / span : 0;
}

void PowerSampler::begin_window(const std::string& name) { begin_window(name, options_.clock()); }

void PowerSampler::begin_window(const std::string& name, double t_s) {
  std::lock_guard lock(mutex_);
  if (windows_.count(name)) throw Error("power window '{}' is already open (end or cancel it first)", name);
  windows_[name] = t_s;
}

void PowerSampler::cancel_window(const std::string& name) {
  std::lock_guard lock(mutex_);
  if (!windows_.erase(name)) throw Error("power window '{}' is not open", name);
  trim();
}

std::vector<std::string> PowerSampler::open_windows() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, t] : windows_) out.push_back(name);
  return out;
}

WindowResult PowerSampler::end_window(const std::string& name) {
  {
    std::lock_guard lock(mutex_);
    if (!windows_.count(name)) throw Error("power window '{}' is not open (open windows are named by begin_window)", name);
  }
  double t = options_.clock();
  if (running_) {
    std::unique_lock lock(mutex_);
    auto timeout = std::chrono::duration<double>(4 * options_.interval_s);
    new_sample_.wait_for(lock, timeout, [&] { return !samples_.empty() && samples_.back().t_s >= t; });
  } else {
    poll();
  }
  return end_window(name, t);
}

WindowResult PowerSampler::end_window(const std::string& name, double t_s) {
  double t0;
  {
    std::lock_guard lock(mutex_);
    auto it = windows_.find(name);
    if (it == windows_.end()) throw Error("power window '{}' is not open (open windows are named by begin_window)", name);
    t0 = it->second;
    windows_.erase(it);
  }
  WindowResult w = measure(t0, t_s, name);
  std::lock_guard lock(mutex_);
  trim();
  return w;
}

double PowerSampler::cumulative_at(size_t c, double t) const {
  const Sample& first = samples_.front();
  const Sample& last = samples_.back();
  if (t <= first.t_s) return first.energy_j[c] - first.power_w[c] * (first.t_s - t);
  if (t >= last.t_s) return last.energy_j[c] + last.power_w[c] * (t - last.t_s);
  auto it = std::upper_bound(samples_.begin(), samples_.end(), t,
                             [](double v, const Sample& s) { return v < s.t_s; });
  const Sample& b = *it;
  const Sample& a = *(it - 1);
  double span = b.t_s - a.t_s;
  double x = t - a.t_s;
  if (span <= 0) return a.energy_j[c];
  return a.energy_j[c] + a.power_w[c] * x + (b.power_w[c] - a.power_w[c]) * x * x / (2 * span);
}

WindowResult PowerSampler::measure(double t0, double t1, const std::string& name) const {
  if (t1 < t0) throw Error("power window '{}' ends ({:.6f} s) before it begins ({:.6f} s)", name, t1, t0);
  std::lock_guard lock(mutex_);
  if (samples_.empty())
    throw Error("power window '{}': no power samples{}", name, last_error_.empty() ? "" : " (" + last_error_ + ")");
  WindowResult w;
  w.name = name;
  w.t_begin_s = t0;
  w.t_end_s = t1;
  w.duration_s = t1 - t0;
  w.channels = channels_;
  for (size_t c = 0; c < channels_.size(); ++c) {
    double e = cumulative_at(c, t1) - cumulative_at(c, t0);
    w.energy_j.push_back(e);
    double p = w.duration_s > 0 ? e / w.duration_s : samples_.back().power_w[c];
    w.mean_power_w.push_back(p);
  }
  for (const auto& s : samples_)
    if (s.t_s >= t0 && s.t_s <= t1) ++w.samples;
  return w;
}

}  // namespace modewise::telemetry
