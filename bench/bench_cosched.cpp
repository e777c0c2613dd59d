// Co-scheduling benchmarks: one plan per strategy on the emulated fulcrum grid (the true table is built
// once, outside the timed loop), the discrete-event simulator, and the evaluation's per-pair work.
#include <benchmark/benchmark.h>

#include <memory>

#include "modewise/cosched/als.h"
#include "modewise/cosched/des.h"
#include "modewise/cosched/eval.h"
#include "modewise/cosched/planner.h"
#include "modewise/device/grid.h"

namespace {

using namespace modewise;
using namespace modewise::cosched;

struct Pair {
  ModeLattice lat;
  Workloads w{"resnet50", "mobilenetv3", 16, {1, 4, 16, 32, 64}};
  std::shared_ptr<const ProfileTable> table;
  Pair() {
    auto spec = device::resolve_device("orin-agx");
    lat = ModeLattice(device::grid_axes(spec, "fulcrum"));
    table = std::make_shared<const ProfileTable>(build_table(emulator_source(spec, w, lat), lat));
  }
  ProfileOracle oracle() const { return ProfileOracle(lat, w, table_source(table)); }
};

const Pair& pair() {
  static Pair p;
  return p;
}

// Budgets that bind power (the hard case for GMD): resnet50 training + mobilenetv3 inference at 100 req/s.
const Budget kBudget{100, 600, 30};

void BM_PlanGmd(benchmark::State& state) {
  for (auto _ : state) {
    ProfileOracle o = pair().oracle();
    benchmark::DoNotOptimize(plan_gmd(o, kBudget, 15, {}));
  }
}
BENCHMARK(BM_PlanGmd)->Unit(benchmark::kMicrosecond);

void BM_PlanExhaustive(benchmark::State& state) {
  for (auto _ : state) {
    ProfileOracle o = pair().oracle();
    benchmark::DoNotOptimize(plan_exhaustive(o, kBudget));
  }
}
BENCHMARK(BM_PlanExhaustive)->Unit(benchmark::kMicrosecond);

void BM_AlsProfilePair(benchmark::State& state) {
  const auto scenarios = scenarios_in_box({5, 500, 100, 5000, 10, 50}, 200, 1);
  for (auto _ : state) {
    ProfileOracle o = pair().oracle();
    AlsPlanner als(o, scenarios, {}, {});
    als.profile();
    benchmark::DoNotOptimize(als.pareto_modes().size());
  }
}
BENCHMARK(BM_AlsProfilePair)->Unit(benchmark::kMillisecond);

void BM_AlsAnswer(benchmark::State& state) {
  static ProfileOracle o = pair().oracle();
  static AlsPlanner als = [] {
    AlsPlanner a(o, scenarios_in_box({5, 500, 100, 5000, 10, 50}, 200, 1), {}, {});
    a.profile();
    return a;
  }();
  for (auto _ : state) benchmark::DoNotOptimize(als.answer(kBudget));
}
BENCHMARK(BM_AlsAnswer)->Unit(benchmark::kMicrosecond);

void BM_DesOneHourPoisson(benchmark::State& state) {
  const auto arrivals = poisson_arrivals(100, 3600, 1);
  DesConfig c{{156, 50}, {30, 35}, 16, 16, 3600};
  for (auto _ : state) benchmark::DoNotOptimize(simulate_managed(c, arrivals));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(arrivals.size()));
}
BENCHMARK(BM_DesOneHourPoisson)->Unit(benchmark::kMillisecond);

void BM_EvalOnePair(benchmark::State& state) {
  EvalOptions o;
  o.train_workloads = {"resnet50"};
  o.infer_workloads = {"mobilenetv3"};
  o.threads = 1;
  for (auto _ : state) benchmark::DoNotOptimize(run_eval(o));
  state.SetItemsProcessed(state.iterations() * 10 * 14 * 15);  // configurations
}
BENCHMARK(BM_EvalOnePair)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
