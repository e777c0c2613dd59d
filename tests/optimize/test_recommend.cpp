// Pareto fronts, budget-constrained recommendation, presets and the nvpmodel block.
#include <random>

#include <gtest/gtest.h>

#include "modewise/device/grid.h"
#include "modewise/optimize/recommend.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::optimize;

namespace {

std::vector<device::PowerMode> some_modes(size_t n) {
  auto all = device::grid_modes(device::builtin_device("orin-agx"), "powertrain");
  all.resize(n);
  return all;
}

predict::Predictions preds(std::vector<double> t, std::vector<double> p) {
  predict::Predictions out;
  out.time_ms = std::move(t);
  out.power_w = std::move(p);
  return out;
}

}  // namespace

TEST(Pareto, MatchesBruteForce) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(1, 100);
  std::vector<double> t(500), p(500);
  for (size_t i = 0; i < t.size(); ++i) {
    t[i] = std::round(u(rng));  // ties on purpose
    p[i] = std::round(u(rng));
  }
  std::vector<size_t> front = pareto_front(t, p);
  std::vector<bool> in(t.size(), false);
  for (size_t i : front) in[i] = true;
  for (size_t i = 0; i < t.size(); ++i) {
    bool dominated = false, duplicate_kept = false;
    for (size_t j = 0; j < t.size(); ++j) {
      if (j == i) continue;
      if (t[j] <= t[i] && p[j] <= p[i] && (t[j] < t[i] || p[j] < p[i])) dominated = true;
      if (t[j] == t[i] && p[j] == p[i] && in[j]) duplicate_kept = true;
    }
    if (dominated) {
      EXPECT_FALSE(in[i]) << i;
    }
    if (!dominated && !duplicate_kept) {
      EXPECT_TRUE(in[i]) << i;
    }
  }
  for (size_t k = 1; k < front.size(); ++k) {
    EXPECT_GT(p[front[k]], p[front[k - 1]]);
    EXPECT_LT(t[front[k]], t[front[k - 1]]);
  }
}

TEST(Recommend, FastestWithinBudget) {
  auto modes = some_modes(4);
  auto p = preds({100, 50, 40, 30}, {10, 20, 29.9, 31});
  Recommendation r = recommend(modes, p, 30, Objective::time);
  EXPECT_EQ(r.index, 2u);
  EXPECT_EQ(r.mode, modes[2]);
  EXPECT_NEAR(r.margin_w, 0.1, 1e-9);
  EXPECT_EQ(r.feasible, 3u);
  // A 5% safety margin keeps predicted power under 28.5 W.
  EXPECT_EQ(recommend(modes, p, 30, Objective::time, PowerCaution{0.05, 0}).index, 1u);
  // With its uncertainty: mode 2 (sd 5%) may reach 29.9 x e^0.1 = 33 W at 2 sd; mode 1 (sd 1%) stays below.
  p.power_log_sd = {0.01, 0.01, 0.05, 0.01};
  EXPECT_EQ(recommend(modes, p, 30, Objective::time, PowerCaution{0, 2}).index, 1u);
  p.power_log_sd.clear();  // a model without uncertainty: the multiplier has no effect
  EXPECT_EQ(recommend(modes, p, 30, Objective::time, PowerCaution{0, 2}).index, 2u);
}

TEST(Recommend, EnergyObjective) {
  auto modes = some_modes(3);
  auto p = preds({100, 50, 45}, {10, 15, 30});  // energy 1.0, 0.75, 1.35 J
  EXPECT_EQ(recommend(modes, p, 40, Objective::energy).index, 1u);
  EXPECT_NEAR(recommend(modes, p, 40, Objective::energy).energy_j, 0.75, 1e-12);
}

TEST(Recommend, ImpossibleBudgetIsAClearError) {
  auto modes = some_modes(2);
  auto p = preds({100, 50}, {12.5, 20});
  try {
    recommend(modes, p, 10, Objective::time);
    FAIL();
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("no mode is predicted to stay within 10 W"), std::string::npos) << m;
    EXPECT_NE(m.find("12.50 W"), std::string::npos) << m;
  }
  EXPECT_THROW(recommend(modes, p, -1, Objective::time), UsageError);
  EXPECT_THROW(parse_objective("speed"), UsageError);
}

TEST(Presets, OrinPresetsAreModes) {
  device::DeviceSpec spec = device::builtin_device("orin-agx");
  auto presets = preset_modes(spec);
  ASSERT_EQ(presets.size(), 4u);
  EXPECT_EQ(presets[0].name, "MAXN");
  EXPECT_EQ(presets[0].mode, spec.maxn());
  EXPECT_EQ(presets[2].mode.cores, 8);
  for (const auto& p : presets) EXPECT_TRUE(device::has_mode(spec, p.mode)) << p.name;
}

TEST(Nvpmodel, BlockPinsTheMode) {
  device::DeviceSpec spec = device::builtin_device("orin-agx");
  device::PowerMode m{6, 1497.6, 930.75, 2133};
  std::string b = nvpmodel_block(spec, m, 100, "MODEWISE_30W", {"hello"});
  EXPECT_NE(b.find("# hello\n< POWER_MODEL ID=100 NAME=MODEWISE_30W >\n"), std::string::npos) << b;
  EXPECT_NE(b.find("CPU_ONLINE CORE_5 1\nCPU_ONLINE CORE_6 0\n"), std::string::npos);
  EXPECT_NE(b.find("CPU_A78_0 MIN_FREQ 1497600\nCPU_A78_0 MAX_FREQ 1497600\n"), std::string::npos);
  EXPECT_NE(b.find("CPU_A78_1 MAX_FREQ 1497600"), std::string::npos);  // cores 4 and 5 are online
  EXPECT_EQ(b.find("CPU_A78_2"), std::string::npos);                    // cluster 2 is offline
  EXPECT_NE(b.find("GPU MIN_FREQ 930750000\nGPU MAX_FREQ 930750000\nEMC MAX_FREQ 2133000000\n"), std::string::npos);
  EXPECT_THROW(nvpmodel_block(spec, device::PowerMode{6, 1000, 930.75, 2133}, 1, "X", {}), Error);
}
