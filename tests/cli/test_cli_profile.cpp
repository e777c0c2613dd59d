// End-to-end tests of `modewise profile` and `modewise db`: errors and exit codes, resume after SIGKILL and
// SIGINT, store import/export. Campaigns run over replay files generated here (synthetic numbers from a formula,
// not measurements) or the Pagoda fixture (published measurements), paced with --settle-ms where timing matters.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
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
using modewise::test::shell_words;
using modewise::test::spawn_cli_argv;
using modewise::test::slurp;
using modewise::test::write_synthetic_profile;
using modewise::testing::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kPagoda = std::string(MODEWISE_SOURCE_DIR) + "/tests/fixtures/replay/pagoda_maxn_inference.csv";

long long count_results(const std::string& db_path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return 0;
  }
  sqlite3_busy_timeout(db, 1000);
  sqlite3_stmt* st = nullptr;
  long long n = 0;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM results", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

// Wait until the store holds at least n results (or the process ended, or 30 s passed).
bool wait_for_results(pid_t pid, const std::string& db, long long n) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(db) && count_results(db) >= n) return true;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::set<std::string> mode_keys(const modewise::profile::Profile& p) {
  std::set<std::string> keys;
  for (const auto& r : p.rows) keys.insert(r.mode.key());
  return keys;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(CliProfile, KillMinus9ThenRerunResumesWithoutRemeasuring) {
  TempDir d;
  const size_t kModes = 12;
  std::string replay = write_synthetic_profile(d.file("synthetic.csv"), kModes);
  std::string db = d.file("store.db"), out = d.file("out.csv");
  std::vector<std::string> args = {"--db", db, "profile", "--device", "replay:" + replay, "--workload", "toy",
                                   "--task", "train", "--batch-size", "16", "--settle-ms", "120", "--out", out};

  pid_t pid = spawn_cli_argv(args, d.file("o1"), d.file("e1"));
  ASSERT_TRUE(wait_for_results(pid, db, 3)) << slurp(d.file("e1"));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  long long done = count_results(db);
  ASSERT_GE(done, 3);
  ASSERT_LT(done, static_cast<long long>(kModes)) << "the campaign finished before the kill";
  std::vector<modewise::store::StoredResult> before;
  std::string id;
  {
    modewise::store::Store s(db, false);
    auto campaigns = s.list_campaigns();
    ASSERT_EQ(campaigns.size(), 1u);
    id = campaigns[0].id;
    EXPECT_EQ(campaigns[0].status, "running");  // killed: never closed
    before = s.campaign_results(id);
  }

  auto r = run_cli(shell_words(args));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "resuming campaign " + id + ": " + std::to_string(done) + " of 12 modes done")) << r.err;
  EXPECT_TRUE(contains(r.err, "(" + std::to_string(done) + " resumed, " + std::to_string(12 - done) + " profiled now)"))
      << r.err;

  // the final CSV has every mode exactly once
  auto profile = modewise::profile::read_profile_csv(out);
  ASSERT_EQ(profile.rows.size(), kModes);
  EXPECT_EQ(mode_keys(profile), mode_keys(modewise::profile::read_profile_csv(replay)));
  for (const auto& row : profile.rows) EXPECT_EQ(row.provenance, "replayed");

  // finished modes were not measured again: same stored rows, same times
  modewise::store::Store s(db, false);
  auto after = s.campaign_results(id);
  ASSERT_EQ(after.size(), kModes);
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(after[i].result_id, before[i].result_id);
    EXPECT_EQ(after[i].recorded_at, before[i].recorded_at);
  }
  EXPECT_EQ(s.find_campaign(id).status, "done");
}

class CliProfileSignal : public ::testing::TestWithParam<int> {};

TEST_P(CliProfileSignal, StopsAfterTheCurrentModeAndTheRerunFinishes) {
  TempDir d;
  std::string replay = write_synthetic_profile(d.file("synthetic.csv"), 8);
  std::string db = d.file("store.db"), out = d.file("out.csv");
  std::vector<std::string> args = {"--db", db, "profile", "--device", "replay:" + replay, "--workload", "toy",
                                   "--settle-ms", "150", "--out", out};
  pid_t pid = spawn_cli_argv(args, d.file("o1"), d.file("e1"));
  ASSERT_TRUE(wait_for_results(pid, db, 2)) << slurp(d.file("e1"));
  ASSERT_EQ(kill(pid, GetParam()), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  std::string err = slurp(d.file("e1"));
  EXPECT_TRUE(contains(err, "stopping after the current mode")) << err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(err, m, std::regex("stopped after (\\d+) of 8 modes; rerun the same command"))) << err;
  long long done = std::stoll(m[1]);
  EXPECT_EQ(done, count_results(db));
  EXPECT_EQ(modewise::profile::read_profile_csv(out).rows.size(), static_cast<size_t>(done));
  {
    modewise::store::Store s(db, false);
    EXPECT_EQ(s.list_campaigns().at(0).status, "stopped");
  }
  auto r = run_cli(shell_words(args));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "resuming campaign")) << r.err;
  EXPECT_EQ(modewise::profile::read_profile_csv(out).rows.size(), 8u);
}

INSTANTIATE_TEST_SUITE_P(SigintAndSigterm, CliProfileSignal, ::testing::Values(SIGINT, SIGTERM));

TEST(CliProfile, ResumedEmulatedCampaignEqualsAnUninterruptedOne) {
  TempDir d;
  std::vector<std::string> common = {"profile", "--device", "sim:orin-agx", "--workload", "mobilenetv3", "--modes",
                                     "random:6", "--grid", "fulcrum", "--seed", "11", "--minibatches", "15"};
  auto whole = run_cli(shell_words(common) + " --no-db --out '" + d.file("whole.csv") + "'");
  ASSERT_EQ(whole.exit_code, 0) << whole.err;

  std::string db = d.file("s.db");
  std::vector<std::string> args = {"--db", db};
  args.insert(args.end(), common.begin(), common.end());
  args.insert(args.end(), {"--settle-ms", "150", "--out", d.file("resumed.csv")});
  pid_t pid = spawn_cli_argv(args, d.file("o1"), d.file("e1"));
  ASSERT_TRUE(wait_for_results(pid, db, 2)) << slurp(d.file("e1"));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_LT(count_results(db), 6);
  auto r = run_cli(shell_words(args));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "resuming campaign")) << r.err;
  EXPECT_EQ(slurp(d.file("resumed.csv")), slurp(d.file("whole.csv")));
}

TEST(CliProfile, ReplayOfPublishedMeasurementsWithJsonSummary) {
  TempDir d;
  std::string out = d.file("o.csv");
  auto r = run_cli("profile --db '" + d.file("s.db") + "' --device 'replay:" + kPagoda +
                   "' --workload yolov8n --task infer --batch-size 64 --modes maxn --out '" + out + "' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "replayed from a recorded profile")) << r.err;
  EXPECT_FALSE(contains(r.err, "\r")) << "progress bar drawn although stderr is not a terminal";
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["profiled"], 1);
  EXPECT_FALSE(j.contains("measured"));
  EXPECT_EQ(j["provenance"], "replayed (measured)");  // the recording's origin is kept
  auto p = modewise::profile::read_profile_csv(out);
  ASSERT_EQ(p.rows.size(), 1u);
  auto src = modewise::profile::select_rows(modewise::profile::read_profile_csv(kPagoda), "yolov8n", "infer", 64);
  EXPECT_NEAR(p.rows[0].time_ms, src[0].time_ms, 1e-9);
  EXPECT_NEAR(p.rows[0].power_w, src[0].power_w, 1e-9);
}

TEST(CliProfile, CsvToStdoutWithoutAStore) {
  auto r = run_cli("profile --no-db --device 'replay:" + kPagoda + "' --workload lstm --task infer --batch-size 4 --out -");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "device,workload,task,batch_size,cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w")) << r.out;
  EXPECT_TRUE(contains(r.out, "orin-agx,lstm,infer,4,12,2201.6,1300.5,3199,")) << r.out;
  EXPECT_TRUE(contains(r.err, "cannot be resumed")) << r.err;
}

TEST(CliProfile, ModeMissingFromTheReplayFileIsAnErrorBeforeAnythingIsStored) {
  TempDir d;
  std::string db = d.file("s.db");
  auto r = run_cli("profile --db '" + db + "' --device 'replay:" + kPagoda +
                   "' --workload resnet50 --task infer --batch-size 16 --modes MODE_30W --out '" + d.file("o.csv") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, kPagoda + ": no row for power mode 8c/1728/522.75/3199")) << r.err;
  EXPECT_TRUE(contains(r.err, "12c/2201.6/1300.5/3199")) << r.err;  // what it has
  EXPECT_FALSE(fs::exists(db) && modewise::store::Store(db, false).list_campaigns().size() > 0);
}

TEST(CliProfile, UnknownWorkloadsAndDevicesAreClearErrors) {
  TempDir d;
  std::string o = " --out '" + d.file("o.csv") + "' --db '" + d.file("s.db") + "'";
  auto r = run_cli("profile --device 'replay:" + kPagoda + "' --workload resnet18 --task infer" + o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, kPagoda + ": no rows for workload 'resnet18'")) << r.err;
  EXPECT_TRUE(contains(r.err, "resnet50/infer/bs16")) << r.err;

  r = run_cli("profile --device sim:orin-agx --workload alexnet" + o);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "unknown workload 'alexnet'")) << r.err;
  EXPECT_TRUE(contains(r.err, "resnet50")) << r.err;

  r = run_cli("profile --device tx2 --workload resnet50" + o);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "unknown device 'tx2'")) << r.err;
  EXPECT_TRUE(contains(r.err, "orin-agx")) << r.err;

  r = run_cli("profile --device sim:orin-agx --workload resnet50 --task eval" + o);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "--task")) << r.err;

  r = run_cli("profile --device orin-agx --workload resnet50 --modes random:zero" + o);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "random:N")) << r.err;

  r = run_cli("profile --device orin-agx --workload resnet50");  // --out missing
  EXPECT_EQ(r.exit_code, 2);
}

TEST(CliProfile, MalformedCsvFilesNameFileLineAndField) {
  TempDir d;
  std::string bad = d.file("bad.csv");
  std::ofstream(bad) << "cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w\n12,2201.6,1300.5,3199,10,50\n"
                        "12,2201.6,1300.5,2133,ten,40\n";
  std::string o = " --out '" + d.file("o.csv") + "' --db '" + d.file("s.db") + "'";
  auto r = run_cli("profile --device 'replay:" + bad + "' --workload x" + o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, bad + ":3: field 'time_ms': expected a positive number, found 'ten'")) << r.err;

  std::string modes = d.file("modes.csv");
  std::ofstream(modes) << "cores,cpu_mhz,gpu_mhz,emc_mhz\n12,2201.6,1300.5,3199\n13,2201.6,1300.5,3199\n";
  r = run_cli("profile --device sim:orin-agx --workload resnet50 --modes '" + modes + "'" + o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, modes + ":3")) << r.err;
  EXPECT_TRUE(contains(r.err, "field 'cores'")) << r.err;

  r = run_cli("db import '" + bad + "' --db '" + d.file("s.db") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, bad + ":3: field 'time_ms'")) << r.err;
}

TEST(CliProfile, EmulatedCampaignOnTheSimBackend) {
  TempDir d;
  std::string out = d.file("o.csv");
  auto r = run_cli("profile --db '" + d.file("s.db") + "' --device orin-agx --workload resnet18 --modes random:3 "
                   "--grid fulcrum --minibatches 20 --seed 5 --out '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "emulated (sim:orin-agx)")) << r.err;
  EXPECT_TRUE(contains(r.err, "fastest:")) << r.err;
  auto p = modewise::profile::read_profile_csv(out);
  ASSERT_EQ(p.rows.size(), 3u);
  for (const auto& row : p.rows) {
    EXPECT_EQ(row.provenance, "emulated");
    EXPECT_EQ(row.samples, 20);
    EXPECT_GT(row.time_ms, 0);
    EXPECT_GT(row.power_w, 0);
  }
}

TEST(CliDb, ImportListExportRoundTrip) {
  TempDir d;
  std::string db = " --db '" + d.file("s.db") + "'";
  auto r = run_cli("db list" + db);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "no store")) << r.err;

  r = run_cli("db import '" + kPagoda + "'" + db);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "imported 24 rows")) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 24);  // one campaign per workload and batch size

  r = run_cli("db list --json" + db);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto list = nlohmann::json::parse(r.out);
  ASSERT_EQ(list.size(), 24u);
  std::string id;
  for (const auto& c : list)
    if (c["workload"] == "bert-large" && c["batch_size"] == 8) id = c["id"];
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(list[0]["provenance"], "measured");

  std::string out = d.file("export.csv");
  r = run_cli("db export --campaign " + id.substr(0, 8) + " --out '" + out + "'" + db);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto p = modewise::profile::read_profile_csv(out);
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].workload, "bert-large");
  EXPECT_EQ(p.rows[0].batch_size, 8);
  EXPECT_EQ(p.rows[0].provenance, "measured");

  r = run_cli("db export --campaign ffffffffffffffff --out -" + db);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "no campaign 'ffffffffffffffff'")) << r.err;

  r = run_cli("db list" + db);
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.out, "imported")) << r.out;
}

TEST(CliDb, CorruptOrNewerStoreIsAClearError) {
  TempDir d;
  std::string bad = d.file("bad.db");
  std::ofstream(bad) << std::string(8192, 'z');
  auto r = run_cli("db list --db '" + bad + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, bad + ": not a usable modewise store")) << r.err;
  r = run_cli("profile --db '" + bad + "' --device 'replay:" + kPagoda + "' --workload lstm --task infer "
              "--batch-size 1 --out '" + d.file("o.csv") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "not a usable modewise store")) << r.err;
}

TEST(CliProfile, HelpListsTheOptions) {
  auto r = run_cli("profile --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* opt : {"--device", "--workload", "--modes", "--minibatches", "--out", "--settle-ms", "--command"})
    EXPECT_TRUE(contains(r.out, opt)) << opt;
  r = run_cli("db --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.out, "export")) << r.out;
}
