#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "modewise/device/grid.h"
#include "modewise/store/store.h"
#include "modewise/util/error.h"
#include "profile/fake_backend.h"

using namespace modewise;
using store::Store;

namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static int n = 0;
    path = std::filesystem::temp_directory_path() /
           ("modewise_store_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return file(name);
  }
};

profile::CampaignSpec make_spec(size_t n_modes, uint64_t seed = 1) {
  auto dev = device::builtin_device("orin-agx");
  profile::CampaignSpec s;
  s.backend = "fake:orin-agx";
  s.device = dev.name;
  s.provenance = "emulated";
  s.workload.workload = "resnet50";
  s.workload.task = "train";
  s.workload.batch_size = 16;
  auto all = device::grid_modes(dev, "fulcrum");
  s.modes.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n_modes));
  s.minibatches = 10;
  s.warmup_allowance = 5;
  s.seed = seed;
  return s;
}

// Raw SQL on the store file, for checks the API does not expose.
long long query_int(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  long long v = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}
std::string query_text(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  std::string v;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}
void exec_sql(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Store, CreatesAVersionedWalSchema) {
  TempDir d;
  auto path = d.file("s.db");
  { Store s(path); }
  EXPECT_EQ(query_int(path, "PRAGMA user_version"), store::kSchemaVersion);
  EXPECT_EQ(query_int(path, "PRAGMA application_id"), store::kApplicationId);
  EXPECT_EQ(query_text(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), 6);
  { Store again(path, false); }  // reopening an existing store
}

TEST(Store, RefusesNewerForeignCorruptAndMissingFiles) {
  TempDir d;
  auto newer = d.file("newer.db");
  { Store s(newer); }
  exec_sql(newer, "PRAGMA user_version = 99");
  std::string msg = error_of([&] { Store s(newer); });
  EXPECT_NE(msg.find("schema version 99 is newer"), std::string::npos) << msg;

  auto foreign = d.file("foreign.db");
  exec_sql(foreign, "CREATE TABLE t (x); PRAGMA application_id = 1234");
  msg = error_of([&] { Store s(foreign); });
  EXPECT_NE(msg.find("not a modewise store"), std::string::npos) << msg;
  auto other = d.file("other.db");
  exec_sql(other, "CREATE TABLE t (x)");
  msg = error_of([&] { Store s(other); });
  EXPECT_NE(msg.find("not a modewise store"), std::string::npos) << msg;

  auto corrupt = d.write("corrupt.db", std::string(4096, 'x'));
  msg = error_of([&] { Store s(corrupt); });
  EXPECT_NE(msg.find(corrupt), std::string::npos) << msg;
  EXPECT_NE(msg.find("corrupt"), std::string::npos) << msg;

  msg = error_of([&] { Store s(d.file("absent.db"), false); });
  EXPECT_NE(msg.find("no store"), std::string::npos) << msg;
  EXPECT_FALSE(std::filesystem::exists(d.file("absent.db")));
}

TEST(Store, CampaignResultsAndRawSamplesRoundTrip) {
  TempDir d;
  Store s(d.file("s.db"));
  test::FakeBackend b;
  auto spec = make_spec(3);
  store::StoreCampaignLog log(s, b.spec(), "modewise profile ...");
  auto out = profile::run_campaign(b, spec, log);
  ASSERT_EQ(out.rows.size(), 3u);
  test::FakeBackend replay_of_mode_1;  // the fake is deterministic: the same run again
  replay_of_mode_1.apply(spec.modes[1]);
  auto log_trace_of_mode_1 = replay_of_mode_1.run(spec.workload, spec.minibatches + spec.warmup_allowance);

  auto results = s.campaign_results(spec.id());
  ASSERT_EQ(results.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const auto& r = results[i];
    EXPECT_EQ(r.mode_index, static_cast<int>(i));
    EXPECT_EQ(r.row.mode, spec.modes[i]);
    EXPECT_DOUBLE_EQ(r.row.time_ms, out.rows[i].time_ms);
    EXPECT_DOUBLE_EQ(r.row.power_w, out.rows[i].power_w);
    EXPECT_DOUBLE_EQ(r.row.energy_j, out.rows[i].energy_j);
    EXPECT_DOUBLE_EQ(r.row.time_sd_ms, out.rows[i].time_sd_ms);
    EXPECT_EQ(r.row.samples, 10);
    EXPECT_EQ(r.row.device, "orin-agx");
    EXPECT_EQ(r.row.workload, "resnet50");
    EXPECT_EQ(r.row.task, "train");
    EXPECT_EQ(r.row.batch_size, 16);
    EXPECT_EQ(r.row.provenance, "emulated");
    EXPECT_EQ(r.row.metrics, out.rows[i].metrics);
    EXPECT_EQ(r.warmup_method, "power-jump");
    EXPECT_EQ(r.minibatch_samples, 15);  // every minibatch run, warm-up included
    EXPECT_EQ(r.power_samples, 50 + 15 * 5);
  }
  auto path = d.file("s.db");
  EXPECT_EQ(query_int(path, "SELECT count(*) FROM samples WHERE phase = 'warmup'"), 3 * 3);
  EXPECT_EQ(query_int(path, "SELECT count(*) FROM samples WHERE phase = 'window'"), 3 * 10);
  EXPECT_EQ(query_int(path, "SELECT count(*) FROM samples WHERE phase = 'after'"), 3 * 2);
  EXPECT_EQ(query_int(path, "SELECT count(*) FROM samples WHERE power_w IS NULL"), 0);
  auto trace = s.load_trace(results[1].result_id);
  const auto& original = log_trace_of_mode_1;
  ASSERT_EQ(trace.minibatches.size(), original.minibatches.size());
  for (size_t i = 0; i < trace.minibatches.size(); ++i) {
    EXPECT_DOUBLE_EQ(trace.minibatches[i].start_s, original.minibatches[i].start_s);
    EXPECT_DOUBLE_EQ(trace.minibatches[i].time_ms, original.minibatches[i].time_ms);
    EXPECT_DOUBLE_EQ(trace.minibatches[i].fetch_ms, original.minibatches[i].fetch_ms);
  }
  ASSERT_EQ(trace.power.size(), original.power.size());
  for (size_t i = 0; i < trace.power.size(); ++i) {
    EXPECT_DOUBLE_EQ(trace.power[i].t_s, original.power[i].t_s);
    EXPECT_DOUBLE_EQ(trace.power[i].power_w, original.power[i].power_w);
  }

  auto c = s.find_campaign(spec.id().substr(0, 6));
  EXPECT_EQ(c.id, spec.id());
  EXPECT_EQ(c.status, "done");
  EXPECT_EQ(c.modes_done, 3);
  EXPECT_EQ(c.modes_total, 3);
  EXPECT_EQ(c.kind, "profile");
  EXPECT_EQ(c.source, "modewise profile ...");
  EXPECT_EQ(query_int(path, "SELECT count(*) FROM devices WHERE spec_json LIKE '%Cortex-A78AE%'"), 1);
}

TEST(Store, ResumesAcrossStoreInstancesWithoutRemeasuring) {
  TempDir d;
  auto path = d.file("s.db");
  auto spec = make_spec(6);
  std::vector<int64_t> first_ids;
  {
    Store s(path);
    test::FakeBackend b;
    b.fail_on_run = 4;  // dies on the 4th mode, as if killed
    store::StoreCampaignLog log(s, b.spec(), "cmd");
    EXPECT_THROW(profile::run_campaign(b, spec, log), Error);
    EXPECT_EQ(s.find_campaign(spec.id()).status, "failed");
    for (const auto& r : s.campaign_results(spec.id())) first_ids.push_back(r.result_id);
  }
  ASSERT_EQ(first_ids.size(), 3u);
  Store s(path);  // a new process
  test::FakeBackend b;
  store::StoreCampaignLog log(s, b.spec(), "cmd");
  auto out = profile::run_campaign(b, spec, log);
  EXPECT_EQ(out.resumed, 3u);
  EXPECT_EQ(out.measured, 3u);
  EXPECT_EQ(b.runs, 3);
  auto results = s.campaign_results(spec.id());
  ASSERT_EQ(results.size(), 6u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(results[i].result_id, first_ids[i]);  // untouched rows
  EXPECT_EQ(s.find_campaign(spec.id()).status, "done");
  // a different seed is a different campaign
  auto other = make_spec(6, 2);
  EXPECT_TRUE(s.open_campaign(other, nullptr, "cmd").empty());
  EXPECT_EQ(s.list_campaigns().size(), 2u);
}

TEST(Store, RecordingAModeTwiceKeepsTheFirst) {
  TempDir d;
  Store s(d.file("s.db"));
  auto spec = make_spec(1);
  s.open_campaign(spec, nullptr, "cmd");
  profile::ModeResult r;
  r.row.mode = spec.modes[0];
  r.row.time_ms = 10;
  r.row.power_w = 20;
  r.trace.minibatches.push_back({0, 10, 0, 10});
  r.trace.power.push_back({0, 20});
  r.summary.samples = 1;
  EXPECT_TRUE(s.record_result(spec, r));
  r.row.time_ms = 99;
  EXPECT_FALSE(s.record_result(spec, r));
  auto rows = s.campaign_rows(spec.id());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(rows[0].time_ms, 10);
  EXPECT_TRUE(std::isnan(rows[0].energy_j));
  EXPECT_DOUBLE_EQ(rows[0].energy_or_derived_j(), 0.2);
}

TEST(Store, FindCampaignByPrefixReportsNoneAndAmbiguity) {
  TempDir d;
  Store s(d.file("s.db"));
  std::string msg = error_of([&] { s.find_campaign("abc"); });
  EXPECT_NE(msg.find("no campaign 'abc'"), std::string::npos) << msg;
  // two campaigns: the empty prefix is refused, a one-letter prefix shared by both is ambiguous
  for (uint64_t seed = 1; seed < 40; ++seed) s.open_campaign(make_spec(1, seed), nullptr, "cmd");
  std::map<char, int> first_chars;
  for (const auto& c : s.list_campaigns()) ++first_chars[c.id[0]];
  auto shared = std::find_if(first_chars.begin(), first_chars.end(), [](auto& kv) { return kv.second > 1; });
  ASSERT_NE(shared, first_chars.end());
  msg = error_of([&] { s.find_campaign(std::string(1, shared->first)); });
  EXPECT_NE(msg.find("ambiguous"), std::string::npos) << msg;
  EXPECT_THROW(s.find_campaign(""), UsageError);
}

TEST(Store, ImportGroupsRowsAndReimportReplaces) {
  TempDir d;
  Store s(d.file("s.db"));
  auto f = d.write("p.csv",
                   "device,workload,task,batch_size,cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w,provenance,gpu_util\n"
                   "orin-agx,resnet50,infer,1,12,2201.6,1300.5,3199,10.5,30,measured,0.7\n"
                   "orin-agx,resnet50,infer,4,12,2201.6,1300.5,3199,20.25,40,measured,\n"
                   "orin-agx,resnet50,infer,1,8,1344,930.75,3199,14,22,measured,0.8\n");
  auto sum = s.import_csv(f);
  EXPECT_EQ(sum.rows, 3u);
  EXPECT_FALSE(sum.replaced);
  ASSERT_EQ(sum.campaigns.size(), 2u);
  EXPECT_EQ(sum.campaigns[0].kind, "import");
  EXPECT_EQ(sum.campaigns[0].status, "imported");
  EXPECT_EQ(sum.campaigns[0].batch_size, 1);
  EXPECT_EQ(sum.campaigns[0].modes_done, 2);
  EXPECT_EQ(sum.campaigns[0].provenance, "measured");
  auto rows = s.campaign_rows(sum.campaigns[0].id);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_DOUBLE_EQ(rows[0].time_ms, 10.5);
  EXPECT_DOUBLE_EQ(rows[0].metrics.at("gpu_util"), 0.7);
  EXPECT_EQ(rows[1].mode, (device::PowerMode{8, 1344, 930.75, 3199}));

  auto again = s.import_csv(f);
  EXPECT_TRUE(again.replaced);
  EXPECT_EQ(s.list_campaigns().size(), 2u);
}

TEST(Store, ImportFillsMissingColumnsAndRejectsRepeatsAndBadFiles) {
  TempDir d;
  Store s(d.file("s.db"));
  auto bare = d.write("bare_profile.csv", "cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w\n4,729.6,318.75,665.6,50,9\n");
  auto sum = s.import_csv(bare);
  ASSERT_EQ(sum.campaigns.size(), 1u);
  EXPECT_EQ(sum.campaigns[0].workload, "bare_profile");
  EXPECT_EQ(sum.campaigns[0].device, "unknown");
  store::ImportOptions fill;
  fill.device = "orin-nano";
  fill.workload = "bert";
  fill.task = "train";
  fill.batch_size = 8;
  auto filled = s.import_csv(bare, fill);
  EXPECT_EQ(filled.campaigns[0].device, "orin-nano");
  EXPECT_EQ(filled.campaigns[0].task, "train");
  EXPECT_EQ(filled.campaigns[0].batch_size, 8);

  auto dup = d.write("dup.csv", "cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w\n4,729.6,318.75,665.6,50,9\n"
                                "2,729.6,318.75,665.6,60,8\n4,729.6,318.75,665.6,51,9\n");
  std::string msg = error_of([&] { s.import_csv(dup); });
  EXPECT_NE(msg.find(dup + ":4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("is also on line 2"), std::string::npos) << msg;  // the profile-row validator, up front

  auto bad = d.write("bad.csv", "cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w\n4,729.6,318.75,665.6,50,-9\n");
  msg = error_of([&] { s.import_csv(bad); });
  EXPECT_NE(msg.find(bad + ":2: field 'power_w'"), std::string::npos) << msg;
  size_t before = s.list_campaigns().size();
  EXPECT_EQ(before, 2u);  // failed imports leave nothing behind
}

TEST(Store, ExportedCsvReadsBackAsTheSameProfile) {
  TempDir d;
  Store s(d.file("s.db"));
  test::FakeBackend b;
  auto spec = make_spec(4);
  store::StoreCampaignLog log(s, b.spec(), "cmd");
  auto out = profile::run_campaign(b, spec, log);
  auto csv = d.file("export.csv");
  profile::write_profile_csv_file(csv, s.campaign_rows(spec.id()));
  auto back = profile::read_profile_csv(csv);
  ASSERT_EQ(back.rows.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(back.rows[i].mode, out.rows[i].mode);
    EXPECT_NEAR(back.rows[i].time_ms, out.rows[i].time_ms, 1e-9 * out.rows[i].time_ms);
    EXPECT_NEAR(back.rows[i].power_w, out.rows[i].power_w, 1e-9 * out.rows[i].power_w);
    EXPECT_EQ(back.rows[i].samples, 10);
    EXPECT_EQ(back.rows[i].provenance, "emulated");
    EXPECT_EQ(back.rows[i].workload, "resnet50");
  }
  // and the exported file imports as one campaign with the same rows
  auto sum = s.import_csv(csv);
  ASSERT_EQ(sum.campaigns.size(), 1u);
  EXPECT_EQ(sum.campaigns[0].modes_done, 4);
}
