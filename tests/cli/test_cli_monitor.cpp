// monitor --prometheus and --csv FILE end to end: the CLI samples a fake AGX Orin tree while the test scrapes
// /metrics over a real TCP connection, changes the fake rail and knob files between scrapes and sees the values
// follow; SIGINT, SIGTERM and --duration stop it cleanly; --csv FILE logs the samples (flushed as it goes).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "cli/cli_process.h"
#include "control/fake_sysfs.h"
#include "modewise/telemetry/prometheus.h"
#include "telemetry/test_prometheus_http.h"

using modewise::testing::Board;
using modewise::testing::FakeSysfs;
using modewise::testing::http_get;
using modewise::testing::TempDir;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The CLI in the background (argv, no shell), stdout and stderr to files in `io`.
pid_t spawn(const std::vector<std::string>& args, const TempDir& io) {
  return modewise::test::spawn_cli_argv(args, io / "out", io / "err");
}

using modewise::test::wait_for;

// Exit status of a child, waiting at most `seconds` (then SIGKILL and -1).
int wait_exit(pid_t pid, double seconds) {
  int status = 0;
  bool done = wait_for([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, seconds);
  if (!done) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The port monitor prints on stderr ("serving Prometheus metrics on http://127.0.0.1:PORT/metrics"), 0 if none yet.
int served_port(const TempDir& io) {
  std::smatch m;
  std::string err = slurp(io / "err");
  if (std::regex_search(err, m, std::regex("serving Prometheus metrics on http://127\\.0\\.0\\.1:(\\d+)/metrics")))
    return std::stoi(m[1]);
  return 0;
}

// "name{labels} value" lines of an exposition, keyed by "name{labels}".
std::map<std::string, double> parse_metrics(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

double metric(int port, const std::string& key) {
  auto r = http_get(port, "/metrics");
  if (r.status != 200) return NAN;
  auto m = parse_metrics(r.body);
  auto it = m.find(key);
  return it == m.end() ? NAN : it->second;
}

void set_rails(const FakeSysfs& fake, double gpu_mw) {
  fake.set_rail_mw("VDD_GPU_SOC", gpu_mw);
  fake.set_rail_mw("VDD_CPU_CV", 2000);
  fake.set_rail_mw("VIN_SYS_5V0", 3000);
  fake.set_rail_mw("VDDQ_VDD2_1V8AO", 1000);
}

long lines(const std::string& s) { return static_cast<long>(std::count(s.begin(), s.end(), '\n')); }

const char* kGpuRail = "modewise_rail_power_watts{rail=\"VDD_GPU_SOC\"}";

}  // namespace

TEST(CliMonitorPrometheus, ScrapeFollowsTheFakeRailsAndKnobsAndEnergyGrows) {
  FakeSysfs fake(Board::orin_agx_jp6);
  set_rails(fake, 5000);
  TempDir io("modewise-mon");
  pid_t pid = spawn({"--sysfs-root", fake.root(), "monitor", "--device", "jetson", "--interval-ms", "10",
                     "--print-ms", "100", "--prometheus", "127.0.0.1:0"},
                    io);
  int port = 0;
  ASSERT_TRUE(wait_for([&] { return (port = served_port(io)) > 0; }, 20)) << slurp(io / "err");

  auto first = http_get(port, "/metrics");
  ASSERT_EQ(first.status, 200) << first.head;
  EXPECT_NE(first.head.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << first.head;
  const std::string& body = first.body;
  for (const char* family : {"modewise_rail_power_watts gauge", "modewise_board_power_watts gauge",
                             "modewise_board_energy_joules_total counter", "modewise_clock_hertz gauge",
                             "modewise_online_cores gauge", "modewise_info gauge"})
    EXPECT_NE(body.find(std::string("# TYPE ") + family), std::string::npos) << family << "\n" << body;
  EXPECT_NE(body.find("# HELP modewise_board_energy_joules_total "), std::string::npos);
  auto m = parse_metrics(body);
  EXPECT_NEAR(m[kGpuRail], 5.0, 1e-9) << body;
  EXPECT_NEAR(m["modewise_rail_power_watts{rail=\"VDDQ_VDD2_1V8AO\"}"], 1.0, 1e-9);
  EXPECT_NEAR(m["modewise_board_power_watts"], 11.0, 1e-9);  // AGX Orin: total = sum of rails
  EXPECT_EQ(m["modewise_clock_hertz{domain=\"cpu\"}"], 2201.6e6);
  EXPECT_EQ(m["modewise_clock_hertz{domain=\"gpu\"}"], 1300.5e6);
  EXPECT_EQ(m["modewise_clock_hertz{domain=\"emc\"}"], 3199e6);  // cap 0 = uncapped = the table's top
  EXPECT_EQ(m["modewise_online_cores"], 12);
  EXPECT_NE(body.find("modewise_info{power_mode=\"12c/2201.6/1300.5/3199\",provenance=\"measured\","
                      "device=\"jetson\",sensor=\"ina3221\",total_rule=\"sum of rails\","
                      "board=\"NVIDIA Jetson AGX Orin Developer Kit\"} 1"),
            std::string::npos)
      << body;
  double e1 = m["modewise_board_energy_joules_total"];
  EXPECT_GE(e1, 0);  // 0 at the very first sample

  // the rail and the knobs change: the next scrapes follow
  set_rails(fake, 9000);
  fake.write("/sys/devices/system/cpu/cpu11/online", "0\n");
  fake.write(fake.gpu_dir + "/max_freq", "624750000\n");
  EXPECT_TRUE(wait_for([&] { return std::abs(metric(port, kGpuRail) - 9.0) < 1e-9; }, 5));
  auto after = parse_metrics(http_get(port, "/metrics").body);
  EXPECT_NEAR(after["modewise_board_power_watts"], 15.0, 1e-9);
  EXPECT_EQ(after["modewise_online_cores"], 11);
  EXPECT_EQ(after["modewise_clock_hertz{domain=\"gpu\"}"], 624.75e6);
  double e2 = after["modewise_board_energy_joules_total"];
  EXPECT_GT(e2, e1);
  EXPECT_GT(after["modewise_rail_energy_joules_total{rail=\"VDD_GPU_SOC\"}"], 0);
  EXPECT_GT(after["modewise_samples_total"], m["modewise_samples_total"]);
  // a counter: energy keeps growing at >= 11 W between scrapes
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  double e3 = metric(port, "modewise_board_energy_joules_total");
  EXPECT_GT(e3, e2 + 0.1 * 11);

  EXPECT_EQ(http_get(port, "/").status, 404);
  EXPECT_EQ(http_get(port, "/metrics/extra").status, 404);

  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  EXPECT_EQ(wait_exit(pid, 10), 0) << slurp(io / "err");
  std::string err = slurp(io / "err");
  EXPECT_NE(err.find("metrics requests served"), std::string::npos) << err;
  EXPECT_EQ(http_get(port, "/metrics").status, -1);  // the port is closed
}

TEST(CliMonitorPrometheus, SigintStopsItAndCsvFileHasTheSamples) {
  FakeSysfs fake(Board::orin_agx_jp6);
  set_rails(fake, 4000);
  TempDir io("modewise-mon");
  std::string csv = io / "log.csv";
  pid_t pid = spawn({"--sysfs-root", fake.root(), "monitor", "--interval-ms", "10", "--print-ms", "50", "--csv", csv,
                     "--prometheus", ":0"},
                    io);
  int port = 0;
  ASSERT_TRUE(wait_for([&] { return (port = served_port(io)) > 0; }, 20)) << slurp(io / "err");
  // flushed while it runs: rows appear before it stops
  ASSERT_TRUE(wait_for([&] { return lines(slurp(csv)) > 5; }, 5)) << slurp(csv);
  EXPECT_NEAR(metric(port, "modewise_board_power_watts"), 10.0, 1e-9);
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  EXPECT_EQ(wait_exit(pid, 10), 0) << slurp(io / "err");
  std::string text = slurp(csv);
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "t_s,total_w,VDD_GPU_SOC_w,VDD_CPU_CV_w,VIN_SYS_5V0_w,VDDQ_VDD2_1V8AO_w");
  int rows = 0;
  double last_t = -1;
  while (std::getline(in, line)) {
    std::vector<double> v;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) v.push_back(std::stod(cell));
    ASSERT_EQ(v.size(), 6u) << line;
    EXPECT_GT(v[0], last_t);
    last_t = v[0];
    EXPECT_NEAR(v[1], 10.0, 1e-3);
    EXPECT_NEAR(v[2], 4.0, 1e-3);
    ++rows;
  }
  EXPECT_GT(rows, 5);
  // the text table still goes to stdout beside the file
  EXPECT_EQ(slurp(io / "out").rfind("      t_s", 0), 0u) << slurp(io / "out");
}

TEST(CliMonitorPrometheus, DurationStopsItByItself) {
  FakeSysfs fake(Board::thor_jp7);
  TempDir io("modewise-mon");
  pid_t pid = spawn({"--sysfs-root", fake.root(), "monitor", "--duration", "0.5", "--json", "--prometheus",
                     "127.0.0.1:0"},
                    io);
  EXPECT_EQ(wait_exit(pid, 20), 0) << slurp(io / "err");
  EXPECT_GT(served_port(io), 0) << slurp(io / "err");
  EXPECT_NE(slurp(io / "out").find("\"provenance\":\"measured\""), std::string::npos) << slurp(io / "out");
}

TEST(CliMonitorPrometheus, KillMinus9LosesAtMostTheLastFlushOfTheCsvFile) {
  FakeSysfs fake(Board::orin_agx_jp6);
  set_rails(fake, 4000);
  TempDir io("modewise-mon");
  std::string csv = io / "log.csv";
  pid_t pid = spawn({"--sysfs-root", fake.root(), "monitor", "--interval-ms", "10", "--print-ms", "50", "--csv", csv},
                    io);
  ASSERT_TRUE(wait_for([&] { return lines(slurp(csv)) > 20; }, 10));
  ::kill(pid, SIGKILL);
  EXPECT_EQ(wait_exit(pid, 10), 128 + SIGKILL);
  std::string text = slurp(csv);
  EXPECT_GT(std::count(text.begin(), text.end(), '\n'), 20);
}

TEST(CliMonitorPrometheus, BadAddressAndPortInUseAreClearErrors) {
  FakeSysfs fake(Board::orin_agx_jp6);
  TempDir io("modewise-mon");
  for (const char* bad : {"nonsense", "127.0.0.1:70000", "example.com:9100", "127.0.0.1:"}) {
    pid_t pid = spawn({"--sysfs-root", fake.root(), "monitor", "--duration", "0.1", "--prometheus", bad}, io);
    EXPECT_EQ(wait_exit(pid, 10), 2) << bad;
    std::string err = slurp(io / "err");
    EXPECT_EQ(err.rfind("modewise: error: --prometheus '" + std::string(bad) + "'", 0), 0u) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
  modewise::telemetry::MetricsServer taken({"127.0.0.1", 0}, [] { return std::string(); });
  pid_t pid = spawn({"--sysfs-root", fake.root(), "monitor", "--duration", "0.1", "--prometheus",
                     "127.0.0.1:" + std::to_string(taken.port())},
                    io);
  EXPECT_EQ(wait_exit(pid, 10), 1);
  std::string err = slurp(io / "err");
  EXPECT_NE(err.find("modewise: error: cannot serve metrics on 127.0.0.1:" + std::to_string(taken.port()) +
                     ": port " + std::to_string(taken.port()) + " is in use"),
            std::string::npos)
      << err;
}

TEST(CliMonitorCsv, StdoutFlagDashOrFile) {
  FakeSysfs fake(Board::orin_agx_jp6);
  set_rails(fake, 4000);
  TempDir io("modewise-mon");
  const std::string header = "t_s,total_w,VDD_GPU_SOC_w,VDD_CPU_CV_w,VIN_SYS_5V0_w,VDDQ_VDD2_1V8AO_w\n";
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> full{"--sysfs-root", fake.root(), "monitor", "--interval-ms", "20"};
    full.insert(full.end(), args.begin(), args.end());
    return wait_exit(spawn(full, io), 20);
  };
  // a flag without a value (last, or before another option) and "-" mean stdout
  for (auto args : {std::vector<std::string>{"--duration", "0.2", "--csv"},
                    std::vector<std::string>{"--csv", "--duration", "0.2"},
                    std::vector<std::string>{"--csv", "-", "--duration", "0.2"}}) {
    ASSERT_EQ(run(args), 0) << slurp(io / "err");
    std::string out = slurp(io / "out");
    EXPECT_EQ(out.rfind(header, 0), 0u) << out;
    EXPECT_GT(std::count(out.begin(), out.end(), '\n'), 3) << out;
  }
  // a file beside --json: JSON on stdout, CSV in the file
  std::string file = io / "s.csv";
  ASSERT_EQ(run({"--csv", file, "--json", "--duration", "0.2"}), 0) << slurp(io / "err");
  EXPECT_EQ(slurp(file).rfind(header, 0), 0u);
  EXPECT_EQ(slurp(io / "out").rfind("{", 0), 0u) << slurp(io / "out");
  // stdout CSV and --json collide; an unwritable file is an error before sampling
  EXPECT_EQ(run({"--csv", "--json", "--duration", "0.1"}), 2);
  EXPECT_NE(slurp(io / "err").find("--csv on stdout and --json exclude each other"), std::string::npos);
  EXPECT_EQ(run({"--csv", io / "no/such/dir/x.csv", "--duration", "0.1"}), 1);
  EXPECT_NE(slurp(io / "err").find("cannot open for writing"), std::string::npos) << slurp(io / "err");
}
