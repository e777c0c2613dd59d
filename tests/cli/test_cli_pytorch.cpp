// A real PyTorch training run under `modewise profile --device jetson` (issue 14): examples/pytorch_train.py trains a
// small CNN on the CPU with Debian's python3-torch and a real DataLoader, reporting minibatches through the probe,
// over three modes of a fake AGX Orin tree (fake rails and knobs, real training process). Skipped, with the reason,
// where /usr/bin/python3 cannot import torch. Its own binary (labels torch, no_qemu): see tests/CMakeLists.txt.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "cli/cli_process.h"
#include "control/fake_sysfs.h"
#include "modewise/profile/profile.h"

using modewise::testing::Board;
using modewise::testing::FakeSysfs;
using modewise::testing::TempDir;
using modewise::test::find_processes;
using modewise::test::read_text;
using modewise::test::shell_quote;
namespace fs = std::filesystem;

namespace {

// Why torch cannot be used here, or "" when it can.
std::string torch_missing() {
  static const std::string why = [] {
    int rc = std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1");
    return rc == 0 ? std::string()
                   : std::string("/usr/bin/python3 cannot import torch (install python3-torch: scripts/install-deps.sh "
                                 "with WITH_TORCH=1)");
  }();
  return why;
}

// The CLI in the background (sh execs env, which execs modewise: the pid is modewise's, so kill -9 reaches it alone;
// the training command runs in a process group of its own that modewise made).
pid_t spawn_cli(const std::string& args, const std::string& env, const std::string& out, const std::string& err) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::string cmd = "exec env " + env + " " + shell_quote(MODEWISE_CLI) + " " + args + " >" + shell_quote(out) + " 2>" +
                      shell_quote(err) + " </dev/null";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid, double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > end) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_cli(const std::string& args, const std::string& env, const std::string& out, const std::string& err) {
  return wait_exit(spawn_cli(args, env, out, err), 120);
}

using modewise::test::wait_for;

const char* kModes =
    "cores,cpu_mhz,gpu_mhz,emc_mhz\n"
    "12,2201.6,1300.5,3199\n"
    "8,1344,624.75,2133\n"
    "4,729.6,318.75,665.6\n";

// Tiny images, 8 per minibatch, each costing load_ms to load (4 ms: 32 ms of loading per minibatch against a few ms
// of compute).
std::string train_command(const std::string& marker, int load_ms) {
  return "/usr/bin/python3 " + std::string(MODEWISE_SOURCE_DIR) +
         "/examples/pytorch_train.py --image-size 16 --num-classes 4 --threads 1 --load-ms " + std::to_string(load_ms) +
         " --seed " + marker;
}

struct Campaign {
  FakeSysfs fake{Board::orin_agx_jp6};
  TempDir dir{"modewise-torch"};
  std::string modes = dir / "modes.csv";
  Campaign() {
    std::ofstream(modes) << kModes;
    fake.set_rail_mw("VDD_GPU_SOC", 6000);
    fake.set_rail_mw("VDD_CPU_CV", 3000);
    fake.set_rail_mw("VIN_SYS_5V0", 4000);
    fake.set_rail_mw("VDDQ_VDD2_1V8AO", 1000);
  }
  std::string env() const { return "MODEWISE_STATE_DIR=" + shell_quote(dir / "state"); }
  std::string args(int workers, const std::string& out, const std::string& marker, const std::string& db,
                   int load_ms = 4) const {
    return "--sysfs-root " + shell_quote(fake.root()) + (db.empty() ? "" : " --db " + shell_quote(db)) +
           " profile --device jetson --workload tinycnn --batch-size 8 --workers " + std::to_string(workers) +
           " --modes " + shell_quote(modes) + " --minibatches 8 --warmup-allowance 4 --settle-ms 0" +
           (db.empty() ? " --no-db" : "") + " --out " + shell_quote(out) + " --command " + shell_quote(train_command(marker, load_ms));
  }
};

}  // namespace

TEST(CliPytorch, RealMinibatchTimesWarmupAndFetchStallsFallWithWorkers) {
  if (!torch_missing().empty()) GTEST_SKIP() << torch_missing();
  Campaign c;
  std::map<int, modewise::profile::Profile> by_workers;
  for (int workers : {0, 2}) {
    std::string out = c.dir / ("w" + std::to_string(workers) + ".csv"), err = c.dir / "err";
    ASSERT_EQ(run_cli(c.args(workers, out, "11", ""), c.env(), c.dir / "stdout", err), 0) << read_text(err);
    by_workers[workers] = modewise::profile::read_profile_csv(out);
  }
  for (auto& [workers, profile] : by_workers) {
    ASSERT_EQ(profile.rows.size(), 3u) << "workers " << workers;
    std::set<double> times;
    int warmup_total = 0;
    for (const auto& r : profile.rows) {
      SCOPED_TRACE("workers " + std::to_string(workers) + " mode " + r.mode.key());
      EXPECT_EQ(r.provenance, "measured");
      EXPECT_EQ(r.samples, 8);
      EXPECT_GT(r.time_ms, 0);
      EXPECT_GT(r.time_sd_ms, 0);  // real minibatches vary
      EXPECT_NEAR(r.power_w, 14.0, 1e-6);  // the fake rails' sum
      // the data set costs 8 x 4 ms per minibatch: no minibatch can beat loading, without workers
      if (workers == 0) {
        EXPECT_GE(r.time_ms, 8 * 4.0);
      }
      EXPECT_GE(r.metrics.at("fetch_ms"), 0);
      times.insert(r.time_ms);
      warmup_total += static_cast<int>(r.metrics.at("warmup_minibatches"));
    }
    EXPECT_EQ(times.size(), 3u);  // measured, not one number copied
    // The first minibatch of a fresh PyTorch process is slower (allocations, autograd set-up): with the fake rails'
    // constant power, the time-outlier rule finds it. With 2 workers the fetches alternate between ready and waiting
    // (spread as large as the mean), which hides it from that rule, so only the workers-0 campaign must show it.
    if (workers == 0) {
      EXPECT_GE(warmup_total, 1) << "no warm-up found in any mode with workers 0";
    }
  }
  // loading in 2 worker processes overlaps with compute: smaller fetch stalls in every mode
  for (size_t i = 0; i < 3; ++i) {
    const auto& w0 = by_workers[0].rows[i];
    const auto& w2 = by_workers[2].rows[i];
    ASSERT_EQ(w0.mode, w2.mode);
    EXPECT_GT(w0.metrics.at("fetch_ms"), w2.metrics.at("fetch_ms")) << w0.mode.key();
    EXPECT_GT(w0.metrics.at("stall_fraction"), w2.metrics.at("stall_fraction")) << w0.mode.key();
  }
}

TEST(CliPytorch, KillMinus9MidCampaignLeavesNoTrainingProcessAndTheRerunResumes) {
  if (!torch_missing().empty()) GTEST_SKIP() << torch_missing();
  Campaign c;
  std::string marker = std::to_string(900000 + ::getpid() % 100000);
  std::string db = c.dir / "store.db", out = c.dir / "out.csv", err = c.dir / "err1";
  // 30 ms per sample: each mode trains for about 1.5 s, long enough to be killed in
  pid_t pid = spawn_cli(c.args(2, out, marker, db, 30), c.env(), c.dir / "stdout", err);
  // the first mode is done, the second mode's training process (and its DataLoader workers) is running
  ASSERT_TRUE(wait_for([&] {
    std::string e = read_text(err);
    size_t first = e.find("running `");
    return first != std::string::npos && e.find("running `", first + 1) != std::string::npos;
  }, 60)) << read_text(err);
  std::set<int> groups;
  ASSERT_TRUE(wait_for([&] {
    auto procs = find_processes(marker);
    for (const auto& p : procs) groups.insert(p.pgid);
    return procs.size() >= 3;  // python and its 2 workers
  }, 30)) << read_text(err);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  EXPECT_EQ(wait_exit(pid, 10), 128 + SIGKILL);
  // nothing of the training command's process group outlives modewise for long
  bool gone = wait_for([&] { return find_processes(marker, groups).empty(); }, 20);
  if (!gone)
    for (const auto& p : find_processes(marker, groups)) ::kill(p.pid, SIGKILL);  // leave the machine clean
  EXPECT_TRUE(gone) << "training processes left after kill -9 of modewise";

  std::string err2 = c.dir / "err2";
  ASSERT_EQ(run_cli(c.args(2, out, marker, db, 30), c.env(), c.dir / "stdout", err2), 0) << read_text(err2);
  EXPECT_NE(read_text(err2).find("resuming campaign"), std::string::npos) << read_text(err2);
  auto profile = modewise::profile::read_profile_csv(out);
  ASSERT_EQ(profile.rows.size(), 3u);
  for (const auto& r : profile.rows) EXPECT_GT(r.time_ms, 0);
  EXPECT_TRUE(find_processes(marker).empty());
}
