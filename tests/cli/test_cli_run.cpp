// End-to-end tests of `modewise run` (the job behind `make run`): adaptive sampling of the new workload by default,
// confirmation by measurement, the count of modes measured, reuse of both campaigns from the store, and the other
// samplings. A smaller reference (--ref-modes) keeps them quick; all numbers are emulated.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <string>

#include "cli/run_cli.h"
#include "control/fake_sysfs.h"

using modewise::test::run_cli;
using modewise::testing::TempDir;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(CliRun, AdaptiveSamplingAndConfirmationByDefaultSayHowManyModesWereMeasured) {
  TempDir d;
  std::string args = "--db '" + d.file("run.db") + "' run --ref-modes 150 --power-w 30 --svg '" + d.file("p.svg") + "'";
  auto r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "transferred with 'gp' from 20 profiled modes of mobilenetv3 (adaptive sampling)")) << r.out;
  EXPECT_TRUE(contains(r.err, "adaptive step 1: 10 modes chosen")) << r.err;
  EXPECT_TRUE(contains(r.err, "adaptive step 3: 5 modes chosen")) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("after profiling (\\d+) modes near the budget"))) << r.out;
  const int confirmed = std::stoi(m[1]);
  EXPECT_GE(confirmed, 1);
  EXPECT_LE(confirmed, 8);
  EXPECT_TRUE(contains(r.out, "Modes measured for mobilenetv3: 20 profiled (adaptive sampling) + " +
                                  std::to_string(confirmed) + " to confirm = " + std::to_string(20 + confirmed) +
                                  "; the resnet18 reference: 150 modes (profiled once, kept in the store)"))
      << r.out;
  EXPECT_TRUE(fs::exists(d.file("p.svg")));

  // the rerun reuses both campaigns (no adaptive step runs again) and confirms again
  auto again = run_cli(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_FALSE(contains(again.err, "adaptive step")) << again.err;
  EXPECT_TRUE(contains(again.out, "20 profiled (adaptive sampling, reused from the store) + " +
                                      std::to_string(confirmed) + " to confirm"))
      << again.out;
  EXPECT_TRUE(contains(again.out, "the resnet18 reference: 150 modes (reused from the store)")) << again.out;
}

TEST(CliRun, SpreadAndRandomSamplingAndNoConfirmation) {
  for (std::string sampling : {"spread", "random"}) {
    auto r = run_cli("run --no-db --ref-modes 150 --modes 12 --sampling " + sampling + " --confirm 0 --svg ''");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(contains(r.err, "adaptive step")) << r.err;
    EXPECT_TRUE(contains(r.out, "Modes measured for mobilenetv3: 12 profiled (" + sampling +
                                    " sampling) + 0 to confirm = 12; the resnet18 reference: 150 modes (profiled, "
                                    "not kept: --no-db)"))
        << r.out;
  }
  auto bad = run_cli("run --no-db --sampling everything");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.err, "--sampling")) << bad.err;
  bad = run_cli("run --no-db --ref-modes 150 --modes 9");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.err, "--modes must be at least 10")) << bad.err;
}
