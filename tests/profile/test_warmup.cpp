#include <gtest/gtest.h>

#include <cmath>

#include "modewise/profile/warmup.h"
#include "modewise/util/error.h"

using namespace modewise;
using profile::detect_warmup_end;
using profile::summarize_run;

namespace {

// idle_s of idle power sampled every 10 ms, then minibatches; power of minibatch i = level(i), 4 samples each.
device::RunTrace make_trace(const std::vector<double>& times_ms, const std::vector<double>& power_w, double idle_w,
                            double idle_s = 0.2) {
  device::RunTrace t;
  for (double s = 0; s < idle_s - 1e-9; s += 0.01) t.power.push_back({s, idle_w});
  double start = idle_s;
  for (size_t i = 0; i < times_ms.size(); ++i) {
    t.minibatches.push_back({start, times_ms[i], 0.25 * times_ms[i], 0.75 * times_ms[i]});
    for (int k = 0; k < 4; ++k) t.power.push_back({start + times_ms[i] / 1000.0 * k / 4, power_w[i]});
    start += times_ms[i] / 1000.0;
  }
  return t;
}

}  // namespace

TEST(Warmup, DetectsFirstSampleAboveFactorTimesMovingMean) {
  std::vector<double> p(10, 10.0);
  p.push_back(12.4);  // 1.24x: not a jump
  p.push_back(13.0);  // mean of previous 10 = (9*10 + 12.4)/10 = 10.24; 13.0 >= 12.8
  auto i = detect_warmup_end(p);
  ASSERT_TRUE(i.has_value());
  EXPECT_EQ(*i, 11u);
}

TEST(Warmup, ExactlyTheFactorCounts) {
  std::vector<double> p(10, 8.0);
  p.push_back(10.0);  // exactly 1.25 x 8
  EXPECT_EQ(detect_warmup_end(p).value(), 10u);
}

TEST(Warmup, NoJumpInFlatOrShortTraces) {
  EXPECT_FALSE(detect_warmup_end(std::vector<double>(50, 20.0)).has_value());
  EXPECT_FALSE(detect_warmup_end(std::vector<double>{1, 1, 100}).has_value());  // fewer than window+1 samples
  // a slow ramp never jumps 25% above the mean of the last 10 samples
  std::vector<double> ramp;
  for (int i = 0; i < 100; ++i) ramp.push_back(10 + 0.1 * i);
  EXPECT_FALSE(detect_warmup_end(ramp).has_value());
}

TEST(Warmup, MovingMeanUsesOnlyTheLastWindowSamples) {
  // high early samples would hide the jump if the mean covered the whole history
  std::vector<double> p(10, 100.0);
  for (int i = 0; i < 10; ++i) p.push_back(10.0);
  p.push_back(13.0);
  // sample 10 (first 10 W) is not a jump, and the first full-10 W window makes sample 20 a jump
  EXPECT_EQ(detect_warmup_end(p).value(), 20u);
  EXPECT_EQ(detect_warmup_end(p, 1.25, 5).value(), 20u);
}

TEST(Warmup, SummaryUsesTheWindowAfterThePowerJump) {
  std::vector<double> times = {300, 200, 150}, power = {6, 6, 6};
  for (int i = 0; i < 50; ++i) times.push_back(100 + (i % 2 ? 2 : -2)), power.push_back(i < 40 ? 30 + i % 3 : 50);
  auto trace = make_trace(times, power, 5.0);
  trace.gpu_util = 0.9;
  auto s = summarize_run(trace, 40);
  EXPECT_EQ(s.warmup_method, "power-jump");
  EXPECT_EQ(s.warmup_minibatches, 3);
  EXPECT_EQ(s.samples, 40);
  EXPECT_NEAR(s.time_ms, 100.0, 1e-9);
  EXPECT_NEAR(s.time_sd_ms, std::sqrt(4.0 * 40 / 39), 1e-9);
  // power: median over samples inside the window (30, 31, 32 repeating; the first sample after the window is 50)
  EXPECT_DOUBLE_EQ(s.power_w, 31.0);
  EXPECT_NEAR(s.energy_j, s.time_ms * s.power_w / 1000, 1e-12);
  EXPECT_NEAR(s.stall_fraction, 0.25, 1e-12);
  EXPECT_NEAR(s.fetch_ms, 25.0, 1e-9);
  EXPECT_DOUBLE_EQ(s.gpu_util, 0.9);
  EXPECT_TRUE(std::isnan(s.cpu_util));
}

TEST(Warmup, SlowMinibatchesAfterTheJumpAreSkippedToo) {
  // power already high during the first two (slow) minibatches: autotuning at full power
  std::vector<double> times = {400, 250}, power = {30, 30};
  for (int i = 0; i < 45; ++i) times.push_back(100), power.push_back(30);
  auto s = summarize_run(make_trace(times, power, 5.0), 40);
  EXPECT_EQ(s.warmup_method, "power-jump+time-outliers");
  EXPECT_EQ(s.warmup_minibatches, 2);
  EXPECT_DOUBLE_EQ(s.time_ms, 100);
  EXPECT_EQ(s.samples, 40);
}

TEST(Warmup, FallbackSkipsLeadingTimeOutliersWhenPowerIsFlat) {
  std::vector<double> times = {500, 180, 104}, power(3, 20);
  for (int i = 0; i < 30; ++i) times.push_back(100 + (i % 3) - 1), power.push_back(20);
  auto s = summarize_run(make_trace(times, power, 20.0), 40);
  EXPECT_EQ(s.warmup_method, "time-outliers");
  EXPECT_EQ(s.warmup_minibatches, 2);  // 104 ms is within 10% of the steady 100 ms
  EXPECT_EQ(s.samples, 31);            // fewer than asked: what the run has
  EXPECT_DOUBLE_EQ(s.power_w, 20);
}

TEST(Warmup, NoWarmupAtAllKeepsEveryMinibatch) {
  std::vector<double> times(10, 50.0), power(10, 12.0);
  auto s = summarize_run(make_trace(times, power, 12.0, 0), 40);
  EXPECT_EQ(s.warmup_method, "none");
  EXPECT_EQ(s.warmup_minibatches, 0);
  EXPECT_EQ(s.samples, 10);
  EXPECT_DOUBLE_EQ(s.time_ms, 50);
  EXPECT_DOUBLE_EQ(s.time_sd_ms, 0);
  EXPECT_DOUBLE_EQ(s.power_sd_w, 0);
}

TEST(Warmup, SparsePowerUsesTheNearestSample) {
  device::RunTrace t;
  for (int i = 0; i < 5; ++i) t.minibatches.push_back({i * 0.1, 100, 0, 100});
  t.power = {{10.0, 7.5}};  // one sample, long after the run
  auto s = summarize_run(t, 40);
  EXPECT_DOUBLE_EQ(s.power_w, 7.5);
  EXPECT_EQ(s.power_samples, 1);
}

TEST(Warmup, EmptyRunsAreErrors) {
  device::RunTrace t;
  EXPECT_THROW(summarize_run(t, 40), Error);
  t.minibatches.push_back({0, 10, 0, 10});
  EXPECT_THROW(summarize_run(t, 40), Error);
}

TEST(Warmup, MedianOfEvenAndOddCounts) {
  EXPECT_DOUBLE_EQ(profile::median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(profile::median({4, 1, 3, 2}), 2.5);
  EXPECT_TRUE(std::isnan(profile::median({})));
}
