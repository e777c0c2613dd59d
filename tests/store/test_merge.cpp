// db merge: shards of one campaign from several boards' stores merged into one campaign; missing modes and
// board-to-board conflicts reported; idempotent.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "modewise/device/grid.h"
#include "modewise/profile/campaign.h"
#include "modewise/profile/shard.h"
#include "modewise/store/merge.h"
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
           ("modewise_merge_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// A board whose numbers differ from the fake model by a factor (boards of one model are not identical).
class BoardBackend : public test::FakeBackend {
 public:
  explicit BoardBackend(double time_factor) : factor_(time_factor) {}
  device::RunTrace run(const device::WorkloadRequest& w, int minibatches) override {
    auto t = FakeBackend::run(w, minibatches);
    for (auto& m : t.minibatches) m.time_ms *= factor_;
    return t;
  }

 private:
  double factor_;
};

profile::CampaignSpec whole_spec(size_t n_modes) {
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
  return s;
}

// Profiles shard k of n (n = 1: the whole list) on `board` into the store at `path`. stop_after > 0: only that
// many modes (an interrupted shard).
void profile_shard(const std::string& path, int k, int n, const std::string& board, double factor = 1.0,
                   size_t modes = 24, int stop_after = 0) {
  Store db(path);
  store::StoreCampaignLog log(db, std::nullopt, "test");
  BoardBackend backend(factor);
  auto spec = whole_spec(modes);
  profile::apply_shard(spec, {k, n, ""});
  spec.board = board;
  std::atomic<bool> stop{false};
  profile::CampaignOptions o;
  o.stop = &stop;
  profile::CampaignCallbacks cb;
  int done = 0;
  cb.on_row = [&](const profile::ProfileRow&, bool) {
    if (stop_after > 0 && ++done >= stop_after) stop = true;
  };
  profile::run_campaign(backend, spec, log, o, cb);
}

std::vector<profile::ProfileRow> rows_of(const std::string& path, const std::string& id) {
  Store db(path, Store::ReadOnly{});
  return db.campaign_rows(id);
}

std::string csv_of(const std::vector<profile::ProfileRow>& rows) {
  std::ostringstream out;
  profile::write_profile_csv(out, rows);
  return out.str();
}

}  // namespace

TEST(Merge, FourShardsEqualTheUnshardedCampaignRowForRow) {
  TempDir d;
  std::vector<std::string> inputs;
  for (int k = 0; k < 4; ++k) {
    inputs.push_back(d.file("board" + std::to_string(k) + ".db"));
    profile_shard(inputs.back(), k, 4, "board-a");
  }
  profile_shard(d.file("whole.db"), 0, 1, "board-a");
  auto summary = store::merge_stores(d.file("merged.db"), inputs);
  ASSERT_EQ(summary.campaigns.size(), 1u);
  const auto& m = summary.campaigns[0];
  EXPECT_EQ(m.rows_added, 24u);
  EXPECT_EQ(m.modes_expected, 24u);
  EXPECT_EQ(m.modes_measured, 24u);
  EXPECT_EQ(m.modes_missing(), 0u);
  EXPECT_TRUE(m.missing.empty());
  EXPECT_TRUE(m.conflicts.empty());
  EXPECT_EQ(m.sources.size(), 4u);
  EXPECT_EQ(m.info.status, "merged");
  EXPECT_EQ(m.info.modes_total, 24);
  EXPECT_EQ(m.info.provenance, "emulated");

  Store whole(d.file("whole.db"), Store::ReadOnly{});
  auto whole_rows = whole.campaign_rows(whole.list_campaigns().at(0).id);
  auto merged_rows = rows_of(d.file("merged.db"), m.info.id);
  EXPECT_EQ(csv_of(merged_rows), csv_of(whole_rows));  // same modes, same order, same numbers, same board
  // The raw samples travel with the rows.
  Store merged(d.file("merged.db"), Store::ReadOnly{});
  auto stored = merged.campaign_results(m.info.id);
  ASSERT_FALSE(stored.empty());
  EXPECT_GT(stored[0].minibatch_samples, 0);
  EXPECT_GT(stored[0].power_samples, 0);
  auto trace = merged.load_trace(stored[0].result_id);
  EXPECT_EQ(static_cast<int64_t>(trace.power.size()), stored[0].power_samples);
}

TEST(Merge, IsIdempotent) {
  TempDir d;
  profile_shard(d.file("a.db"), 0, 2, "a");
  profile_shard(d.file("b.db"), 1, 2, "b");
  auto first = store::merge_stores(d.file("m.db"), {d.file("a.db"), d.file("b.db")});
  ASSERT_EQ(first.campaigns.size(), 1u);
  EXPECT_EQ(first.campaigns[0].rows_added, 24u);
  // The same shard twice in one merge, and the whole merge again: nothing added.
  auto again = store::merge_stores(d.file("m.db"), {d.file("a.db"), d.file("a.db"), d.file("b.db")});
  ASSERT_EQ(again.campaigns.size(), 1u);
  EXPECT_EQ(again.campaigns[0].info.id, first.campaigns[0].info.id);
  EXPECT_EQ(again.campaigns[0].rows_added, 0u);
  EXPECT_EQ(again.campaigns[0].rows_present, 36u);
  EXPECT_EQ(again.campaigns[0].same_board_repeats, 0u);
  EXPECT_EQ(rows_of(d.file("m.db"), first.campaigns[0].info.id).size(), 24u);
  Store m(d.file("m.db"), Store::ReadOnly{});
  EXPECT_EQ(m.list_campaigns().size(), 1u);
}

TEST(Merge, SameModeOnTwoBoardsIsKeptTwiceAndReportedAsSpread) {
  TempDir d;
  profile_shard(d.file("a.db"), 0, 1, "serial-a", 1.0, 8);
  profile_shard(d.file("b.db"), 0, 1, "serial-b", 1.10, 8);
  auto s = store::merge_stores(d.file("m.db"), {d.file("a.db"), d.file("b.db")});
  ASSERT_EQ(s.campaigns.size(), 1u);
  const auto& m = s.campaigns[0];
  EXPECT_EQ(m.rows_added, 16u);
  EXPECT_EQ(m.modes_measured, 8u);
  EXPECT_EQ(m.boards, (std::vector<std::string>{"serial-a", "serial-b"}));
  ASSERT_EQ(m.conflicts.size(), 8u);
  for (const auto& c : m.conflicts) {
    ASSERT_EQ(c.boards.size(), 2u);
    EXPECT_NEAR(c.time_spread_pct(), 10.0, 0.5) << c.mode.key();  // never averaged: both numbers kept
    EXPECT_NEAR(c.time_ms[1] / c.time_ms[0], 1.10, 0.005);
  }
  auto rows = rows_of(d.file("m.db"), m.info.id);
  ASSERT_EQ(rows.size(), 16u);
  EXPECT_EQ(rows[0].mode, rows[1].mode);  // in mode order, one row per board
  EXPECT_NE(rows[0].board, rows[1].board);
  EXPECT_EQ(store::board_spread(rows).size(), 8u);
}

TEST(Merge, ReportsShardsThatNeverRanAndUnfinishedShards) {
  TempDir d;
  profile_shard(d.file("s0.db"), 0, 4, "a");
  profile_shard(d.file("s1.db"), 1, 4, "b", 1.0, 24, /*stop_after=*/2);  // a pod that died after 2 of 6 modes
  profile_shard(d.file("s2.db"), 2, 4, "c");
  auto s = store::merge_stores(d.file("m.db"), {d.file("s0.db"), d.file("s1.db"), d.file("s2.db")});
  ASSERT_EQ(s.campaigns.size(), 1u);
  const auto& m = s.campaigns[0];
  EXPECT_EQ(m.modes_expected, 24u);
  EXPECT_EQ(m.modes_measured, 6u + 2u + 6u);
  EXPECT_EQ(m.modes_missing(), 10u);
  ASSERT_EQ(m.missing.size(), 2u);
  std::string all = m.missing[0] + "\n" + m.missing[1];
  EXPECT_NE(all.find("shard 3/4 never ran: 6 modes"), std::string::npos) << all;
  EXPECT_NE(all.find("shard 1/4"), std::string::npos) << all;
  EXPECT_NE(all.find("4 modes not profiled"), std::string::npos) << all;

  // The missing shard runs later; merging it in completes the campaign.
  profile_shard(d.file("s3.db"), 3, 4, "d");
  profile_shard(d.file("s1.db"), 1, 4, "b");  // the rerun resumes the died shard
  auto done = store::merge_stores(d.file("m.db"), {d.file("s1.db"), d.file("s3.db")});
  ASSERT_EQ(done.campaigns.size(), 1u);
  EXPECT_EQ(done.campaigns[0].modes_measured, 24u);
  EXPECT_EQ(done.campaigns[0].modes_missing(), 0u) << (done.campaigns[0].missing.empty() ? "" : done.campaigns[0].missing[0]);
  EXPECT_EQ(done.campaigns[0].rows_added, 4u + 6u);
  EXPECT_EQ(done.campaigns[0].rows_present, 2u);
}

TEST(Merge, DifferentSettingsAreDifferentCampaigns) {
  TempDir d;
  profile_shard(d.file("a.db"), 0, 1, "a", 1.0, 4);
  {
    Store db(d.file("b.db"));
    store::StoreCampaignLog log(db, std::nullopt, "test");
    BoardBackend backend(1.0);
    auto spec = whole_spec(4);
    spec.workload.batch_size = 32;
    spec.board = "a";
    profile::run_campaign(backend, spec, log);
  }
  auto s = store::merge_stores(d.file("m.db"), {d.file("a.db"), d.file("b.db")});
  ASSERT_EQ(s.campaigns.size(), 2u);
  EXPECT_NE(s.campaigns[0].info.id, s.campaigns[1].info.id);
}

TEST(Merge, RefusesTheOutputAsAnInputAndMissingInputs) {
  TempDir d;
  profile_shard(d.file("a.db"), 0, 1, "a", 1.0, 4);
  EXPECT_THROW(store::merge_stores(d.file("a.db"), {d.file("a.db")}), UsageError);
  try {
    store::merge_stores(d.file("m.db"), {d.file("nope.db")});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope.db"), std::string::npos) << e.what();
  }
  EXPECT_THROW(store::merge_stores(d.file("m.db"), {}), UsageError);
}

TEST(Merge, ReadsOlderStoresWithoutABoardColumn) {
  TempDir d;
  profile_shard(d.file("old.db"), 0, 1, "x", 1.0, 4);
  {
    sqlite3* db = nullptr;
    sqlite3_open(d.file("old.db").c_str(), &db);
    ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE results DROP COLUMN board", nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto s = store::merge_stores(d.file("m.db"), {d.file("old.db")});
  ASSERT_EQ(s.campaigns.size(), 1u);
  auto rows = rows_of(d.file("m.db"), s.campaigns[0].info.id);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].board, "");
  { Store reopened(d.file("old.db")); }  // a read-write open adds the column back
  EXPECT_EQ(rows_of(d.file("old.db"), Store(d.file("old.db"), Store::ReadOnly{}).list_campaigns()[0].id)[0].board, "");
}

TEST(Merge, BoardColumnRoundTripsThroughCsvAndOlderFilesReadWithoutIt) {
  profile::ProfileRow r;
  r.device = "orin-agx";
  r.mode = {12, 2201.6, 1300.5, 3199};
  r.time_ms = 10;
  r.power_w = 20;
  r.board = "1421020123456";
  auto t = util::parse_csv(csv_of({r}), "mem.csv");
  auto p = profile::parse_profile_csv(t);
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].board, "1421020123456");
  auto old = profile::parse_profile_csv(
      util::parse_csv("cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w\n12,2201.6,1300.5,3199,10,20\n", "old.csv"));
  EXPECT_EQ(old.rows.at(0).board, "");
}
