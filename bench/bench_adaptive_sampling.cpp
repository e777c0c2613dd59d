// Cost of one adaptive-sampling step (predict/adaptive_sampling.h) on one core: choosing the next modes from the
// 4,368 powertrain modes of the AGX Orin after 10, 20 or 45 measured modes (the transfer of every step included),
// and the spread first batch. Target (issue 13): under 1 s per step, never the bottleneck next to a one-minute
// measurement. Data: the emulator's noise-free estimates (sim::estimate), i.e. emulated numbers.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "modewise/device/grid.h"
#include "modewise/predict/adaptive_sampling.h"
#include "modewise/predict/sampling.h"
#include "modewise/predict/train.h"
#include "modewise/profile/campaign.h"
#include "modewise/sim/emulator.h"

#include "emulated_rows.h"

namespace {

using namespace modewise;

const device::DeviceSpec& orin_agx() {
  static const device::DeviceSpec s = device::builtin_device("orin-agx");
  return s;
}

const std::vector<device::PowerMode>& powertrain_modes() {
  static const auto m = device::grid_modes(orin_agx(), "powertrain");
  return m;
}

profile::ProfileRow emulated_row(const std::string& workload, const device::PowerMode& m) {
  return bench::emulated_row(orin_agx(), workload, m);
}

const predict::PerfModel& resnet18_reference() {
  static const predict::PerfModel m = [] {
    std::vector<profile::ProfileRow> rows;
    for (const auto& mode : profile::sample_modes(powertrain_modes(), 1100, 1))
      rows.push_back(emulated_row("resnet18", mode));
    return predict::fit_model(orin_agx(), rows, predict::FitOptions{});
  }();
  return m;
}

// The rows an adaptive campaign for mobilenetv3 has measured after `n` modes (the campaign itself, untimed).
std::vector<profile::ProfileRow> campaign_rows(size_t n, const predict::AdaptiveOptions& o) {
  std::vector<profile::ProfileRow> rows;
  while (rows.size() < n) {
    auto next = predict::next_adaptive_modes(resnet18_reference(), orin_agx(), powertrain_modes(), rows, o);
    if (next.empty()) break;
    for (const auto& m : next)
      if (rows.size() < n) rows.push_back(emulated_row("mobilenetv3", m));
  }
  return rows;
}

// Arg: modes measured so far (0: the spread first batch; 10, 20, 45: a later step choosing 5 modes).
void BM_AdaptiveNextModes(benchmark::State& state) {
  predict::AdaptiveOptions o;
  o.total = 50;
  resnet18_reference();  // fitted once, outside the timing
  const auto rows = campaign_rows(static_cast<size_t>(state.range(0)), o);
  for (auto _ : state)
    benchmark::DoNotOptimize(predict::next_adaptive_modes(resnet18_reference(), orin_agx(), powertrain_modes(), rows, o));
  state.SetLabel(fmt::format("{} measured, 4368 candidates", rows.size()));
}
BENCHMARK(BM_AdaptiveNextModes)->Arg(0)->Arg(10)->Arg(20)->Arg(45)->Unit(benchmark::kMillisecond);

}  // namespace
