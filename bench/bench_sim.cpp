// Cost of the emulator: noise-free estimates, and a profiling campaign of the whole powertrain grid
// (4,368 modes x 50 minibatches) through the sim:orin-agx backend. Numbers: docs/BENCHMARKS.md.
#include <benchmark/benchmark.h>

#include "modewise/device/grid.h"
#include "modewise/sim/emulator.h"

namespace {

using namespace modewise;

device::WorkloadRequest req(const char* workload, const char* task, int bs) {
  device::WorkloadRequest r;
  r.workload = workload;
  r.task = task;
  r.batch_size = bs;
  return r;
}

void BM_SimEstimate(benchmark::State& state) {
  auto spec = device::builtin_device("orin-agx");
  auto modes = device::grid_modes(spec, "powertrain");
  auto r = req("resnet50", "train", 16);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sim::estimate(spec, r, modes[i++ % modes.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SimEstimate);

// One full campaign: apply + run(50 minibatches) for every mode of the powertrain grid.
void BM_SimCampaignPowertrain(benchmark::State& state, const char* workload) {
  auto spec = device::builtin_device("orin-agx");
  auto modes = device::grid_modes(spec, "powertrain");
  auto r = req(workload, "train", 16);
  for (auto _ : state) {
    auto backend = sim::make_sim_backend(spec, 1);
    size_t samples = 0;
    for (const auto& m : modes) {
      backend->apply(m);
      auto tr = backend->run(r, 50);
      samples += tr.power.size();
    }
    benchmark::DoNotOptimize(samples);
  }
  state.SetItemsProcessed(state.iterations() * modes.size());
  state.SetLabel("4368 modes x 50 minibatches");
}
BENCHMARK_CAPTURE(BM_SimCampaignPowertrain, resnet18, "resnet18")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SimCampaignPowertrain, bert_large, "bert-large")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SimCampaignPowertrain, lstm, "lstm")->Unit(benchmark::kMillisecond);

}  // namespace
