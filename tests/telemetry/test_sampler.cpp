// The power sampler: trapezoidal energy of synthetic power curves read from fake INA3221 rails (within 1%), named
// windows that nest and overlap, and the live sampling thread.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

#include "control/fake_sysfs.h"
#include "modewise/telemetry/power_sensor.h"
#include "modewise/telemetry/sampler.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::telemetry;
using modewise::testing::Board;
using modewise::testing::FakeSysfs;

namespace {

constexpr double kPi = 3.14159265358979323846;

// GPU rail: 10 + 5 sin(2 pi t / 0.7) W; CPU rail: 3 + 2 t W (a ramp).
double gpu_w(double t) { return 10 + 5 * std::sin(2 * kPi * t / 0.7); }
double cpu_w(double t) { return 3 + 2 * t; }
double gpu_j(double a, double b) {
  auto F = [](double t) { return 10 * t - 5 * 0.7 / (2 * kPi) * std::cos(2 * kPi * t / 0.7); };
  return F(b) - F(a);
}
double cpu_j(double a, double b) { return 3 * (b - a) + (b * b - a * a); }

}  // namespace

TEST(Sampler, SyntheticCurveFromFakeRailsIntegratesWithinOnePercent) {
  FakeSysfs fake(Board::orin_agx_jp5);
  auto sensor = make_ina3221_sensor(SysfsRoot(fake.root()));
  double now = 0;
  SamplerOptions o;
  o.clock = [&] { return now; };
  PowerSampler sampler(*sensor, o);
  // 100 Hz, 3 s; the window starts and ends between samples.
  for (int k = 0; k <= 300; ++k) {
    now = k * 0.01;
    fake.set_rail_mw("VDD_GPU_SOC", gpu_w(now) * 1000);
    fake.set_rail_mw("VDD_CPU_CV", cpu_w(now) * 1000);
    sampler.poll();
    if (k == 12) sampler.begin_window("run", 0.123);
  }
  WindowResult w = sampler.end_window("run", 2.871);
  double expected = gpu_j(0.123, 2.871) + cpu_j(0.123, 2.871);
  EXPECT_NEAR(w.total_energy_j(), expected, 0.01 * expected);
  RecordProperty("relative_error", std::to_string(std::fabs(w.total_energy_j() - expected) / expected));
  EXPECT_NEAR(w.energy_j[1], gpu_j(0.123, 2.871), 0.01 * gpu_j(0.123, 2.871));  // VDD_GPU_SOC
  EXPECT_NEAR(w.energy_j[2], cpu_j(0.123, 2.871), 0.01 * cpu_j(0.123, 2.871));  // VDD_CPU_CV
  EXPECT_NEAR(w.duration_s, 2.748, 1e-12);
  EXPECT_NEAR(w.total_mean_power_w(), expected / 2.748, 0.01 * expected / 2.748);
  EXPECT_EQ(w.samples, 275u);  // 0.13 .. 2.87
  EXPECT_EQ(w.channels[0], "total");
}

TEST(Sampler, PiecewiseLinearCurveIsExact) {
  // Power linear between samples: the trapezoid (and the partial-interval formula) is exact.
  double now = 0;
  auto sensor = make_function_sensor({"A"}, [](double t) { return std::vector<double>{5 + 4 * t}; });
  SamplerOptions o;
  o.clock = [&] { return now; };
  PowerSampler s(*sensor, o);
  for (int k = 0; k <= 10; ++k) {
    now = k * 0.1;
    s.poll();
  }
  auto w = s.measure(0.05, 0.95);
  EXPECT_NEAR(w.total_energy_j(), 5 * 0.9 + 2 * (0.95 * 0.95 - 0.05 * 0.05), 1e-12);
  // Outside the samples, power is held constant.
  auto after = s.measure(1.0, 2.0);
  EXPECT_NEAR(after.total_energy_j(), 9.0, 1e-12);
  auto snap0 = s.history().front(), snap1 = s.history().back();
  EXPECT_NEAR(energy_j(snap0, snap1), 5 + 2, 1e-12);
  EXPECT_NEAR(mean_power_w(snap0, snap1), 7, 1e-12);
  EXPECT_NEAR(elapsed_s(snap0, snap1), 1, 1e-12);
}

TEST(Sampler, WindowsNestOverlapAndNameErrors) {
  double now = 0;
  auto sensor = make_function_sensor({"VDD_IN", "SUB"}, [](double) { return std::vector<double>{10, 4}; });
  SamplerOptions o;
  o.clock = [&] { return now; };
  o.keep_history = false;
  PowerSampler s(*sensor, o);
  auto step = [&](double t) {
    now = t;
    s.poll();
  };
  step(0);
  s.begin_window("outer");
  step(1);
  s.begin_window("inner");
  step(2);
  EXPECT_THROW(s.begin_window("inner"), Error);
  s.begin_window("overlap");
  step(3);
  auto inner = s.end_window("inner", 3);
  step(4);
  auto outer = s.end_window("outer", 4);
  step(5);
  auto overlap = s.end_window("overlap", 5);
  EXPECT_DOUBLE_EQ(inner.total_energy_j(), 20);   // VDD_IN is the total: 10 W, sub-rail not added
  EXPECT_DOUBLE_EQ(inner.energy_j[2], 8);
  EXPECT_DOUBLE_EQ(outer.total_energy_j(), 40);
  EXPECT_DOUBLE_EQ(overlap.total_energy_j(), 30);
  EXPECT_DOUBLE_EQ(overlap.total_mean_power_w(), 10);
  EXPECT_THROW(s.end_window("never"), Error);
  try {
    s.end_window("inner");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'inner'"), std::string::npos);
  }
  s.begin_window("x");
  s.cancel_window("x");
  EXPECT_TRUE(s.open_windows().empty());
  EXPECT_LE(s.history().size(), 2u);  // trimmed: no window open
}

TEST(Sampler, SensorErrorsAreCountedNotFatal) {
  bool fail = false;
  double now = 0;
  auto sensor = make_function_sensor({"A"}, [&](double) -> std::vector<double> {
    if (fail) throw Error("rail unreadable");
    return {1};
  });
  SamplerOptions o;
  o.clock = [&] { return now; };
  PowerSampler s(*sensor, o);
  EXPECT_THROW(s.latest(), Error);
  s.poll();
  fail = true;
  now = 1;
  s.poll();
  EXPECT_EQ(s.errors(), 1u);
  EXPECT_EQ(s.last_error(), "rail unreadable");
  EXPECT_EQ(s.sample_count(), 1u);
  EXPECT_THROW(PowerSampler(*sensor, SamplerOptions{0, true, nullptr, nullptr}), Error);
}

TEST(Sampler, LiveThreadOnFakeRailsWithAWriterThread) {
  // A writer thread draws a sine (two full periods of 0.3 s) on VIN_SYS_5V0 in 2 ms steps and logs what it wrote
  // when; the sampler thread (5 ms) must integrate the same energy. Both threads' timestamps jitter by the
  // scheduler's delays (milliseconds on a loaded 2-core CI machine), so the bound is 3%; the 1% accuracy of the
  // integration itself is the deterministic test above.
  FakeSysfs fake(Board::orin_agx_jp5);
  auto sensor = make_ina3221_sensor(SysfsRoot(fake.root()));
  std::mutex mu;
  std::vector<std::pair<double, double>> written;  // (monotonic s, W actually in the files)
  auto write_w = [&](double w) {
    long long ma = std::llround(w * 1000 / 5000.0 * 1000) ;  // the fake rail is at 5000 mV
    fake.set_rail_mw("VIN_SYS_5V0", static_cast<double>(ma) * 5.0);
    std::lock_guard lock(mu);
    written.emplace_back(monotonic_s(), static_cast<double>(ma) * 5.0 / 1000.0);
  };
  write_w(8);
  PowerSampler sampler(*sensor, SamplerOptions{});
  sampler.start();
  double t0 = monotonic_s();
  sampler.begin_window("curve", t0);
  std::thread writer([&] {
    for (;;) {
      double t = monotonic_s() - t0;
      if (t >= 0.6) break;
      write_w(8 + 4 * std::sin(2 * kPi * t / 0.3));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  writer.join();
  double t1 = monotonic_s();
  write_w(8);
  auto w = sampler.end_window("curve", t1);
  sampler.stop();
  double expected = 0;
  {
    std::lock_guard lock(mu);
    for (size_t i = 0; i + 1 < written.size(); ++i) {
      double a = std::max(written[i].first, t0), b = std::min(written[i + 1].first, t1);
      if (b > a) expected += written[i].second * (b - a);
    }
  }
  EXPECT_NEAR(w.total_energy_j(), expected, 0.03 * expected) << "samples " << w.samples;
  RecordProperty("relative_error", std::to_string(std::fabs(w.total_energy_j() - expected) / expected));
  EXPECT_GT(sampler.achieved_rate_hz(), 100);  // >= 100 Hz
  EXPECT_EQ(sampler.errors(), 0u);
}
