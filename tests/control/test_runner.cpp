// Running users' commands end to end: shell and Python workloads (with python/modewise_probe.py) on fake trees whose
// rail files change while the command runs; power samples and minibatches on one monotonic clock.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cmath>
#include <fstream>
#include <mutex>
#include <thread>

#include "control/fake_sysfs.h"
#include "modewise/control/command_runner.h"
#include "modewise/control/signals.h"
#include "modewise/telemetry/power_sensor.h"
#include "modewise/telemetry/sampler.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::control;
using modewise::testing::Board;
using modewise::testing::FakeSysfs;
using modewise::testing::TempDir;

namespace {

bool have_python() { return ::access("/usr/bin/python3", X_OK) == 0; }

std::string write_script(const TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = dir / name;
  std::ofstream(path) << text;
  return path;
}

CommandOptions quiet() {
  CommandOptions o;
  o.stop_grace_s = 2;
  return o;
}

}  // namespace

TEST(Runner, PythonWorkloadWithProbeHelperAlignsPowerWithMinibatches) {
  if (!have_python()) GTEST_SKIP() << "/usr/bin/python3 not found";
  FakeSysfs fake(Board::orin_agx_jp5);
  TempDir dir;
  // The workload sets the GPU rail itself: 5 W while fetching, 15 W while computing (5000 mV fake rail).
  std::string rail = fake.host(fake.rails_[0].dir + "/curr1_input");
  std::string script = write_script(dir, "train.py", R"PY(
import os, sys, time
sys.path.insert(0, os.environ["PROBE_DIR"])
from modewise_probe import Probe
rail = os.environ["RAIL_FILE"]
def set_ma(ma):
    with open(rail + ".w", "w") as f:
        f.write("%d\n" % ma)
    os.replace(rail + ".w", rail)
class Loader:
    def __iter__(self):
        while True:
            set_ma(1000)
            time.sleep(0.04)
            yield 1
probe = Probe()
for batch in probe.iterate(Loader()):
    set_ma(3000)
    time.sleep(0.06)
    if probe.done():
        break
set_ma(0)
probe.close()
)PY");
  auto sensor = telemetry::make_ina3221_sensor(telemetry::SysfsRoot(fake.root()));
  CommandOptions o = quiet();
  o.env = {{"PROBE_DIR", std::string(MODEWISE_SOURCE_DIR) + "/python"}, {"RAIL_FILE", rail}};
  o.gpu_load_file = "/sys/devices/17000000.ga10b/load";
  auto trace = run_command("/usr/bin/python3 " + script, 6, *sensor, telemetry::SysfsRoot(fake.root()), o);
  ASSERT_EQ(trace.minibatches.size(), 6u);
  for (const auto& mb : trace.minibatches) {
    EXPECT_NEAR(mb.fetch_ms, 40, 25);
    EXPECT_NEAR(mb.compute_ms, 60, 25);
    EXPECT_NEAR(mb.time_ms, mb.fetch_ms + mb.compute_ms, 1e-9);
  }
  EXPECT_GT(trace.power.size(), 60u);  // 200 Hz over > 0.6 s
  // Power samples well inside each phase read that phase's level.
  int fetch_ok = 0, fetch_n = 0, compute_ok = 0, compute_n = 0;
  for (const auto& mb : trace.minibatches) {
    double f0 = mb.start_s, f1 = mb.start_s + mb.fetch_ms / 1000, c1 = mb.start_s + mb.time_ms / 1000;
    for (const auto& p : trace.power) {
      if (p.t_s > f0 + 0.008 && p.t_s < f1 - 0.008) fetch_ok += std::fabs(p.power_w - 5) < 0.01, ++fetch_n;
      if (p.t_s > f1 + 0.008 && p.t_s < c1 - 0.008) compute_ok += std::fabs(p.power_w - 15) < 0.01, ++compute_n;
    }
  }
  ASSERT_GT(fetch_n, 10);
  ASSERT_GT(compute_n, 20);
  EXPECT_GE(fetch_ok, fetch_n * 9 / 10);
  EXPECT_GE(compute_ok, compute_n * 9 / 10);
  EXPECT_NEAR(trace.extra.at("power_total_w"), 5 * 0.4 + 15 * 0.6, 1.0);
  EXPECT_DOUBLE_EQ(trace.gpu_util, 0);  // the fake load file reads 0
  EXPECT_GE(trace.extra.at("power_sample_rate_hz"), 100);
}

TEST(Runner, ShellWorkloadWithoutTimestampsAndATestThreadChangingRails) {
  FakeSysfs fake(Board::orin_agx_jp5);
  TempDir dir;
  std::string script = write_script(dir, "loop.sh", R"SH(
exec 3>"$MODEWISE_PIPE"
i=0
while [ $i -lt 1000 ]; do
  echo mb_begin >&3; sleep 0.01; echo fetch_end >&3; sleep 0.03; echo mb_end >&3
  i=$((i+1))
done
)SH");
  // The test thread alternates VIN_SYS_5V0 between 6 W and 12 W every 40 ms and logs each change.
  std::mutex mu;
  std::vector<std::pair<double, double>> log;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int k = 0; !stop; ++k) {
      double w = k % 2 ? 12 : 6;
      fake.set_rail_mw("VIN_SYS_5V0", w * 1000);
      {
        std::lock_guard lock(mu);
        log.emplace_back(telemetry::monotonic_s(), w);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(40));
    }
  });
  auto sensor = telemetry::make_ina3221_sensor(telemetry::SysfsRoot(fake.root()));
  auto trace = run_command("sh " + script, 8, *sensor, telemetry::SysfsRoot(fake.root()), quiet());
  stop = true;
  writer.join();
  ASSERT_EQ(trace.minibatches.size(), 8u);  // the endless loop was stopped after 8
  for (size_t i = 1; i < trace.minibatches.size(); ++i)
    EXPECT_GT(trace.minibatches[i].start_s, trace.minibatches[i - 1].start_s);
  // Energy of the sampled trace vs the writer's log over the same span, on the same clock.
  double t0 = trace.extra.at("start_monotonic_s");
  double a = trace.minibatches.front().start_s, b = trace.power.back().t_s - 0.05;
  double sampled = 0;
  for (size_t i = 1; i < trace.power.size(); ++i) {
    double lo = std::max(a, trace.power[i - 1].t_s), hi = std::min(b, trace.power[i].t_s);
    if (hi > lo) sampled += 0.5 * (trace.power[i - 1].power_w + trace.power[i].power_w) * (hi - lo);
  }
  double expected = 0;
  for (size_t i = 0; i + 1 < log.size(); ++i) {
    double lo = std::max(a, log[i].first - t0), hi = std::min(b, log[i + 1].first - t0);
    if (hi > lo) expected += log[i].second * (hi - lo);
  }
  EXPECT_NEAR(sampled, expected, 0.03 * expected);
}

TEST(Runner, EnvironmentAndSelfTimedMinibatches) {
  FakeSysfs fake(Board::orin_nano_jp6);
  TempDir dir;
  auto sensor = telemetry::make_ina3221_sensor(telemetry::SysfsRoot(fake.root()));
  CommandOptions o = quiet();
  o.env = workload_env({"resnet18", "infer", 8, 2, "nvme", ""}, {4, 729.6, 306, 2133});
  std::string out = dir / "env.txt";
  auto trace = run_command(
      "echo \"$MODEWISE_MINIBATCHES $MODEWISE_MODE $MODEWISE_BATCH_SIZE $MODEWISE_TASK\" > " + out +
          "; printf 'mb 1.5 2.5\\nmb 0 4\\nbye\\n' > \"$MODEWISE_PIPE\"",
      2, *sensor, telemetry::SysfsRoot(fake.root()), o);
  ASSERT_EQ(trace.minibatches.size(), 2u);
  EXPECT_DOUBLE_EQ(trace.minibatches[0].fetch_ms, 1.5);
  EXPECT_DOUBLE_EQ(trace.minibatches[0].time_ms, 4);
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "2 4c/729.6/306/2133 8 infer");
}

TEST(Runner, FailuresAreClearErrors) {
  FakeSysfs fake(Board::orin_nano_jp6);
  telemetry::SysfsRoot root(fake.root());
  auto sensor = telemetry::make_ina3221_sensor(root);
  auto message = [&](const std::string& cmd, CommandOptions o = quiet()) {
    try {
      run_command(cmd, 5, *sensor, root, o);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("true").find("without reporting a minibatch"), std::string::npos);
  EXPECT_NE(message("printf 'mb_begin\\nmb_end\\n' > \"$MODEWISE_PIPE\"; exit 3").find("exit status 3 after 1 of 5"),
            std::string::npos);
  double t = telemetry::monotonic_s();
  EXPECT_NE(message("echo mb_end > \"$MODEWISE_PIPE\"; sleep 20").find("$MODEWISE_PIPE line 1: mb_end without mb_begin"),
            std::string::npos);
  EXPECT_LT(telemetry::monotonic_s() - t, 10);  // the command was stopped, not waited for
  CommandOptions idle = quiet();
  idle.idle_timeout_s = 0.3;
  EXPECT_NE(message("sleep 20", idle).find("reported nothing"), std::string::npos);
  EXPECT_NE(message("   ").find("no command"), std::string::npos);
  EXPECT_NE(message("exit 0 ; ").find("without reporting"), std::string::npos);
}

TEST(Runner, SigintStopsTheCommandAndThrowsInterrupted) {
  FakeSysfs fake(Board::orin_nano_jp6);
  telemetry::SysfsRoot root(fake.root());
  auto sensor = telemetry::make_ina3221_sensor(root);
  std::thread poke([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(::getpid(), SIGINT);
  });
  double t = telemetry::monotonic_s();
  try {
    run_command("sleep 20", 5, *sensor, root, quiet());
    ADD_FAILURE();
  } catch (const Interrupted& e) {
    EXPECT_EQ(e.signal(), SIGINT);
  }
  poke.join();
  EXPECT_LT(telemetry::monotonic_s() - t, 10);
}

TEST(Signals, CatcherRecordsAndChainsAndUninstalls) {
  {
    SignalCatcher outer;
    SignalCatcher inner;
    EXPECT_EQ(SignalCatcher::caught(), 0);
    ::raise(SIGTERM);
    EXPECT_EQ(SignalCatcher::caught(), SIGTERM);
    EXPECT_TRUE(SignalCatcher::wait(0));
    SignalCatcher::clear();
    EXPECT_EQ(SignalCatcher::caught(), 0);
    EXPECT_FALSE(SignalCatcher::wait(0.01));
  }
  // Uninstalled: the default action (termination) is back.
  pid_t pid = ::fork();
  if (pid == 0) {
    ::raise(SIGTERM);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}
