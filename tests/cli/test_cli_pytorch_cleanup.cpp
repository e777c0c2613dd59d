// kill -9 of modewise while a profiled command runs: the command's whole process group is stopped even when the
// command ignores the closed probe pipe (a shell loop with SIGPIPE ignored), so no workload outlives modewise.
// Built into test_cli_pytorch (labels torch, no_qemu: the kill timing is not meaningful under emulation); needs no
// torch itself.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "cli/cli_process.h"
#include "control/fake_sysfs.h"

using modewise::testing::Board;
using modewise::testing::FakeSysfs;
using modewise::testing::TempDir;
using modewise::test::find_processes;
using modewise::test::read_text;
namespace fs = std::filesystem;

namespace {

// pids of live processes (not this test's process group) whose command line holds `marker` or whose group is in
// `groups`; the groups of the marker's processes are added to `groups`.
std::vector<int> live(const std::string& marker, std::set<int>& groups) {
  for (const auto& p : find_processes(marker)) groups.insert(p.pgid);
  std::vector<int> out;
  for (const auto& p : find_processes("", groups)) out.push_back(p.pid);
  return out;
}

using modewise::test::wait_for;

}  // namespace

TEST(CliProfileCleanup, KillMinus9StopsACommandThatIgnoresTheClosedPipe) {
  FakeSysfs fake(Board::orin_agx_jp6);
  fake.set_rail_mw("VDD_GPU_SOC", 5000);
  TempDir dir("modewise-cleanup");
  std::string marker = "modewise-cleanup-" + std::to_string(::getpid());
  // Reports minibatches forever and keeps going when modewise is gone (SIGPIPE ignored, write errors dropped).
  std::string command = "trap '' PIPE; exec 3>\"$MODEWISE_PIPE\"; while :; do printf 'mb_begin\\nfetch_end\\n' >&3; "
                        "sleep 0.02; printf 'mb_end\\n' >&3; done 2>/dev/null # " + marker;
  std::string err = dir / "err";
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int out = ::open("/dev/null", O_WRONLY);
    ::dup2(out, 1);
    ::dup2(fd, 2);
    std::string state = "MODEWISE_STATE_DIR=" + (dir / "state");
    ::putenv(state.data());
    std::vector<std::string> args{MODEWISE_CLI, "--sysfs-root", fake.root(), "profile", "--device", "jetson",
                                  "--workload", "loop", "--modes", "maxn", "--minibatches", "100000",
                                  "--settle-ms", "0", "--no-db", "--out", dir / "p.csv", "--command", command};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  std::set<int> groups;
  ASSERT_TRUE(wait_for([&] { return !live(marker, groups).empty(); }, 30)) << read_text(err);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // minibatches flowing
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  bool gone = wait_for([&] { return live(marker, groups).empty(); }, 15);
  if (!gone)
    for (int p : live(marker, groups)) ::kill(p, SIGKILL);  // leave the machine clean
  EXPECT_TRUE(gone) << "the command outlived modewise: " << read_text(err);
}
