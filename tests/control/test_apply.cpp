// Applying modes on fake trees: exactly the expected files in a safe order, refusals, read-back, the state file,
// restore on destruction and after a crash.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "control/fake_sysfs.h"
#include "modewise/control/mode_controller.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::control;
using modewise::testing::Board;
using modewise::testing::FakeSysfs;
using modewise::testing::TempDir;

namespace {

struct Rig {
  explicit Rig(Board b) : fake(b), root(fake.root()), board(discover_board(root)) {
    options.sysfs_root = fake.root();
    options.state_dir = state.path();
    options.log = [this](const std::string& m) { log += m + "\n"; };
  }
  FakeSysfs fake;
  telemetry::SysfsRoot root;
  JetsonBoard board;
  TempDir state{"modewise-state"};
  ControlOptions options;
  std::string log;
  std::string snapshot() const {  // every knob file's value
    std::string out;
    for (const auto& c : read_knobs(root, board).cores) out += c.file + "=" + fake.read(c.file) + "\n";
    for (const auto& k : read_knobs(root, board).clocks) {
      if (!k.min_file.empty()) out += k.min_file + "=" + fake.read(k.min_file) + "\n";
      out += k.max_file + "=" + fake.read(k.max_file) + "\n";
    }
    return out;
  }
};

std::vector<std::pair<std::string, std::string>> files(const std::vector<KnobWrite>& w) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& x : w) out.emplace_back(x.file, x.value);
  return out;
}

const std::string kCpu = "/sys/devices/system/cpu";
const std::string kGpu = "/sys/devices/17000000.ga10b/devfreq/17000000.ga10b";
const std::string kEmc = "/sys/kernel/nvpmodel_emc_cap/emc_iso_cap";

}  // namespace

TEST(Apply, LoweringModeWritesExactlyTheExpectedFilesInSafeOrder) {
  Rig rig(Board::orin_agx_jp5);
  std::string before = rig.snapshot();
  {
    ModeController ctl(rig.board, rig.options);
    auto writes = ctl.apply({4, 1344.0, 612, 2133});
    std::vector<std::pair<std::string, std::string>> expected;
    for (int cpu = 11; cpu >= 4; --cpu) expected.emplace_back(kCpu + "/cpu" + std::to_string(cpu) + "/online", "0");
    // [729.6, 2201.6] -> [1344, 1344] narrows: cap first, then floor. GPU likewise.
    expected.emplace_back(kCpu + "/cpufreq/policy0/scaling_max_freq", "1344000");
    expected.emplace_back(kCpu + "/cpufreq/policy0/scaling_min_freq", "1344000");
    expected.emplace_back(kGpu + "/max_freq", "612000000");
    expected.emplace_back(kGpu + "/min_freq", "612000000");
    expected.emplace_back(kEmc, "2133000000");  // cap 0 (uncapped) -> 2133 MHz
    EXPECT_EQ(files(writes), expected);
    EXPECT_EQ(rig.fake.read(kCpu + "/cpu4/online"), "0");
    EXPECT_EQ(rig.fake.read(kCpu + "/cpufreq/policy4/scaling_max_freq"), "2201600");  // offline cluster untouched
    EXPECT_EQ(ctl.current_mode(), (device::PowerMode{4, 1344.0, 612, 2133}));
    EXPECT_TRUE(std::filesystem::exists(ctl.store().path()));

    // Pinned to pinned, going down: the new range is below the current minimum, so min before max.
    auto down = ctl.apply({4, 1036.8, 408, 2133});
    std::vector<std::pair<std::string, std::string>> down_expected{
        {kCpu + "/cpufreq/policy0/scaling_min_freq", "1036800"},
        {kCpu + "/cpufreq/policy0/scaling_max_freq", "1036800"},
        {kGpu + "/min_freq", "408000000"},
        {kGpu + "/max_freq", "408000000"}};
    EXPECT_EQ(files(down), down_expected);

    // Going up: cores come online lowest first; a cluster waking up gets its clocks right after its first core
    // (max already 2201600 there); then the other clocks, max before min.
    auto up = ctl.apply({12, 2201.6, 1300.5, 3199});
    std::vector<std::pair<std::string, std::string>> up_expected;
    for (int cpu = 4; cpu <= 11; ++cpu) {
      up_expected.emplace_back(kCpu + "/cpu" + std::to_string(cpu) + "/online", "1");
      if (cpu == 4 || cpu == 8)
        up_expected.emplace_back(kCpu + "/cpufreq/policy" + std::to_string(cpu) + "/scaling_min_freq", "2201600");
    }
    up_expected.emplace_back(kCpu + "/cpufreq/policy0/scaling_max_freq", "2201600");
    up_expected.emplace_back(kCpu + "/cpufreq/policy0/scaling_min_freq", "2201600");
    up_expected.emplace_back(kGpu + "/max_freq", "1300500000");
    up_expected.emplace_back(kGpu + "/min_freq", "1300500000");
    up_expected.emplace_back(kEmc, "3199000000");
    EXPECT_EQ(files(up), up_expected);
  }
  // The destructor restored the state saved before the first write, and removed the state file.
  EXPECT_EQ(rig.snapshot(), before);
  EXPECT_TRUE(std::filesystem::is_empty(rig.state.path()));
}

TEST(Apply, SnapsWithinOneMhzAndRefusesModesTheBoardLacks) {
  Rig rig(Board::orin_agx_jp6);
  std::string before = rig.snapshot();
  ModeController ctl(rig.board, rig.options);
  auto r = ctl.resolve({8, 1344, 1300, 3199});
  EXPECT_DOUBLE_EQ(r.mode.gpu_mhz, 1300.5);
  EXPECT_EQ(r.gpu_hz, 1300500000);
  EXPECT_EQ(r.cluster_khz, (std::vector<long long>{1344000, 1344000, 0}));
  auto refuse = [&](const device::PowerMode& m, const std::string& needle) {
    try {
      ctl.apply(m);
      ADD_FAILURE() << "accepted " << m.key();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  refuse({8, 1344, 1000, 3199}, "gpu_mhz = 1000 MHz is not available");
  refuse({8, 1344, 1000, 3199}, "114.75 216.75");  // lists the table
  refuse({13, 1344, 1300.5, 3199}, "13 cores is not available on this board (expected 1 to 12)");
  refuse({0, 1344, 1300.5, 3199}, "0 cores");
  refuse({8, 2300, 1300.5, 3199}, "cpu_mhz");
  refuse({8, 1344, 1300.5, 1600}, "emc_mhz");
  EXPECT_EQ(rig.snapshot(), before);  // nothing written
  EXPECT_TRUE(std::filesystem::is_empty(rig.state.path()));  // no state saved
}

TEST(Apply, DryRunPlanWritesNothing) {
  Rig rig(Board::xavier_agx_jp4);
  std::string before = rig.snapshot();
  ModeController ctl(rig.board, rig.options);
  auto plan = ctl.plan({2, 1190.4, 675.75, 1600});
  ASSERT_FALSE(plan.empty());
  EXPECT_EQ(plan.front().what, "offline cpu7");
  EXPECT_EQ(rig.snapshot(), before);
  EXPECT_FALSE(ctl.holds_state());
}

TEST(Apply, MissingOrUnwritableFilesAreRefusedBeforeAnyWrite) {
  Rig rig(Board::orin_agx_jp5);
  rig.fake.remove(kEmc);
  std::string before = rig.snapshot();
  ModeController ctl(rig.board, rig.options);
  try {
    ctl.apply({4, 1344.0, 612, 2133});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  EXPECT_EQ(rig.snapshot(), before);
  EXPECT_TRUE(std::filesystem::is_empty(rig.state.path()));
}

TEST(Apply, WithoutPermissionItRefusesWithAClearMessage) {
  if (::geteuid() == 0) GTEST_SKIP() << "root may write read-only files; run as a normal user to check";
  Rig rig(Board::orin_agx_jp5);
  std::filesystem::permissions(rig.fake.host(kGpu + "/min_freq"), std::filesystem::perms::owner_read);
  ModeController ctl(rig.board, rig.options);
  try {
    ctl.apply({4, 1344.0, 612, 2133});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs root"), std::string::npos) << e.what();
  }
  EXPECT_EQ(rig.fake.read(kCpu + "/cpu11/online"), "1");
}

TEST(Apply, ReadBackMismatchIsAnError) {
  Rig rig(Board::orin_agx_jp5);
  // The kernel "rounds": the GPU max_freq file swallows writes and reads back empty.
  rig.fake.remove(kGpu + "/max_freq");
  rig.fake.link(kGpu + "/max_freq", "/dev/null");
  auto board = discover_board(rig.root);
  ModeController ctl(board, rig.options);
  try {
    ctl.apply({12, 2201.6, 612, 3199});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("reads back"), std::string::npos) << e.what();
  }
}

TEST(Apply, NanoKeepsCpu0AndOfflinesFromTheTop) {
  Rig rig(Board::nano_jp4);
  ModeController ctl(rig.board, rig.options);
  auto w = ctl.apply({2, 921.6, 460.8, 1600});
  EXPECT_EQ(w.at(0).file, kCpu + "/cpu3/online");
  EXPECT_EQ(w.at(1).file, kCpu + "/cpu2/online");
  EXPECT_EQ(ctl.current_mode(), (device::PowerMode{2, 921.6, 460.8, 1600}));
  EXPECT_THROW(ctl.resolve({5, 921.6, 460.8, 1600}), Error);
}

TEST(Apply, PlannedTransitionsKeepMinBelowMaxAndLowerLimitsBeforeRaisingThem) {
  // Property test over random mode pairs on AGX Orin: simulate every write on the knob state.
  Rig rig(Board::orin_agx_jp5);
  auto start = read_knobs(rig.root, rig.board);
  std::mt19937 rng(7);
  auto pick = [&](const std::vector<long long>& t) { return t[rng() % t.size()]; };
  auto random_mode = [&] {
    device::PowerMode m;
    m.cores = 1 + static_cast<int>(rng() % 12);
    m.cpu_mhz = pick(rig.fake.cpu_khz) / 1000.0;
    m.gpu_mhz = pick(rig.fake.gpu_hz) / 1e6;
    m.emc_mhz = pick(rig.fake.emc_hz) / 1e6;
    return m;
  };
  KnobState cur = start;
  for (int iter = 0; iter < 400; ++iter) {
    auto mode = resolve_mode(rig.board, random_mode());
    KnobState to = target_state(rig.board, cur, mode);
    auto writes = plan_transition(cur, to);
    KnobState sim = cur;
    bool raised = false;
    std::set<std::string> waking;  // clock files of clusters that start fully offline: set right after they wake
    for (const auto& k : cur.clocks) {
      bool any = false;
      for (int cpu : k.cpus)
        for (auto& c : cur.cores) any |= c.cpu == cpu && c.online;
      if (!k.cpus.empty() && !any) waking.insert({k.min_file, k.max_file});
    }
    for (const auto& w : writes) {
      long long v = std::stoll(w.value);
      bool is_raise = false;
      for (auto& c : sim.cores)
        if (c.file == w.file) {
          is_raise = v == 1;
          c.online = v == 1;
        }
      for (auto& k : sim.clocks) {
        if (k.min_file == w.file) k.min = v;  // a floor does not raise the power limit
        if (k.max_file == w.file) {
          auto limit = [&](long long x) { return k.min_file.empty() && x == 0 ? LLONG_MAX : x; };  // EMC 0: no cap
          is_raise = !k.max || limit(v) > limit(*k.max);
          k.max = v;
        }
        if (k.min && k.max && !k.min_file.empty()) {
          ASSERT_LE(*k.min, *k.max) << w.what;
        }
        if (!k.cpus.empty() && (k.min_file == w.file || k.max_file == w.file)) {
          bool any_online = false;
          for (int cpu : k.cpus)
            for (auto& c : sim.cores) any_online |= c.cpu == cpu && c.online;
          ASSERT_TRUE(any_online) << "wrote " << w.what << " while its cluster is offline";
        }
      }
      bool is_lower = !is_raise && w.file.find("min") == std::string::npos && !waking.count(w.file);
      if (raised) {
        ASSERT_FALSE(is_lower) << "lowered " << w.what << " after raising a limit";
      }
      raised |= is_raise;
    }
    EXPECT_EQ(mode_of(rig.board, sim), mode.mode);
    cur = sim;
  }
}

TEST(Apply, ModeLeftByAKilledProcessIsRestoredAtTheNextStart) {
  Rig rig(Board::orin_agx_jp5);
  std::string before = rig.snapshot();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The "killed" process: applies a mode and dies without running any destructor.
    try {
      auto* ctl = new ModeController(rig.board, rig.options);
      ctl->apply({2, 729.6, 306, 204});
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(rig.fake.read(kCpu + "/cpu2/online"), "0");  // the mode stayed applied
  StateStore store(rig.state.path(), rig.fake.root());
  auto saved = store.load();
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->pid, pid);
  {
    ModeController next(rig.board, rig.options);  // the next start
    EXPECT_EQ(rig.snapshot(), before);
    EXPECT_FALSE(store.load());
    EXPECT_NE(rig.log.find("no longer running"), std::string::npos) << rig.log;
  }
  EXPECT_EQ(rig.snapshot(), before);
}

TEST(Apply, CrashInTheMiddleOfAnApplyIsRestoredAtTheNextStart) {
  Rig rig(Board::orin_agx_jp5);
  std::string before = rig.snapshot();
  // The GPU max_freq write "fails" (reads back empty): the child dies there, after the cores and CPU writes.
  rig.fake.remove(kGpu + "/max_freq");
  rig.fake.link(kGpu + "/max_freq", "/dev/null");
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto* ctl = new ModeController(rig.board, rig.options);
    try {
      ctl->apply({4, 1344.0, 612, 2133});
    } catch (const Error&) {
      ::_exit(0);  // dies without restoring
    }
    ::_exit(1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(rig.fake.read(kCpu + "/cpu11/online"), "0");  // half applied
  rig.fake.remove(kGpu + "/max_freq");
  rig.fake.write(kGpu + "/max_freq", "1300500000\n");
  { ModeController next(rig.board, rig.options); }
  EXPECT_EQ(rig.snapshot(), before);
}

TEST(Apply, LiveOwnerIsRefusedUnlessForced) {
  Rig rig(Board::orin_agx_jp5);
  std::string before = rig.snapshot();
  pid_t sleeper = ::fork();
  if (sleeper == 0) {
    ::sleep(30);
    ::_exit(0);
  }
  KnobState now = read_knobs(rig.root, rig.board);
  SavedState s;
  s.pid = sleeper;
  s.pid_start_ticks = process_start_ticks(sleeper);
  s.sysfs_root = rig.root.root();
  s.created_utc = "2026-01-01T00:00:00Z";
  s.applied_mode = "x";
  s.state = now;
  StateStore store(rig.state.path(), rig.fake.root());
  store.save(s);
  rig.fake.write(kCpu + "/cpu11/online", "0\n");  // as if the owner had applied a mode
  EXPECT_THROW(ModeController(rig.board, rig.options), Error);
  EXPECT_THROW(ModeController::restore_saved(rig.board, rig.options, false), Error);
  auto writes = ModeController::restore_saved(rig.board, rig.options, true);
  ASSERT_TRUE(writes);
  EXPECT_EQ(writes->size(), 1u);
  EXPECT_EQ(rig.snapshot(), before);
  EXPECT_FALSE(ModeController::restore_saved(rig.board, rig.options, false));  // nothing left
  ::kill(sleeper, SIGKILL);
  ::waitpid(sleeper, nullptr, 0);
  EXPECT_FALSE(process_alive(sleeper, s.pid_start_ticks));
}

TEST(StateFile, CorruptOrTamperedFilesAreRefused) {
  EXPECT_THROW(parse_saved_state("{not json", "s.json"), Error);
  EXPECT_THROW(parse_saved_state(R"({"format":"other"})", "s.json"), Error);
  std::string tampered =
      R"({"format":"modewise-state","version":1,"pid":1,"sysfs_root":"/","created_utc":"","applied_mode":"",)"
      R"("state":{"cores":[{"cpu":1,"file":"/etc/passwd","online":true}],"clocks":[]}})";
  try {
    parse_saved_state(tampered, "s.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("under /sys/"), std::string::npos) << e.what();
  }
  Rig rig(Board::orin_agx_jp5);
  SavedState s{42, 7, "/", "now", "4c/1/2/3", read_knobs(rig.root, rig.board)};
  auto back = parse_saved_state(format_saved_state(s), "s.json");
  EXPECT_EQ(back.pid, 42);
  EXPECT_EQ(back.state.clocks.size(), s.state.clocks.size());
  EXPECT_EQ(to_json(back.state), to_json(s.state));
}
