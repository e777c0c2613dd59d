// End-to-end: `recommend --confirm K` measures at most K modes near the budget on a backend (sim: and replay:),
// reports every measured mode with its provenance, the measured answer and "confirmed"; and its usage errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/emulated_models.h"
#include "cli/run_cli.h"
#include "modewise/profile/profile.h"

namespace {

using modewise::test::make_emulated_models;
using modewise::test::q;
using modewise::test::run_cli;
namespace fs = std::filesystem;
using nlohmann::json;

class CliRecommendConfirm : public ::testing::Test {
 protected:
  static fs::path dir;

  static void SetUpTestSuite() {
    dir = fs::temp_directory_path() / ("modewise_cli_confirm_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    make_emulated_models(dir, "profile --no-db", 100, 100);
  }
  static void TearDownTestSuite() { fs::remove_all(dir); }

  static std::string recommend(const std::string& args) {
    return "recommend --model " + q(dir / "new.model.json") + " " + args;
  }
};
fs::path CliRecommendConfirm::dir;

// The measured answer is the fastest measured mode within the budget, and "confirmed" follows the documented rule.
void expect_consistent(const json& j, double budget_w, double tolerance_pct) {
  ASSERT_TRUE(j["measured"].is_array());
  ASSERT_FALSE(j["measured"].empty());
  const json& c = j["confirmed_mode"];
  ASSERT_TRUE(c.is_object()) << j.dump();
  EXPECT_LE(c["power_w"].get<double>(), budget_w);
  bool found = false;
  for (const auto& m : j["measured"]) {
    EXPECT_EQ(m["within_budget"].get<bool>(), m["power_w"].get<double>() <= budget_w);
    if (m["within_budget"].get<bool>()) {
      EXPECT_GE(m["time_ms"].get<double>(), c["time_ms"].get<double>());
    }
    if (m["mode"] == c["mode"]) {
      found = true;
      EXPECT_DOUBLE_EQ(m["time_ms"].get<double>(), c["time_ms"].get<double>());
    }
  }
  EXPECT_TRUE(found) << "the answer is one of the measured modes";
  const bool expect_confirmed = c["time_ms"].get<double>() <= j["time_ms"].get<double>() * (1 + tolerance_pct / 100);
  EXPECT_EQ(j["confirmed"].get<bool>(), expect_confirmed) << j.dump();
  EXPECT_EQ(j["confirmation"]["same_mode_as_predicted"].get<bool>(), c["mode"] == j["mode"]);
}

TEST_F(CliRecommendConfirm, SimMeasuresAtMostKModesNearTheBudget) {
  auto r = run_cli(recommend("--device sim:orin-agx --grid powertrain --power-w 20 --confirm 4 --seed 3 --json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_LE(j["measured"].size(), 4u);
  EXPECT_EQ(j["confirmation"]["modes_measured"].get<size_t>(), j["measured"].size());
  EXPECT_EQ(j["confirmation"]["backend"], "sim:orin-agx");
  EXPECT_EQ(j["confirmation"]["workload"], "mobilenetv3");  // the model's workload by default
  for (const auto& m : j["measured"]) {
    EXPECT_EQ(m["provenance"], "emulated");
    // measured modes are near the budget, not anywhere on the grid
    EXPECT_GT(m["power_w"].get<double>(), 15.0) << m.dump();
    EXPECT_LT(m["power_w"].get<double>(), 25.0) << m.dump();
  }
  EXPECT_EQ(j["confirmed_mode"]["provenance"], "emulated");
  expect_consistent(j, 20, 5);
  EXPECT_NE(r.err.find("emulated (sim:orin-agx), not measured"), std::string::npos) << r.err;
  // the same seed gives the same measurements
  auto again = run_cli(recommend("--device sim:orin-agx --grid powertrain --power-w 20 --confirm 4 --seed 3 --json"));
  EXPECT_EQ(again.out, r.out);
}

TEST_F(CliRecommendConfirm, ToleranceDecidesConfirmed) {
  for (double tol : {0.0, 100.0}) {
    auto r = run_cli(recommend("--device sim:orin-agx --grid powertrain --power-w 25 --confirm 6 --json "
                               "--confirm-tolerance-pct " + std::to_string(tol)));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out);
    expect_consistent(j, 25, tol);
    if (tol == 100.0) {
      EXPECT_TRUE(j["confirmed"].get<bool>()) << j.dump();
    }
  }
}

TEST_F(CliRecommendConfirm, ReplayMeasuresOnlyTheFilesModesAtTheirRecordedValues) {
  auto r = run_cli(recommend("--device replay:" + q(dir / "new.csv") + " --power-w 20 --confirm 3 --json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["confirmation"]["provenance"], "replayed (emulated)");
  EXPECT_EQ(j["confirmation"]["measurable_candidates"].get<size_t>(), 30u);
  const auto recorded = modewise::profile::read_profile_csv((dir / "new.csv").string());
  for (const auto& m : j["measured"]) {
    EXPECT_EQ(m["provenance"], "replayed (emulated)");
    const modewise::device::PowerMode mode{m["mode"]["cores"].get<int>(), m["mode"]["cpu_mhz"].get<double>(),
                                           m["mode"]["gpu_mhz"].get<double>(), m["mode"]["emc_mhz"].get<double>()};
    bool in_file = false;
    for (const auto& row : recorded.rows) {
      if (!(row.mode == mode)) continue;
      in_file = true;
      EXPECT_NEAR(m["time_ms"].get<double>(), row.time_ms, 1e-6 * row.time_ms);
      EXPECT_NEAR(m["power_w"].get<double>(), row.power_w, 1e-6 * row.power_w);
    }
    EXPECT_TRUE(in_file) << m.dump();
  }
  expect_consistent(j, 20, 5);
}

// --known: the profile the model was transferred from counts as measured. Replaying that same file, every mode the
// backend could measure is known already, so nothing is measured and the answer is a known row at its recorded values.
TEST_F(CliRecommendConfirm, KnownProfileModesAreNotMeasuredAgainAndCanBeTheAnswer) {
  auto r = run_cli(recommend("--device replay:" + q(dir / "new.csv") + " --power-w 20 --confirm 3 --known " +
                             q(dir / "new.csv") + " --json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["confirmation"]["known_modes"].get<size_t>(), 30u) << j.dump();
  EXPECT_EQ(j["confirmation"]["modes_measured"].get<size_t>(), 0u) << j.dump();
  EXPECT_TRUE(j["measured"].empty()) << j.dump();
  const json& c = j["confirmed_mode"];
  ASSERT_TRUE(c.is_object()) << j.dump();
  EXPECT_EQ(c["source"], "known");
  EXPECT_LE(c["power_w"].get<double>(), 20.0);
  const auto recorded = modewise::profile::read_profile_csv((dir / "new.csv").string());
  double best_ms = 1e300;
  for (const auto& row : recorded.rows)
    if (row.power_w <= 20.0) best_ms = std::min(best_ms, row.time_ms);
  EXPECT_NEAR(c["time_ms"].get<double>(), best_ms, 1e-6 * best_ms) << "the best known mode within the budget";

  auto no_confirm = run_cli(recommend("--power-w 20 --known " + q(dir / "new.csv")));
  EXPECT_EQ(no_confirm.exit_code, 2) << no_confirm.err;
  EXPECT_NE(no_confirm.err.find("--known"), std::string::npos) << no_confirm.err;
  auto bad = run_cli(recommend("--device sim:orin-agx --power-w 20 --confirm 2 --known " + q(dir / "missing.csv")));
  EXPECT_EQ(bad.exit_code, 1) << bad.err;
  EXPECT_NE(bad.err.find("missing.csv"), std::string::npos) << bad.err;
}

TEST_F(CliRecommendConfirm, TextSaysWhatWasMeasuredAndWhetherItIsConfirmed) {
  auto r = run_cli(recommend("--device sim:orin-agx --grid powertrain --power-w 20 --confirm 4"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("confirmation on sim:orin-agx"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("measured answer:"), std::string::npos) << r.out;
  EXPECT_TRUE(r.out.find("\nconfirmed: ") != std::string::npos || r.out.find("\nNOT confirmed: ") != std::string::npos)
      << r.out;
}

// A budget below every mode: without --confirm an error; with it the measurements say so and nothing is confirmed.
TEST_F(CliRecommendConfirm, NothingWithinTheBudgetIsNotConfirmed) {
  auto plain = run_cli(recommend("--device sim:orin-agx --grid powertrain --power-w 3"));
  EXPECT_EQ(plain.exit_code, 1) << plain.err;
  auto r = run_cli(recommend("--device sim:orin-agx --grid powertrain --power-w 3 --confirm 2 --json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_FALSE(j["confirmed"].get<bool>());
  EXPECT_TRUE(j["confirmed_mode"].is_null());
  EXPECT_TRUE(j["mode"].is_null());
  EXPECT_EQ(j["measured"].size(), 2u);
  for (const auto& m : j["measured"]) EXPECT_FALSE(m["within_budget"].get<bool>());
  EXPECT_NE(j["confirmation"]["reason"].get<std::string>().find("none of the 2 modes"), std::string::npos);
}

TEST_F(CliRecommendConfirm, UsageErrors) {
  struct Case {
    std::string args, needle, why;
  };
  const Case cases[] = {
      {"--device sim:orin-agx --power-w 20 --confirm -1", "--confirm", ""},
      {"--power-w 20 --confirm 3", "give --device", ""},
      {"--device orin-agx --power-w 20 --confirm 3", "found 'orin-agx'", ""},
      {"--device sim:orin-agx --power-w 20 --confirm 3 --workload nosuchnet", "unknown workload 'nosuchnet'", ""},
      {"--device replay:" + q(dir / "new.csv") + " --power-w 20 --confirm 3 --workload resnet50", "mobilenetv3",
       "names what the file has: "},
  };
  for (const auto& c : cases) {
    auto r = run_cli(recommend(c.args));
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << c.why << r.err;
    EXPECT_EQ(r.err.rfind("modewise: error: ", 0), 0u) << "one error line, nothing before it: " << r.err;
  }
}

}  // namespace
