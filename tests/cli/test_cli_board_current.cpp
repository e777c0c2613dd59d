// The hardware commands on the boards people buy today (issue 11) and their hostile inputs (issue 12), end to end on
// fake trees: Thor (gpu-gpc-0, bwmgr, INA238 VIN), AGX Orin on JetPack 5.1/6/7, Orin Nano Super, Xavier, Nano.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/cli_process.h"
#include "control/fake_sysfs.h"

using modewise::testing::Board;
using modewise::testing::FakeSysfs;
using modewise::testing::TempDir;
using modewise::test::cli;
using modewise::test::read_text;
using modewise::test::shell_quote;
using Result = modewise::test::ShellResult;

namespace {

std::string fixture(const std::string& rel) { return std::string(MODEWISE_SOURCE_DIR) + "/tests/fixtures/" + rel; }

std::set<double> values(const nlohmann::json& modes, const char* key) {
  std::set<double> out;
  for (const auto& m : modes) out.insert(m[key].get<double>());
  return out;
}

const std::string kGpc = "/sys/devices/platform/bus@0/gpu-gpc-0/devfreq/gpu-gpc-0";
const std::string kBw = "/sys/devices/platform/bwmgr/devfreq/bwmgr";

}  // namespace

TEST(CliBoardCurrent, ThorModesListGpcAndBwmgrClocksAndDescribeSaysWhere) {
  FakeSysfs fake(Board::thor_jp7);
  auto r = cli("--sysfs-root " + fake.root() + " modes --device jetson --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto modes = nlohmann::json::parse(r.out);
  EXPECT_EQ(values(modes, "gpu_mhz"), (std::set<double>{390, 588, 786, 984, 1182, 1380, 1575}));
  EXPECT_EQ(values(modes, "emc_mhz"), (std::set<double>{665.6, 2133, 3199, 4266}));
  EXPECT_EQ(modes.size(), 14u * 33 * 7 * 4);  // cores 1..14 x the CPU ladder x gpu-gpc-0 x bwmgr
  auto d = cli("--sysfs-root " + fake.root() + " modes --device jetson --describe");
  ASSERT_EQ(d.rc, 0) << d.err;
  auto j = nlohmann::json::parse(d.out);
  const auto& found = j["discovered"];
  EXPECT_EQ(found["model"], "NVIDIA Jetson AGX Thor Developer Kit");
  EXPECT_EQ(found["soc"], "tegra264");
  EXPECT_EQ(found["jetpack"], "JetPack 7");
  EXPECT_EQ(found["gpu"]["dir"], kGpc);
  EXPECT_EQ(found["emc"]["devfreq_dir"], kBw);
  EXPECT_EQ(found["rails"].size(), 4u);  // the ucsi USB-PD entry is not a rail
  EXPECT_EQ(found["rails"][3]["name"], "VIN");
  EXPECT_EQ(found["total_rule"], "input rail VIN");
  EXPECT_EQ(found["presets"][2]["needs_reboot"], true);
  EXPECT_EQ(j["gpu_mhz"].size(), 7u);
}

TEST(CliBoardCurrent, ThorMonitorJsonReportsTheIna238VinAsTheTotal) {
  FakeSysfs fake(Board::thor_jp7);
  fake.set_rail_mw("VIN", 61230);
  fake.set_rail_mw("VDD_GPU", 28400);
  auto r = cli("--sysfs-root " + fake.root() + " monitor --duration 1 --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["total_rule"], "input rail VIN");
  EXPECT_EQ(j["sensor"], "ina3221+ina238");
  EXPECT_EQ(j["provenance"], "measured");
  EXPECT_NEAR(j["mean_power_w"]["total"].get<double>(), 61.23, 1e-6);
  EXPECT_NEAR(j["mean_power_w"]["VIN"].get<double>(), 61.23, 1e-6);
  EXPECT_NEAR(j["mean_power_w"]["VDD_GPU"].get<double>(), 28.4, 0.01);
  EXPECT_GT(j["samples"].get<int>(), 10);
  EXPECT_GE(j["duration_s"].get<double>(), 0.9);
}

TEST(CliBoardCurrent, ThorApplyKeepPinsGpcAndBwmgrAndRestorePutsThemBack) {
  FakeSysfs fake(Board::thor_jp7);
  TempDir state;
  std::string base = "--sysfs-root " + fake.root() + " ";
  auto r = cli(base + "apply --keep --state-dir " + state.path() +
               " --cores 8 --cpu-mhz 1958.4 --gpu-mhz 984 --emc-mhz 3199");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("left it set"), std::string::npos) << r.err;
  EXPECT_EQ(fake.read(kGpc + "/min_freq"), "984000000");
  EXPECT_EQ(fake.read(kGpc + "/max_freq"), "984000000");
  EXPECT_EQ(fake.read(kBw + "/min_freq"), "3199000000");
  EXPECT_EQ(fake.read(kBw + "/max_freq"), "3199000000");
  EXPECT_EQ(fake.read("/sys/devices/system/cpu/cpu8/online"), "0");
  EXPECT_FALSE(std::filesystem::is_empty(state.path()));  // the prior state, kept for restore
  auto back = cli(base + "restore --state-dir " + state.path());
  ASSERT_EQ(back.rc, 0) << back.err;
  EXPECT_EQ(fake.read(kGpc + "/min_freq"), "390000000");
  EXPECT_EQ(fake.read(kGpc + "/max_freq"), "1575000000");
  EXPECT_EQ(fake.read(kBw + "/min_freq"), "665600000");
  EXPECT_EQ(fake.read(kBw + "/max_freq"), "4266000000");
  EXPECT_EQ(fake.read("/sys/devices/system/cpu/cpu8/online"), "1");
  EXPECT_TRUE(std::filesystem::is_empty(state.path()));
}

TEST(CliBoardCurrent, ApplyKeepAndRestoreOnEveryTree) {
  for (Board board : modewise::testing::all_boards()) {
    FakeSysfs fake(board);
    TempDir state;
    std::string base = "--sysfs-root " + fake.root() + " ";
    std::string gpu_max = fake.read(fake.gpu_dir + "/max_freq"), emc = fake.read(fake.emc_max_file);
    auto r = cli(base + "apply --keep --mode maxn --state-dir " + state.path() + " --json");
    ASSERT_EQ(r.rc, 0) << fake.model << ": " << r.err;
    EXPECT_EQ(fake.read(fake.gpu_dir + "/min_freq"), std::to_string(fake.gpu_hz.back())) << fake.model;
    auto mode = nlohmann::json::parse(r.out)["mode"];
    EXPECT_EQ(mode["cores"], fake.cores) << fake.model;
    auto back = cli(base + "restore --state-dir " + state.path());
    ASSERT_EQ(back.rc, 0) << fake.model << ": " << back.err;
    EXPECT_EQ(fake.read(fake.gpu_dir + "/min_freq"), std::to_string(fake.gpu_hz.front())) << fake.model;
    EXPECT_EQ(fake.read(fake.gpu_dir + "/max_freq"), gpu_max) << fake.model;
    EXPECT_EQ(fake.read(fake.emc_max_file), emc) << fake.model;
    EXPECT_TRUE(std::filesystem::is_empty(state.path())) << fake.model;
  }
}

TEST(CliBoardCurrent, ArgumentsAfterDoubleDashReachTheCommandByteForByte) {
  FakeSysfs fake(Board::orin_agx_jp6);
  TempDir state;
  std::vector<std::string> args = {"[1, 2]", "a,b", "{x}", "--", "", "it's", "\"q\"", "-c", "--mode", "x y"};
  std::string cmd = "--sysfs-root " + fake.root() + " apply --mode maxn --state-dir " + state.path() +
                    " -- printf '<%s>'";
  for (const auto& a : args) {  // appended, not " " + shell_quote(a): g++ 12 -Wrestrict false positive
    cmd += ' ';
    cmd += shell_quote(a);
  }
  auto r = cli(cmd);
  ASSERT_EQ(r.rc, 0) << r.err;
  std::string want;
  for (const auto& a : args) want += "<" + a + ">";
  EXPECT_EQ(r.out, want);
  EXPECT_EQ(cli("--sysfs-root " + fake.root() + " apply --mode maxn --state-dir " + state.path() + " --").rc, 2);
  auto elsewhere = cli("modes -- x");
  EXPECT_EQ(elsewhere.rc, 2);
  EXPECT_NE(elsewhere.err.find("only by `apply`"), std::string::npos) << elsewhere.err;
  EXPECT_EQ(cli("--sysfs-root " + fake.root() + " apply --keep --mode maxn --state-dir " + state.path() + " -- true").rc,
            2);
}

TEST(CliBoardCurrent, PowertrainGridOnTheJetPack51LadderKeepsElevenGpuClocksAndWarnsOnce) {
  FakeSysfs fake(Board::orin_agx_jp5);
  auto r = cli("--sysfs-root " + fake.root() + " modes --device jetson --grid powertrain --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto modes = nlohmann::json::parse(r.out);
  EXPECT_EQ(values(modes, "gpu_mhz"),
            (std::set<double>{306, 408, 510, 612, 714, 816, 918, 1020, 1122, 1224, 1300.5}));
  EXPECT_EQ(modes.size(), 6u * 14 * 11 * 4);
  size_t first = r.err.find("grid 'powertrain'");
  ASSERT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("grid 'powertrain'", first + 1), std::string::npos) << r.err;  // one warning
  EXPECT_NE(r.err.find("gpu 114.75 -> 306; gpu 216.75 -> 306"), std::string::npos) << r.err;
}

TEST(CliBoardCurrent, OrinNanoSuperPresetsByNameAndRebootModes) {
  FakeSysfs fake(Board::orin_nano_super_jp62);
  std::string base = "--sysfs-root " + fake.root() + " apply --dry-run --json --mode ";
  auto ok = cli(base + "MAXN_SUPER");
  ASSERT_EQ(ok.rc, 0) << ok.err;
  EXPECT_EQ(nlohmann::json::parse(ok.out)["mode"],
            nlohmann::json::parse(R"({"cores":6,"cpu_mhz":1728,"gpu_mhz":1020,"emc_mhz":3199})"));
  auto reboot = cli(base + "7W");
  EXPECT_EQ(reboot.rc, 1);
  EXPECT_NE(reboot.err.find("nvpmodel mode 7W (ID 3) takes effect only after a reboot"), std::string::npos)
      << reboot.err;
  EXPECT_EQ(reboot.out, "");  // nothing planned, nothing written
  EXPECT_EQ(fake.read("/sys/devices/system/cpu/cpu5/online"), "1");
}

TEST(CliBoardCurrent, NvmlNotSupportedFallsBackToTheInaRailsAndSaysSo) {
#ifdef MODEWISE_FAKE_NVML
  FakeSysfs fake(Board::thor_jp7);
  fake.set_rail_mw("VIN", 50000);
  std::string env = std::string("FAKE_NVML_JETSON=1 MODEWISE_NVML_LIBRARY=") + MODEWISE_FAKE_NVML;
  auto r = cli("--sysfs-root " + fake.root() + " monitor --device nvml:0 --duration 0.2 --json", env);
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["sensor"], "ina3221+ina238 (NVML power NotSupported on nvml:0: INA rails instead)");
  EXPECT_NEAR(j["mean_power_w"]["total"].get<double>(), 50.0, 1e-6);
  EXPECT_NE(r.err.find("NVML power NotSupported"), std::string::npos) << r.err;
  TempDir empty;
  auto none = cli("--sysfs-root " + empty.path() + " monitor --device nvml:0 --duration 0.2 --json", env);
  EXPECT_EQ(none.rc, 1);
  EXPECT_NE(none.err.find("NotSupported"), std::string::npos) << none.err;
  EXPECT_EQ(none.out, "");
#else
  GTEST_SKIP() << "built without the stand-in NVML library";
#endif
}

TEST(CliBoardCurrent, TegrastatsPolicyMalformedRailsUnknownFieldsStrictAndDirectories) {
  TempDir dir;
  std::string good = read_text(fixture("tegrastats/orin-agx-jp5.1.log"));
  std::string bad = good;
  bad.replace(bad.find("VDD_GPU_SOC 2399mW"), 18, "VDD_GPU_SOC abcmW");
  std::ofstream(dir / "bad.log") << good << bad;
  auto r = cli("tegrastats " + dir / "bad.log" + " --json");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("bad.log:2: field 'VDD_GPU_SOC'"), std::string::npos) << r.err;
  // Unknown non-power fields: kept under "other", one warning per field name, an error only with --strict.
  std::ofstream(dir / "new.log") << "RAM 1/2MB FUTURE_X ~1 VDD_IN 5mW/5mW\nRAM 1/2MB FUTURE_X ~2 VDD_IN 6mW/6mW\n";
  auto lenient = cli("tegrastats " + dir / "new.log" + " --json");
  ASSERT_EQ(lenient.rc, 0) << lenient.err;
  std::istringstream lines(lenient.out);
  std::string l1, l2;
  std::getline(lines, l1);
  std::getline(lines, l2);
  EXPECT_EQ(nlohmann::json::parse(l2)["other"]["FUTURE_X"], "~2");
  EXPECT_EQ(nlohmann::json::parse(l2)["total_power_mw"], 6);
  size_t w = lenient.err.find("field 'FUTURE_X'");
  ASSERT_NE(w, std::string::npos) << lenient.err;
  EXPECT_EQ(lenient.err.find("field 'FUTURE_X'", w + 1), std::string::npos) << lenient.err;
  auto strict = cli("tegrastats " + dir / "new.log" + " --json --strict");
  EXPECT_EQ(strict.rc, 1);
  EXPECT_NE(strict.err.find("new.log:1: field 'FUTURE_X'"), std::string::npos) << strict.err;
  // Every variant fixture parses with --strict.
  for (const char* f : {"orin-agx-jp7.log", "thor-jp7.log", "orin-nano-super-jp6.2.log", "orin-agx-jp6.log",
                        "orin-agx-jp5.1.log", "nano-jp4.log", "xavier-agx-jp4.2.log", "orin-nano-jp6.log"})
    EXPECT_EQ(cli("tegrastats --strict --json " + fixture(std::string("tegrastats/") + f)).rc, 0) << f;
  auto d = cli("tegrastats " + dir.path());
  EXPECT_EQ(d.rc, 1);
  EXPECT_NE(d.err.find("is a directory"), std::string::npos) << d.err;
}

TEST(CliBoardCurrent, NonFiniteOrNegativeDurationsAreUsageErrors) {
  FakeSysfs fake(Board::orin_nano_jp6);
  TempDir state;
  std::string root = "--sysfs-root " + fake.root() + " ";
  for (const char* d : {"-1", "nan", "inf", "-0.5"}) {
    auto m = cli(root + "monitor --duration " + d);
    EXPECT_EQ(m.rc, 2) << d << ": " << m.err;
    auto a = cli(root + "apply --mode maxn --state-dir " + state.path() + " --duration " + d);
    EXPECT_EQ(a.rc, 2) << d << ": " << a.err;
  }
  EXPECT_EQ(fake.read("/sys/devices/system/cpu/cpufreq/policy0/scaling_min_freq"), "729600");  // nothing applied
  EXPECT_TRUE(std::filesystem::is_empty(state.path()));
}

TEST(CliBoardCurrent, NvpmodelNegativeFrequenciesOtherThanMinusOneAreErrors) {
  TempDir dir;
  std::string conf = read_text(fixture("nvpmodel/nvpmodel_p3701_0000.conf"));
  size_t pos = conf.find("GPU MAX_FREQ", conf.find("NAME=MODE_15W"));
  ASSERT_NE(pos, std::string::npos);
  size_t eol = conf.find('\n', pos);
  size_t line = 1 + static_cast<size_t>(std::count(conf.begin(), conf.begin() + static_cast<long>(pos), '\n'));
  conf.replace(pos, eol - pos, "GPU MAX_FREQ -5");
  std::ofstream(dir / "bad.conf") << conf;
  auto r = cli("nvpmodel " + dir / "bad.conf" + " --json");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("bad.conf:" + std::to_string(line) + ": field 'GPU MAX_FREQ'"), std::string::npos) << r.err;
}

TEST(CliBoardCurrent, ProfileOnThorSaysTheTotalIsTheVinRail) {
  FakeSysfs fake(Board::thor_jp7);
  fake.set_rail_mw("VIN", 60000);
  fake.set_rail_mw("VDD_GPU", 20000);
  TempDir state, work;
  std::string cmd =
      "i=0; while [ $i -lt 40 ]; do printf 'mb_begin\\nfetch_end\\n'; sleep 0.005; printf 'mb_end\\n'; "
      "i=$((i+1)); done > \"$MODEWISE_PIPE\"";
  auto r = cli("--sysfs-root " + fake.root() + " profile --device jetson --workload mine --modes maxn --minibatches 4 "
                   "--warmup-allowance 2 --settle-ms 0 --no-db --json --out " + work / "p.csv" + " --command " + shell_quote(cmd),
               "MODEWISE_STATE_DIR=" + state.path());
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["total_rule"], "input rail VIN");
  EXPECT_EQ(j["provenance"], "measured");
  std::string csv = read_text(work / "p.csv");
  EXPECT_NE(csv.find(",60,"), std::string::npos) << csv;  // power_w: the VIN rail, sub-rails not added
}
