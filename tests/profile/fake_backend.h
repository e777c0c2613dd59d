// A small deterministic Backend for campaign tests: counts calls, answers from a closed-form model of the mode,
// and draws a run shaped like a real one (idle power, warm-up minibatches at low power and slow, then steady).
// Not an emulator: the numbers only need to differ per mode and be known to the test.
#pragma once
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "modewise/device/backend.h"
#include "modewise/device/device_spec.h"
#include "modewise/device/grid.h"
#include "modewise/util/error.h"

namespace modewise::test {

class FakeBackend : public device::Backend {
 public:
  explicit FakeBackend(device::DeviceSpec spec = device::builtin_device("orin-agx")) : spec_(std::move(spec)) {}

  std::string name() const override { return "fake:" + spec_.name; }
  device::Provenance provenance() const override { return device::Provenance::emulated; }
  const device::DeviceSpec& spec() const override { return spec_; }
  void apply(const device::PowerMode& m) override {
    device::validate_mode(spec_, m);
    ++applies;
    applied.push_back(m);
    mode_ = m;
  }
  device::PowerMode current_mode() const override { return mode_; }

  // Steady time and power of a mode (what the summary must give back).
  static double steady_time_ms(const device::PowerMode& m) { return 1000.0 / m.gpu_mhz * 10 + 100.0 / m.cores; }
  static double steady_power_w(const device::PowerMode& m) { return 10 + m.gpu_mhz / 100 + m.emc_mhz / 1000; }
  static constexpr double kIdlePowerW = 5;
  static constexpr int kWarmupMinibatches = 3;

  device::RunTrace run(const device::WorkloadRequest& w, int minibatches) override {
    ++runs;
    last_workload = w;
    if (fail_on_run && runs == fail_on_run) throw Error("fake backend: injected failure on run {}", runs);
    device::RunTrace t;
    double steady = steady_time_ms(mode_), power = steady_power_w(mode_);
    for (double s = 0; s < 0.5; s += 0.01) t.power.push_back({s, kIdlePowerW});  // 50 idle samples
    double start = 0.5;
    for (int i = 0; i < minibatches; ++i) {
      bool warm = i < kWarmupMinibatches;
      double time = warm ? steady * 3 : steady;
      t.minibatches.push_back({start, time, 0.1 * time, 0.9 * time});
      double level = warm ? kIdlePowerW * 1.1 : power;
      for (int k = 0; k < 5; ++k) t.power.push_back({start + time / 1000.0 * k / 5, level});
      start += time / 1000.0;
    }
    t.gpu_util = 0.8;
    t.cpu_util = 0.3;
    return t;
  }

  int applies = 0, runs = 0;
  int fail_on_run = 0;  // >0: run() number that throws
  std::vector<device::PowerMode> applied;
  device::WorkloadRequest last_workload;

 private:
  device::DeviceSpec spec_;
  device::PowerMode mode_;
};

}  // namespace modewise::test
