// End-to-end tests of `profile --modes spread:N` and `profile --modes adaptive:N --base REF.model.json`: seeded
// space-filling designs that reach every axis's extremes, adaptive campaigns on sim:, replay: and jetson (fake
// sysfs, a user --command), cross-device, resumption after kill -9, `transfer` on the output, and usage errors.
// Replay files are generated here (synthetic numbers from a formula, not measurements).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/cli_process.h"
#include "cli/run_cli.h"
#include "cli/synthetic_profile.h"
#include "control/fake_sysfs.h"
#include "modewise/device/grid.h"
#include "modewise/profile/profile.h"
#include "modewise/store/store.h"

using modewise::test::run_cli;
using modewise::test::shell_quote;
using modewise::test::shell_words;
using modewise::test::spawn_cli_argv;
using modewise::test::slurp;
using modewise::test::write_synthetic_profile;
using modewise::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// Every 7th mode of the powertrain grid, the time depending on the cores too.
const modewise::test::SyntheticProfile kEvery7thPowertrainMode{"powertrain", 7, 300.0};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::vector<std::string> keys(const modewise::profile::Profile& p) {
  std::vector<std::string> k;
  for (const auto& r : p.rows) k.push_back(r.mode.key());
  return k;
}

// The reference model every adaptive test starts from: resnet18 training on the emulated AGX Orin, 60 modes.
class CliAdaptive : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    auto p = run_cli("profile --no-db --device sim:orin-agx --workload resnet18 --modes random:60 --grid powertrain "
                     "--minibatches 10 --seed 5 --out '" + dir_->file("ref.csv") + "'");
    ASSERT_EQ(p.exit_code, 0) << p.err;
    auto f = run_cli("fit --profile '" + dir_->file("ref.csv") + "' --out '" + dir_->file("ref.model.json") +
                     "' --epochs 150 --seed 5");
    ASSERT_EQ(f.exit_code, 0) << f.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string base() { return dir_->file("ref.model.json"); }
  static TempDir* dir_;
};
TempDir* CliAdaptive::dir_ = nullptr;

size_t stored_results(const std::string& db) {
  if (!fs::exists(db)) return 0;
  try {
    modewise::store::Store s(db, false);
    auto c = s.list_campaigns();
    return c.empty() ? 0 : static_cast<size_t>(c[0].modes_done);
  } catch (const std::exception&) {
    return 0;  // being written
  }
}

}  // namespace

TEST(CliSpread, SeededReproducibleAndReachesEveryAxisExtreme) {
  TempDir d;
  const auto spec = modewise::device::builtin_device("orin-agx");
  for (std::string grid : {"powertrain", "full"}) {
    auto all = modewise::device::grid_modes(spec, grid);
    auto lo = all.front(), hi = all.front();
    for (const auto& m : all) {
      lo = {std::min(lo.cores, m.cores), std::min(lo.cpu_mhz, m.cpu_mhz), std::min(lo.gpu_mhz, m.gpu_mhz),
            std::min(lo.emc_mhz, m.emc_mhz)};
      hi = {std::max(hi.cores, m.cores), std::max(hi.cpu_mhz, m.cpu_mhz), std::max(hi.gpu_mhz, m.gpu_mhz),
            std::max(hi.emc_mhz, m.emc_mhz)};
    }
    for (int seed : {1, 2, 3}) {
      std::string out = d.file(grid + std::to_string(seed) + ".csv");
      std::string args = "profile --no-db --device sim:orin-agx --workload mobilenetv3 --modes spread:10 --grid " +
                         grid + " --minibatches 5 --seed " + std::to_string(seed) + " --out '" + out + "'";
      auto r = run_cli(args);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      auto p = modewise::profile::read_profile_csv(out);
      ASSERT_EQ(p.rows.size(), 10u);
      const auto k = keys(p);
      std::set<std::string> distinct(k.begin(), k.end());
      EXPECT_EQ(distinct.size(), 10u);
      // the smallest and largest core count and clock of every domain are among 10 modes, whatever the seed
      auto has = [&](auto pred) { return std::any_of(p.rows.begin(), p.rows.end(), [&](const auto& row) { return pred(row.mode); }); };
      EXPECT_TRUE(has([&](const auto& m) { return m.cores == lo.cores; })) << grid << " seed " << seed;
      EXPECT_TRUE(has([&](const auto& m) { return m.cores == hi.cores; })) << grid << " seed " << seed;
      EXPECT_TRUE(has([&](const auto& m) { return m.cpu_mhz == lo.cpu_mhz; })) << grid << " seed " << seed;
      EXPECT_TRUE(has([&](const auto& m) { return m.cpu_mhz == hi.cpu_mhz; })) << grid << " seed " << seed;
      EXPECT_TRUE(has([&](const auto& m) { return m.gpu_mhz == lo.gpu_mhz; })) << grid << " seed " << seed;
      EXPECT_TRUE(has([&](const auto& m) { return m.gpu_mhz == hi.gpu_mhz; })) << grid << " seed " << seed;
      EXPECT_TRUE(has([&](const auto& m) { return m.emc_mhz == lo.emc_mhz; })) << grid << " seed " << seed;
      EXPECT_TRUE(has([&](const auto& m) { return m.emc_mhz == hi.emc_mhz; })) << grid << " seed " << seed;
      // 2 cores at the lowest CPU clock (where workloads turn CPU-bound) is covered
      EXPECT_TRUE(has([&](const auto& m) { return m.cores == lo.cores && m.cpu_mhz == lo.cpu_mhz; }))
          << grid << " seed " << seed;
      if (seed == 1) {  // the same command gives the same file
        std::string again = d.file("again.csv");
        auto r2 = run_cli(args.substr(0, args.find(" --out ")) + " --out '" + again + "'");
        ASSERT_EQ(r2.exit_code, 0) << r2.err;
        EXPECT_EQ(slurp(again), slurp(out));
      }
    }
    EXPECT_NE(slurp(d.file(grid + "1.csv")), slurp(d.file(grid + "2.csv"))) << "the seed changes the design";
  }
}

TEST(CliSpread, DrawsFromTheReplayFilesModesOrACandidatesFile) {
  TempDir d;
  std::string replay = write_synthetic_profile(d.file("synthetic.csv"), 30, kEvery7thPowertrainMode);
  std::string out = d.file("s.csv");
  auto r = run_cli("profile --no-db --device 'replay:" + replay + "' --workload toy --modes spread:12 --out '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto file_keys = keys(modewise::profile::read_profile_csv(replay));
  std::set<std::string> have(file_keys.begin(), file_keys.end());
  auto p = modewise::profile::read_profile_csv(out);
  ASSERT_EQ(p.rows.size(), 12u);
  for (const auto& k : keys(p)) EXPECT_TRUE(have.count(k)) << k;

  // --candidates: a modes file on the emulator
  std::string cands = d.file("cands.csv");
  {
    std::ofstream f(cands);
    f << "cores,cpu_mhz,gpu_mhz,emc_mhz\n";
    for (size_t i = 0; i < 8; ++i) f << 2 + 2 * (i % 6) << ",1497.6," << (i < 4 ? "522.75" : "1300.5") << ",3199\n";
  }
  r = run_cli("profile --no-db --device sim:orin-agx --workload resnet18 --modes spread:5 --candidates '" + cands +
              "' --minibatches 5 --out '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  p = modewise::profile::read_profile_csv(out);
  ASSERT_EQ(p.rows.size(), 5u);
  for (const auto& row : p.rows) EXPECT_EQ(row.mode.cpu_mhz, 1497.6);
  r = run_cli("profile --no-db --device 'replay:" + replay + "' --workload toy --modes spread:31 --out '" + out + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "N must be between 1 and 30 (the modes replay:")) << r.err;
}

TEST_F(CliAdaptive, EmulatedCampaignIsAnOrdinaryProfileThatTransferAccepts) {
  TempDir d;
  std::string out = d.file("a.csv"), db = d.file("s.db");
  auto r = run_cli("--db '" + db + "' profile --device sim:orin-agx --workload mobilenetv3 --modes adaptive:16 --base '" +
                   base() + "' --adaptive-batch 3 --grid powertrain --minibatches 10 --out '" + out + "' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // progress on stderr: each step and how many of N
  EXPECT_TRUE(contains(r.err, "16 modes to profile (adaptive: 10 first, then 3 per step, chosen from 4368 candidates)"))
      << r.err;
  EXPECT_TRUE(contains(r.err, "adaptive step 1: 10 modes chosen")) << r.err;
  EXPECT_TRUE(contains(r.err, "adaptive step 2: 3 modes chosen in")) << r.err;
  EXPECT_TRUE(contains(r.err, "from 13 measured (of 16)")) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["profiled"], 16);
  EXPECT_EQ(j["design"], "adaptive");
  EXPECT_EQ(j["adaptive_choices"], 3);
  auto p = modewise::profile::read_profile_csv(out);
  ASSERT_EQ(p.rows.size(), 16u);
  auto k = keys(p);
  EXPECT_EQ(std::set<std::string>(k.begin(), k.end()).size(), 16u);
  for (const auto& row : p.rows) EXPECT_EQ(row.provenance, "emulated");
  // the CSV is in the order measured: the store's order (mode_index) and the same rows
  {
    modewise::store::Store s(db, false);
    auto c = s.list_campaigns();
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].modes_total, 16);
    EXPECT_EQ(c[0].status, "done");
    auto stored = s.campaign_rows(c[0].id);
    ASSERT_EQ(stored.size(), 16u);
    for (size_t i = 0; i < 16; ++i) EXPECT_EQ(stored[i].mode.key(), k[i]);
  }
  auto t = run_cli("transfer --base '" + base() + "' --profile '" + out + "' --out '" + d.file("m.model.json") + "'");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_TRUE(fs::exists(d.file("m.model.json")));
  // rerun: complete, nothing profiled again, the same file
  std::string first = slurp(out);
  r = run_cli("--db '" + db + "' profile --device sim:orin-agx --workload mobilenetv3 --modes adaptive:16 --base '" +
              base() + "' --adaptive-batch 3 --grid powertrain --minibatches 10 --out '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "is already complete")) << r.err;
  EXPECT_EQ(slurp(out), first);
}

TEST_F(CliAdaptive, CrossDeviceFromAnOrinModelToXavierAndNano) {
  TempDir d;
  for (std::string dev : {"xavier-agx", "orin-nano"}) {
    std::string out = d.file(dev + ".csv");
    auto r = run_cli("profile --no-db --device sim:" + dev + " --workload resnet50 --modes adaptive:12 --base '" +
                     base() + "' --minibatches 10 --out '" + out + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "cross-device transfer of the orin-agx base model to " + dev)) << r.err;
    auto p = modewise::profile::read_profile_csv(out);
    ASSERT_EQ(p.rows.size(), 12u);
    for (const auto& row : p.rows) EXPECT_EQ(row.device, dev);
    auto t = run_cli("transfer --base '" + base() + "' --profile '" + out + "' --out '" + d.file(dev + ".model.json") + "'");
    ASSERT_EQ(t.exit_code, 0) << t.err;
  }
}

TEST_F(CliAdaptive, KillMinus9InTheMiddleResumesWithTheSameModesAndNoLostOrRepeatedRow) {
  TempDir d;
  std::string replay = write_synthetic_profile(d.file("synthetic.csv"), 40, kEvery7thPowertrainMode);
  std::vector<std::string> common = {"profile", "--device", "replay:" + replay, "--workload", "toy", "--modes",
                                     "adaptive:16", "--base", base(), "--adaptive-batch", "3"};
  auto whole = run_cli(shell_words(common) + " --no-db --out '" + d.file("whole.csv") + "'");
  ASSERT_EQ(whole.exit_code, 0) << whole.err;

  std::string db = d.file("s.db");
  std::vector<std::string> args = {"--db", db};
  args.insert(args.end(), common.begin(), common.end());
  args.insert(args.end(), {"--settle-ms", "120", "--out", d.file("resumed.csv")});
  pid_t pid = spawn_cli_argv(args, d.file("o1"), d.file("e1"));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (stored_results(db) < 11 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << slurp(d.file("e1"));
  const size_t done = stored_results(db);
  ASSERT_GE(done, 11u) << slurp(d.file("e1"));
  ASSERT_LT(done, 16u) << "the campaign finished before the kill";
  std::vector<modewise::store::StoredResult> before;
  std::string id;
  {
    modewise::store::Store s(db, false);
    id = s.list_campaigns().at(0).id;
    EXPECT_EQ(s.list_campaigns().at(0).status, "running");
    before = s.campaign_results(id);
  }

  auto r = run_cli(shell_words(args));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "resuming campaign " + id + ": " + std::to_string(done) + " of 16 modes done")) << r.err;
  EXPECT_FALSE(contains(r.err, "not the modes the chooser picks now")) << r.err;
  // the same modes in the same order, with the same (replayed) numbers, as the uninterrupted campaign
  EXPECT_EQ(slurp(d.file("resumed.csv")), slurp(d.file("whole.csv")));
  modewise::store::Store s(db, false);
  auto after = s.campaign_results(id);
  ASSERT_EQ(after.size(), 16u);
  for (size_t i = 0; i < before.size(); ++i) {  // finished modes were kept, not measured again
    EXPECT_EQ(after[i].result_id, before[i].result_id);
    EXPECT_EQ(after[i].recorded_at, before[i].recorded_at);
  }
  for (size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].mode_index, static_cast<int>(i));
  EXPECT_EQ(s.find_campaign(id).status, "done");
}

TEST_F(CliAdaptive, RunsTheUsersCommandOnTheJetsonBackend) {
  modewise::testing::FakeSysfs fake(modewise::testing::Board::orin_nano_jp6);
  fake.set_rail_mw("VDD_IN", 9000);
  TempDir state, work;
  std::string cmd =
      "i=0; while [ $i -lt 100 ]; do printf 'mb_begin\\nfetch_end\\n'; sleep 0.002; printf 'mb_end\\n'; "
      "i=$((i+1)); done > \"$MODEWISE_PIPE\"";
  std::string out = work.file("j.csv");
  ::setenv("MODEWISE_STATE_DIR", state.path().c_str(), 1);  // where `apply` keeps the board's state to restore
  auto r = run_cli("--sysfs-root '" + fake.root() + "' profile --device jetson --workload mine --modes adaptive:11 --base '" +
                   base() + "' --adaptive-batch 1 --minibatches 3 --warmup-allowance 1 --settle-ms 0 --no-db --out '" +
                   out + "' --command " + shell_quote(cmd));
  ::unsetenv("MODEWISE_STATE_DIR");
  EXPECT_TRUE(fs::is_empty(state.path()));  // restored at the end
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "adaptive step 2: 1 mode chosen")) << r.err;
  auto p = modewise::profile::read_profile_csv(out);
  ASSERT_EQ(p.rows.size(), 11u);
  for (const auto& row : p.rows) {
    EXPECT_EQ(row.device, "orin-nano");
    EXPECT_EQ(row.provenance, "measured");
  }
}

TEST_F(CliAdaptive, BadRequestsAreUsageErrorsBeforeAnythingIsMeasured) {
  TempDir d;
  std::string replay = write_synthetic_profile(d.file("synthetic.csv"), 12, kEvery7thPowertrainMode);
  std::string out = " --out '" + d.file("x.csv") + "'";
  std::string db = "--db '" + d.file("s.db") + "' ";
  struct Case {
    std::string args, message;
  };
  std::vector<Case> cases = {
      {"--device sim:orin-agx --workload resnet18 --modes adaptive:20", "needs --base REF.model.json"},
      {"--device sim:orin-agx --workload resnet18 --modes adaptive:20 --base '" + replay + "'",
       "--base " + replay + ": expected a modewise model file"},
      {"--device sim:orin-agx --workload resnet18 --modes adaptive:20 --base '" + d.file("none.json") + "'",
       "expected a modewise model file"},
      {"--device sim:orin-agx --workload resnet18 --modes adaptive:9 --base '" + base() + "'",
       "N must be between 10 (the fewest modes a transfer accepts) and 18096"},
      {"--device 'replay:" + replay + "' --workload toy --modes adaptive:13 --base '" + base() + "'",
       "N must be between 10 (the fewest modes a transfer accepts) and 12 (the modes replay:"},
      {"--device sim:orin-agx --workload resnet18 --modes adaptive:20 --base '" + base() + "' --shard 0/2",
       "--shard cannot split --modes adaptive:N"},
      {"--device sim:orin-agx --workload resnet18 --modes random:20 --base '" + base() + "'",
       "go with --modes adaptive:N"},
      {"--device sim:orin-agx --workload resnet18 --modes adaptive:20 --base '" + base() + "' --adaptive-initial 5",
       "--adaptive-initial: the first batch must be between 10"},
      {"--device sim:orin-agx --workload resnet18 --modes adaptive:20 --base '" + base() + "' --adaptive-batch 0",
       "--adaptive-batch: expected between 1 and N = 20"},
      {"--device sim:orin-agx --workload resnet18 --modes adaptive:many --base '" + base() + "'",
       "--modes adaptive:N"},
      {"--device sim:orin-agx --workload resnet18 --modes maxn --candidates '" + replay + "'",
       "--candidates goes with --modes all, random:N, spread:N or adaptive:N"},
  };
  for (const auto& c : cases) {
    auto r = run_cli(db + "profile " + c.args + out);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_TRUE(contains(r.err, "modewise: error: ")) << r.err;
    EXPECT_TRUE(contains(r.err, c.message)) << c.args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1 + (contains(r.err, "note:") ? 1 : 0)) << r.err;
  }
  EXPECT_FALSE(fs::exists(d.file("x.csv")));
  if (fs::exists(d.file("s.db"))) {
    modewise::store::Store s(d.file("s.db"), false);
    EXPECT_TRUE(s.list_campaigns().empty());
  }
}
