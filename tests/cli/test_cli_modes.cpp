#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/run_cli.h"

using modewise::test::run_cli;

static size_t count_lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(CliModes, PowertrainGridCsvHas4368Rows) {
  auto r = run_cli("modes --device orin-agx --grid powertrain --csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "cores,cpu_mhz,gpu_mhz,emc_mhz");
  EXPECT_EQ(count_lines(r.out), 4369u);
}

TEST(CliModes, JsonAndNamedMode) {
  auto r = run_cli("modes --device orin-agx --mode maxn --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["cores"], 12);
  EXPECT_DOUBLE_EQ(j[0]["gpu_mhz"].get<double>(), 1300.5);
}

TEST(CliModes, UsageErrorsExitTwo) {
  auto r = run_cli("modes --device tx2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown device 'tx2'"), std::string::npos) << r.err;
  r = run_cli("modes --grid nope");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no grid 'nope'"), std::string::npos) << r.err;
  r = run_cli("modes --bogus-flag");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
}

TEST(CliModes, HelpEverywhere) {
  auto r = run_cli("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("modes"), std::string::npos);
  r = run_cli("modes --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--grid"), std::string::npos);
}

TEST(CliModes, DeviceFromJsonFile) {
  auto r = run_cli("modes --device " + std::string(MODEWISE_SOURCE_DIR) + "/data/devices/orin-nano.json --grid powertrain --csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_lines(r.out), 181u);
}
