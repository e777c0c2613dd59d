// A power sampler: a thread reads a PowerSensor at a fixed interval (default 5 ms = 200 Hz) with monotonic
// timestamps and integrates energy per channel with the trapezoidal rule. Measurement windows are named, may
// overlap and nest, and report duration, energy per channel and in total, and mean power. Energy between samples
// follows the same piecewise-linear power curve the trapezoid assumes, so a window that starts or ends between
// two samples gets the exact share of that interval.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "modewise/telemetry/power_sensor.h"

namespace modewise::telemetry {

// Seconds on the monotonic clock (CLOCK_MONOTONIC, the clock of std::chrono::steady_clock on Linux and of
// Python's time.monotonic()).
double monotonic_s();

struct Sample {
  double t_s = 0;                 // monotonic seconds
  std::vector<double> power_w;    // per channel, [0] = total
  std::vector<double> energy_j;   // cumulative since the sampler started, per channel (trapezoidal)
  double counter_energy_j = -1;   // the sensor's own counter, when it has one
};

// Differences of two samples (first earlier than second).
double elapsed_s(const Sample& first, const Sample& second);
double energy_j(const Sample& first, const Sample& second, size_t channel = 0);
double mean_power_w(const Sample& first, const Sample& second, size_t channel = 0);

struct WindowResult {
  std::string name;
  double t_begin_s = 0, t_end_s = 0;
  double duration_s = 0;
  std::vector<std::string> channels;  // "total" first
  std::vector<double> energy_j;       // per channel
  std::vector<double> mean_power_w;   // per channel
  size_t samples = 0;                 // samples inside the window
  double total_energy_j() const { return energy_j.empty() ? 0 : energy_j[0]; }
  double total_mean_power_w() const { return mean_power_w.empty() ? 0 : mean_power_w[0]; }
};

struct SamplerOptions {
  double interval_s = 0.005;
  // Keep every sample (history()). When false, samples older than the earliest open window are dropped.
  bool keep_history = true;
  // Monotonic clock in seconds; tests inject a fake one and call poll() themselves.
  std::function<double()> clock = monotonic_s;
  // Called from the sampling thread after each sample (outside the sampler's lock).
  std::function<void(const Sample&)> on_sample;
};

class PowerSampler {
 public:
  PowerSampler(PowerSensor& sensor, SamplerOptions options = {});
  ~PowerSampler();
  PowerSampler(const PowerSampler&) = delete;
  PowerSampler& operator=(const PowerSampler&) = delete;

  const std::vector<std::string>& channels() const { return channels_; }
  std::string total_rule() const { return sensor_.total_rule(); }

  void start();  // the sampling thread; takes a first sample before returning
  void stop();   // joins the thread (also done by the destructor)
  bool running() const { return running_; }

  // Take one sample now (the thread calls this; tests with a fake clock call it directly).
  // A sensor error is counted (errors()) and the sample skipped.
  void poll();

  Sample latest() const;                // throws Error before the first sample
  std::vector<Sample> history() const;  // copies (all samples when keep_history)
  size_t sample_count() const;
  size_t errors() const { return errors_; }
  std::string last_error() const;
  double achieved_rate_hz() const;  // samples per second since start

  // Named windows. Beginning a name that is open, or ending one that is not, throws Error naming it.
  void begin_window(const std::string& name);
  void begin_window(const std::string& name, double t_s);
  // Ends at clock() now, or at t_s. Waits (up to 4 intervals) for a sample at or after the end time while the
  // thread runs, so the end is interpolated rather than extrapolated.
  WindowResult end_window(const std::string& name);
  WindowResult end_window(const std::string& name, double t_s);
  void cancel_window(const std::string& name);
  std::vector<std::string> open_windows() const;

  // Integrate the retained samples between two times (clamped: power before the first / after the last sample
  // is held constant).
  WindowResult measure(double t_begin_s, double t_end_s, const std::string& name = "") const;

 private:
  double cumulative_at(size_t channel, double t_s) const;  // needs lock
  void trim();                                            // needs lock
  void loop();

  PowerSensor& sensor_;
  SamplerOptions options_;
  std::vector<std::string> channels_;
  std::mutex poll_mutex_;  // one sensor read at a time
  mutable std::mutex mutex_;
  std::condition_variable new_sample_;
  std::deque<Sample> samples_;
  size_t total_samples_ = 0;
  std::map<std::string, double> windows_;  // name -> begin time
  std::atomic<size_t> errors_{0};
  std::string last_error_;
  double start_t_s_ = 0;
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace modewise::telemetry
