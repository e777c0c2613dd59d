// End-to-end tests of the hardware commands (modes --device jetson, apply, restore, monitor, tegrastats, nvpmodel)
// against fake sysfs trees: stdout, stderr, exit codes, and the tree's files.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

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

// Start the CLI in the background (argv, no shell); stdout/stderr to fresh files in `io`.
pid_t spawn(const std::vector<std::string>& args, const TempDir& io) {
  std::filesystem::remove(io / "out");
  std::filesystem::remove(io / "err");
  return modewise::test::spawn_cli_argv(args, io / "out", io / "err");
}

using modewise::test::wait_for;

std::string fixture(const std::string& rel) { return std::string(MODEWISE_SOURCE_DIR) + "/tests/fixtures/" + rel; }

const std::string kGpuMax = "/sys/devices/17000000.ga10b/devfreq/17000000.ga10b/max_freq";
const std::string kCpu11 = "/sys/devices/system/cpu/cpu11/online";
const std::string kMode4 = "--cores 4 --cpu-mhz 1344 --gpu-mhz 612 --emc-mhz 2133";

size_t count_lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST(CliHardware, ModesOfTheDiscoveredBoard) {
  FakeSysfs fake(Board::orin_agx_jp5);
  auto r = cli("--sysfs-root " + fake.root() + " modes --device jetson --csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "cores,cpu_mhz,gpu_mhz,emc_mhz");
  EXPECT_EQ(count_lines(r.out), 1 + 12u * 29 * 11 * 4);  // the board's GPU table has 11 values
  auto j = cli("--sysfs-root " + fake.root() + " modes --device jetson --json --grid fulcrum");
  ASSERT_EQ(j.rc, 0) << j.err;
  auto modes = nlohmann::json::parse(j.out);
  // The fulcrum grid mapped onto this board's 306 + n*102 MHz GPU ladder: 114.75 and 318.75 both go to 306 (one
  // kept), 522.75 -> 510, 726.75 -> 714, 930.75 -> 918, 1134.75 -> 1122, 1300.5 stays: 3 x 7 x 6 x 3 modes.
  ASSERT_EQ(modes.size(), 3u * 7 * 6 * 3);
  std::set<double> cores, cpu, gpu, emc;
  for (const auto& m : modes) {
    cores.insert(m["cores"].get<double>());
    cpu.insert(m["cpu_mhz"].get<double>());
    gpu.insert(m["gpu_mhz"].get<double>());
    emc.insert(m["emc_mhz"].get<double>());
  }
  EXPECT_EQ(cores, (std::set<double>{4, 8, 12}));
  EXPECT_EQ(cpu, (std::set<double>{422.4, 729.6, 1036.8, 1344, 1651.2, 1958.4, 2201.6}));
  EXPECT_EQ(gpu, (std::set<double>{306, 510, 714, 918, 1122, 1300.5}));
  EXPECT_EQ(emc, (std::set<double>{665.6, 2133, 3199}));
  EXPECT_EQ(modes.front(), nlohmann::json::parse(R"({"cores":4,"cpu_mhz":422.4,"gpu_mhz":306,"emc_mhz":665.6})"));
  EXPECT_EQ(modes.back(), nlohmann::json::parse(R"({"cores":12,"cpu_mhz":2201.6,"gpu_mhz":1300.5,"emc_mhz":3199})"));
  EXPECT_NE(j.err.find("grid 'fulcrum': 1 value(s) have no close match"), std::string::npos) << j.err;
  EXPECT_NE(j.err.find("gpu 114.75 -> 306"), std::string::npos) << j.err;
  auto d = cli("--sysfs-root " + fake.root() + " modes --device jetson --describe");
  EXPECT_EQ(nlohmann::json::parse(d.out)["name"], "orin-agx");
  modewise::testing::TempDir empty;
  auto bad = cli("--sysfs-root " + empty.path() + " modes --device jetson");
  EXPECT_EQ(bad.rc, 1);
  EXPECT_NE(bad.err.find("is this a Jetson"), std::string::npos) << bad.err;
}

TEST(CliHardware, TegrastatsToJsonLines) {
  auto r = cli("tegrastats " + fixture("tegrastats/orin-agx-jp6.log") + " --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  std::istringstream lines(r.out);
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  auto j = nlohmann::json::parse(first);
  EXPECT_EQ(j["timestamp"], "05-09-2026 18:42:06");
  EXPECT_EQ(j["rails"]["VDD_CPU_CV"]["power_mw"], 1607);
  EXPECT_EQ(j["rails"]["VDD_CPU_CV"]["avg_mw"], 1607);
  EXPECT_EQ(j["total_power_mw"], 8726);
  EXPECT_EQ(j["cpu"][0]["mhz"], 2188);
  EXPECT_EQ(nlohmann::json::parse(second)["total_power_mw"], 8626);
  // stdin, CSV
  auto csv = cli("tegrastats - --csv", "", fixture("tegrastats/nano-jp4.log"));
  ASSERT_EQ(csv.rc, 0) << csv.err;
  EXPECT_NE(csv.out.find("2746,input rail POM_5V_IN"), std::string::npos) << csv.out;
  // A bad line: exit 1 naming file:line, or skipped with --skip-bad.
  TempDir dir;
  std::ofstream(dir / "bad.log") << read_text(fixture("tegrastats/nano-jp4.log")) << "garbage line\n";
  auto bad = cli("tegrastats " + dir / "bad.log" + " --json");
  EXPECT_EQ(bad.rc, 1);
  EXPECT_NE(bad.err.find("bad.log:2: not a tegrastats line"), std::string::npos) << bad.err;
  auto skip = cli("tegrastats " + dir / "bad.log" + " --json --skip-bad");
  EXPECT_EQ(skip.rc, 0);
  EXPECT_EQ(count_lines(skip.out), 1u);
  EXPECT_NE(skip.err.find("skipped"), std::string::npos);
}

TEST(CliHardware, NvpmodelListsAndWritesModes) {
  auto r = cli("nvpmodel " + fixture("nvpmodel/nvpmodel_p3701_0000.conf") + " --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["default_id"], 2);
  EXPECT_EQ(j["default_name"], "MODE_30W");
  EXPECT_EQ(j["modes"][1]["online_cores"], 4);
  EXPECT_EQ(j["modes"][1]["cpu_max_mhz"], 1113.6);
  EXPECT_EQ(j["modes"][1]["gpu_max_mhz"], 408);
  EXPECT_EQ(j["modes"][1]["emc_max_mhz"], 2133);
  EXPECT_TRUE(j["modes"][0]["gpu_max_mhz"].is_null());
  auto table = cli("nvpmodel " + fixture("nvpmodel/nvpmodel_p3767_0000.conf"));
  EXPECT_NE(table.out.find("uncapped"), std::string::npos);
  auto w = cli("nvpmodel " + fixture("nvpmodel/nvpmodel_p3701_0000.conf") +
               " --write-mode --id 9 --name MW9 --cores 8 --cpu-mhz 1497.6 --gpu-mhz 624.75 --emc-mhz 3199");
  ASSERT_EQ(w.rc, 0) << w.err;
  EXPECT_NE(w.out.find("< POWER_MODEL ID=9 NAME=MW9 >"), std::string::npos);
  EXPECT_NE(w.out.find("GPU MAX_FREQ 624750000"), std::string::npos);
  EXPECT_EQ(cli("nvpmodel /nonexistent.conf").rc, 1);
  EXPECT_EQ(cli("nvpmodel " + fixture("nvpmodel/nvpmodel_p3701_0000.conf") + " --write-mode").rc, 2);
}

TEST(CliHardware, ApplyDryRunPrintsTheWritesAndChangesNothing) {
  FakeSysfs fake(Board::orin_agx_jp5);
  TempDir state;
  auto r = cli("--sysfs-root " + fake.root() + " apply --dry-run --state-dir " + state.path() + " " + kMode4);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.find("echo 0 > " + fake.host(kCpu11)), 0u) << r.out;
  EXPECT_NE(r.out.find("echo 612000000 > " + fake.host(kGpuMax)), std::string::npos);
  EXPECT_EQ(fake.read(kCpu11), "1");
  EXPECT_TRUE(std::filesystem::is_empty(state.path()));
  auto bad = cli("--sysfs-root " + fake.root() + " apply --dry-run --cores 4 --cpu-mhz 1344 --gpu-mhz 1000 --emc-mhz 2133");
  EXPECT_EQ(bad.rc, 1);
  EXPECT_NE(bad.err.find("gpu_mhz = 1000 MHz is not available"), std::string::npos) << bad.err;
  EXPECT_EQ(cli("--sysfs-root " + fake.root() + " apply --dry-run --cores 4").rc, 2);
  auto named = cli("--sysfs-root " + fake.root() + " apply --dry-run --json --mode MODE_15W");
  ASSERT_EQ(named.rc, 0) << named.err;
  EXPECT_EQ(nlohmann::json::parse(named.out)["mode"]["cores"], 4);
}

TEST(CliHardware, ApplyHoldsTheModeForACommandThenRestores) {
  FakeSysfs fake(Board::orin_agx_jp5);
  TempDir state;
  std::string base = "--sysfs-root " + fake.root() + " apply --state-dir " + state.path() + " " + kMode4;
  auto r = cli(base + " -- cat " + fake.host(kGpuMax));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "612000000\n");  // the command ran at the mode
  EXPECT_NE(r.err.find("restored the previous power mode"), std::string::npos) << r.err;
  EXPECT_EQ(fake.read(kGpuMax), "1300500000");
  EXPECT_EQ(fake.read(kCpu11), "1");
  EXPECT_TRUE(std::filesystem::is_empty(state.path()));
  EXPECT_EQ(cli(base + " -- sh -c 'exit 3'").rc, 3);  // the command's exit code
  EXPECT_EQ(fake.read(kGpuMax), "1300500000");
  auto timed = cli(base + " --duration 0.1");
  EXPECT_EQ(timed.rc, 0) << timed.err;
  EXPECT_EQ(fake.read(kCpu11), "1");
}

TEST(CliHardware, SigtermRestoresAndKillNineIsRestoredAtTheNextStart) {
  FakeSysfs fake(Board::orin_agx_jp5);
  TempDir state, io;
  auto state_file_exists = [&] { return !std::filesystem::is_empty(state.path()); };
  std::vector<std::string> hold{"--sysfs-root", fake.root(), "apply", "--state-dir", state.path(), "--cores", "4",
                                "--cpu-mhz",     "1344",      "--gpu-mhz", "612", "--emc-mhz", "2133"};
  auto holding = [&] { return read_text(io / "err").find("holding the mode") != std::string::npos; };
  // SIGTERM: restored before exiting with 128 + 15.
  pid_t pid = spawn(hold, io);
  ASSERT_TRUE(wait_for(holding, 20)) << read_text(io / "err");
  EXPECT_EQ(fake.read(kCpu11), "0");
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 143) << read_text(io / "err");
  EXPECT_EQ(fake.read(kCpu11), "1");
  EXPECT_EQ(fake.read(kGpuMax), "1300500000");
  EXPECT_FALSE(state_file_exists());

  // SIGKILL: the mode stays, the state file stays; `modewise restore` puts it back.
  pid = spawn(hold, io);
  ASSERT_TRUE(wait_for(holding, 20)) << read_text(io / "err");
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  EXPECT_EQ(fake.read(kGpuMax), "612000000");
  ASSERT_TRUE(state_file_exists());
  auto r = cli("--sysfs-root " + fake.root() + " restore --state-dir " + state.path());
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(fake.read(kGpuMax), "1300500000");
  EXPECT_EQ(fake.read(kCpu11), "1");
  EXPECT_FALSE(state_file_exists());
  auto nothing = cli("--sysfs-root " + fake.root() + " restore --state-dir " + state.path());
  EXPECT_EQ(nothing.rc, 0);
  EXPECT_NE(nothing.err.find("nothing to restore"), std::string::npos);

  // SIGKILL again: the next apply restores the leftover state first, and ends with the original state.
  pid = spawn(hold, io);
  ASSERT_TRUE(wait_for(holding, 20)) << read_text(io / "err");
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  auto next = cli("--sysfs-root " + fake.root() + " apply --duration 0 --state-dir " + state.path() +
                  " --cores 12 --cpu-mhz 2201.6 --gpu-mhz 1300.5 --emc-mhz 3199");
  EXPECT_EQ(next.rc, 0) << next.err;
  EXPECT_NE(next.err.find("no longer running"), std::string::npos) << next.err;
  EXPECT_EQ(fake.read(kGpuMax), "1300500000");
  EXPECT_EQ(fake.read("/sys/devices/system/cpu/cpufreq/policy0/scaling_min_freq"), "729600");
  EXPECT_FALSE(state_file_exists());
}

TEST(CliHardware, ProfileRunsTheUsersCommandOnTheJetsonBackend) {
  FakeSysfs fake(Board::orin_nano_jp6);
  fake.set_rail_mw("VDD_IN", 9000);
  TempDir state, work;
  std::string cmd =
      "i=0; while [ $i -lt 100 ]; do printf 'mb_begin\\nfetch_end\\n'; sleep 0.01; printf 'mb_end\\n'; "
      "i=$((i+1)); done > \"$MODEWISE_PIPE\"";
  auto r = cli("--sysfs-root " + fake.root() + " profile --device jetson --workload mine --modes maxn --minibatches 4 "
                   "--warmup-allowance 2 --settle-ms 0 --no-db --out " + work / "p.csv" + " --command " + shell_quote(cmd),
               "MODEWISE_STATE_DIR=" + state.path());
  ASSERT_EQ(r.rc, 0) << r.err;
  std::string csv = read_text(work / "p.csv");
  EXPECT_NE(csv.find("orin-nano,mine,train"), std::string::npos) << csv;
  EXPECT_NE(csv.find("measured"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",9,"), std::string::npos) << csv;  // power_w: the VDD_IN rail
  EXPECT_TRUE(std::filesystem::is_empty(state.path()));     // restored at the end
  EXPECT_EQ(fake.read("/sys/devices/system/cpu/cpufreq/policy0/scaling_min_freq"), "729600");
}

TEST(CliHardware, MonitorPrintsPowerPerRail) {
  FakeSysfs fake(Board::orin_nano_jp6);
  fake.set_rail_mw("VDD_IN", 12480);
  fake.set_rail_mw("VDD_SOC", 2815);
  auto r = cli("--sysfs-root " + fake.root() + " monitor --interval-ms 10 --duration 0.4 --csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "t_s,total_w,VDD_IN_w,VDD_CPU_GPU_CV_w,VDD_SOC_w");
  EXPECT_GE(count_lines(r.out), 10u);
  EXPECT_NE(r.out.find(",12.4800,12.4800,0.0000,2.8150"), std::string::npos) << r.out.substr(0, 300);
  EXPECT_NE(r.err.find("mean 12.480 W"), std::string::npos) << r.err;
  auto text = cli("--sysfs-root " + fake.root() + " monitor --duration 0.3 --print-ms 100");
  ASSERT_EQ(text.rc, 0) << text.err;
  EXPECT_NE(text.out.find("VDD_IN_w"), std::string::npos);
  EXPECT_GE(count_lines(text.out), 3u);
  EXPECT_EQ(cli("--sysfs-root " + fake.root() + " monitor --interval-ms 0").rc, 2);
  EXPECT_EQ(cli("--sysfs-root " + fake.root() + " monitor --device sim:orin-agx").rc, 2);
}

#ifdef MODEWISE_FAKE_NVML
TEST(CliHardware, MonitorNvmlThroughAStandInLibrary) {
  auto r = cli("monitor --device nvml:0 --duration 0.2 --csv", std::string("MODEWISE_NVML_LIBRARY=") + MODEWISE_FAKE_NVML);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(",123.4560"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("sensor counter"), std::string::npos) << r.err;
  auto missing = cli("monitor --device nvml:0 --duration 0.2", "MODEWISE_NVML_LIBRARY=/nonexistent/libnvidia-ml.so.1");
  EXPECT_EQ(missing.rc, 1);
  EXPECT_NE(missing.err.find("cannot load NVML"), std::string::npos) << missing.err;
}
#endif

TEST(CliHardware, HelpForEveryHardwareCommand) {
  for (const char* c : {"apply", "restore", "monitor", "tegrastats", "nvpmodel"}) {
    auto r = cli(std::string(c) + " --help");
    EXPECT_EQ(r.rc, 0) << c;
    EXPECT_NE(r.out.find("--"), std::string::npos) << c;
  }
}
