// eval transfer on synthetic profiles: the bookkeeping (cells, budgets, optimum gaps, violations, the preset
// baseline) and that the default method beats the linear baseline.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "modewise/device/grid.h"
#include "modewise/optimize/transfer_eval.h"
#include "modewise/util/error.h"
#include "predict/synthetic.h"

using namespace modewise;
using namespace modewise::optimize;

namespace {

profile::Profile make_profile(const std::string& name, const device::DeviceSpec& spec,
                              const test::SyntheticWorkload& w, const std::vector<device::PowerMode>& modes) {
  profile::Profile p;
  p.source = name;
  p.rows = test::synthetic_rows(spec, w, modes);
  return p;
}

TransferEvalOptions quick() {
  TransferEvalOptions o;
  o.samples = {20};
  o.repeats = 2;
  o.budgets = 6;
  o.methods = {"gp", "linear"};
  o.fit.arch.hidden = {32, 32};
  o.fit.arch.dropout = {};
  o.fit.train.epochs = 40;
  return o;
}

}  // namespace

TEST(TransferEval, ReportsEveryCellAndThePresetBaseline) {
  device::DeviceSpec spec = device::builtin_device("orin-agx");
  test::SyntheticWorkload other;
  other.name = "other";
  other.gpu_work = 120;
  other.loader = 12;
  auto ref = make_profile("ref.csv", spec, test::SyntheticWorkload{}, test::sample_grid(spec, 300, 1));
  auto fresh = make_profile("new.csv", spec, other, test::sample_grid(spec, 600, 2));
  size_t calls = 0;
  TransferEvalOptions o = quick();
  o.progress = [&](size_t, size_t total, const std::string&) {
    ++calls;
    EXPECT_EQ(total, 4u);
  };
  TransferEvalResult r = evaluate_transfer(spec, ref, spec, fresh, o);
  ASSERT_EQ(r.cells.size(), 3u);
  EXPECT_EQ(calls, 5u);
  EXPECT_EQ(r.new_modes, 600u);
  EXPECT_EQ(r.budgets_w.size(), 6u);
  const EvalCell& gp = r.cells[0];
  const EvalCell& lin = r.cells[1];
  EXPECT_EQ(gp.method, "gp");
  EXPECT_EQ(gp.mape_time_pct.size(), 2u);
  EXPECT_LT(gp.median_mape_time_pct, lin.median_mape_time_pct);
  EXPECT_LT(gp.median_mape_time_pct, 10.0);
  EXPECT_EQ(gp.recommendations + gp.no_recommendation, 12);  // 6 budgets x 2 repeats
  EXPECT_GE(gp.mean_gap_pct, -5.0);  // a violating pick may beat the optimum, but not by much
  EXPECT_EQ(r.cells[2].method, "nvpmodel-preset");
  EXPECT_EQ(r.cells[2].violations, 0);  // presets are chosen on their true power
  nlohmann::json j = to_json(r);
  EXPECT_EQ(j["results"].size(), 3u);
  EXPECT_EQ(j["new"]["label"], "other train bs16 on orin-agx");
}

TEST(TransferEval, BadArgumentsAreUsageErrors) {
  device::DeviceSpec spec = device::builtin_device("orin-agx");
  auto ref = make_profile("ref.csv", spec, test::SyntheticWorkload{}, test::sample_grid(spec, 100, 1));
  auto fresh = make_profile("new.csv", spec, test::SyntheticWorkload{}, test::sample_grid(spec, 30, 2));
  TransferEvalOptions o = quick();
  o.samples = {50};  // more than NEW has
  EXPECT_THROW(evaluate_transfer(spec, ref, spec, fresh, o), UsageError);
  o = quick();
  o.methods = {"magic"};
  EXPECT_THROW(evaluate_transfer(spec, ref, spec, fresh, o), UsageError);
}
