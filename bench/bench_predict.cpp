// Prediction benchmarks on one core (docs/BENCHMARKS.md, "Prediction and transfer"): fitting a reference model,
// transferring it, and predicting all 18,096 modes of the AGX Orin full grid plus the Pareto front.
// Data: the emulator's noise-free estimates (sim::estimate), i.e. emulated numbers.
#include <random>

#include <benchmark/benchmark.h>

#include "modewise/device/grid.h"
#include "modewise/optimize/recommend.h"
#include "modewise/predict/train.h"
#include "modewise/profile/campaign.h"
#include "modewise/sim/emulator.h"

#include "emulated_rows.h"

namespace {

using namespace modewise;

const device::DeviceSpec& orin() {
  static const device::DeviceSpec s = device::builtin_device("orin-agx");
  return s;
}

std::vector<profile::ProfileRow> emulated_rows(const std::string& workload, size_t n, uint64_t seed) {
  return bench::emulated_rows(orin(), workload, profile::sample_modes(device::grid_modes(orin(), "powertrain"), n, seed));
}

const std::vector<profile::ProfileRow>& reference_rows() {
  static const auto rows = emulated_rows("resnet18", 1100, 1);
  return rows;
}
const std::vector<profile::ProfileRow>& transfer_rows() {
  static const auto rows = emulated_rows("mobilenetv3", 50, 2);
  return rows;
}
const predict::PerfModel& reference(bool published) {
  static const predict::PerfModel def = predict::fit_model(orin(), reference_rows(), predict::FitOptions{});
  static const predict::PerfModel pub = predict::fit_model(orin(), reference_rows(), predict::published_fit_options());
  return published ? pub : def;
}

// Arg 0: the default reference (physical features, 24-24-12); 1: the published network (256-128-64, dropout).
void BM_FitReference(benchmark::State& state) {
  predict::FitOptions f = state.range(0) ? predict::published_fit_options() : predict::FitOptions{};
  for (auto _ : state) benchmark::DoNotOptimize(predict::fit_model(orin(), reference_rows(), f));
  state.SetLabel(state.range(0) ? "published 256-128-64, 1100 modes" : "default 24-24-12, 1100 modes");
}
BENCHMARK(BM_FitReference)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(2);

// Arg 0: gp (default), 1: powertrain (published transfer from the published network), 2: ensemble.
void BM_Transfer(benchmark::State& state) {
  static const char* methods[] = {"gp", "powertrain", "ensemble"};
  predict::TransferOptions t;
  t.method = methods[state.range(0)];
  const predict::PerfModel& base = reference(state.range(0) != 0);
  for (auto _ : state) benchmark::DoNotOptimize(predict::transfer_model(base, orin(), transfer_rows(), t));
  state.SetLabel(std::string(t.method) + ", 50 modes");
}
BENCHMARK(BM_Transfer)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// Predict all 18,096 modes of the full grid and build the Pareto front. Arg 0: the default gp transfer;
// 1: a powertrain transfer of the published network.
void BM_PredictFullGridAndPareto(benchmark::State& state) {
  predict::TransferOptions t;
  t.method = state.range(0) ? "powertrain" : "gp";
  static const auto modes = device::grid_modes(orin(), "full");
  predict::PerfModel model = predict::transfer_model(reference(state.range(0) != 0), orin(), transfer_rows(), t);
  for (auto _ : state) {
    predict::Predictions p = model.predict(orin(), modes);
    benchmark::DoNotOptimize(optimize::pareto_front(p.time_ms, p.power_w));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * modes.size()));
  state.SetLabel(std::string(t.method) + ", 18096 modes + Pareto");
}
BENCHMARK(BM_PredictFullGridAndPareto)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
