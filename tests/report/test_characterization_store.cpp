// Characterizations in the store (store/characterizations.h) and what the report loads from it: definition round
// trip, rows rebuilt from the member campaigns, resuming across store connections, id lookup.
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "modewise/report/report.h"
#include "modewise/store/characterizations.h"
#include "modewise/store/store.h"
#include "modewise/util/error.h"
#include "report/report_test_util.h"

namespace modewise::store {
namespace {

using ::testing::HasSubstr;

struct TempDb {
  std::filesystem::path dir;
  TempDb() {
    dir = std::filesystem::temp_directory_path() / ("mw_report_store_" + std::to_string(::getpid()) + "_" +
                                                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~TempDb() { std::filesystem::remove_all(dir); }
  std::string path() const { return (dir / "modewise.db").string(); }
};

profile::CharacterizationSpec spec_for(const std::vector<std::string>& sweeps) {
  profile::CharacterizationSpec s;
  s.backend = "sim:orin-agx";
  s.device = "orin-agx";
  s.provenance = "emulated";
  s.workload.workload = "resnet18";
  s.minibatches = 20;
  s.dataset_samples = 3200;
  for (const auto& w : sweeps) profile::parse_sweep(w, report::test::orin(), s.axes);
  if (s.axes.modes.empty()) s.axes.modes = {{"maxn", report::test::orin().maxn()}};
  return s;
}

// One "process": open the store, register, run (optionally stopping after `stop_after` configurations), close.
profile::CharacterizeOutcome run_in_store(const std::string& path, const profile::CharacterizationSpec& spec,
                                          size_t stop_after = 0) {
  Store db(path);
  CharacterizationStore chars(db);
  chars.open(spec, "test");
  StoreCampaignLog log(db, report::test::orin(), "test");
  auto backend = sim::make_sim_backend(report::test::orin(), 9);
  std::atomic<bool> stop{false};
  profile::CharacterizeOptions opts;
  opts.stop = &stop;
  profile::CharacterizeCallbacks cb;
  cb.on_config = [&](size_t done, size_t, const profile::Configuration&, bool) {
    if (stop_after && done >= stop_after) stop = true;
  };
  auto out = profile::run_characterization(*backend, spec, log, opts, cb);
  chars.close(spec.id(), out.stopped ? "stopped" : "done", "");
  return out;
}

TEST(CharacterizationStore, DefinitionRoundTripsThroughJson) {
  auto s = spec_for({"batch-size=8,16", "workers=0,4", "storage=sd,hdd", "mode=maxn,MODE_30W"});
  s.workload.command = "python3 train.py --bs {batch_size}";
  s.container = "img:1";
  s.storage_paths = {{"sd", "/media/sd"}, {"hdd", "/mnt/hdd"}};
  s.epochs = 2;
  auto back = characterization_from_json(characterization_to_json(s), "test");
  EXPECT_EQ(back.identity(), s.identity());
  EXPECT_EQ(back.id(), s.id());
  try {
    characterization_from_json(nlohmann::json{{"backend", "x"}}, "db.sqlite: characterization 1");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("db.sqlite: characterization 1: malformed characterization definition"));
  }
}

TEST(CharacterizationStore, ResumesAcrossConnectionsAndRebuildsRows) {
  TempDb tmp;
  auto spec = spec_for({"workers=0,2", "storage=nvme,hdd", "mode=maxn,MODE_30W"});
  auto first = run_in_store(tmp.path(), spec, 3);
  EXPECT_TRUE(first.stopped);
  EXPECT_EQ(first.measured, 3u);
  {
    Store db(tmp.path(), false);
    CharacterizationStore chars(db);
    auto info = chars.find(spec.id().substr(0, 6));
    ASSERT_TRUE(info);
    EXPECT_EQ(info->status, "stopped");
    EXPECT_EQ(info->configs_total, 8);
    EXPECT_EQ(info->configs_done, 3);
    EXPECT_EQ(chars.rows(spec.id()).size(), 3u);
  }
  auto second = run_in_store(tmp.path(), spec);
  EXPECT_FALSE(second.stopped);
  EXPECT_EQ(second.resumed, 3u);
  EXPECT_EQ(second.measured, 5u);

  Store db(tmp.path(), false);
  CharacterizationStore chars(db);
  auto info = chars.find(spec.id());
  ASSERT_TRUE(info);
  EXPECT_EQ(info->status, "done");
  EXPECT_EQ(info->configs_done, 8);
  EXPECT_EQ(info->provenance, "emulated");
  auto rows = chars.rows(spec.id());
  ASSERT_EQ(rows.size(), 8u);
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].config.index, i);
    EXPECT_EQ(rows[i].config.mode.name, second.rows[i].config.mode.name);
    EXPECT_DOUBLE_EQ(rows[i].row.time_ms, second.rows[i].row.time_ms);
    EXPECT_DOUBLE_EQ(rows[i].metric("stall_fraction"), second.rows[i].metric("stall_fraction"));
    EXPECT_EQ(rows[i].minibatches_per_epoch, 200);
  }
  EXPECT_EQ(chars.member_campaigns().size(), 4u);
  EXPECT_EQ(db.list_campaigns().size(), 4u);
  ASSERT_TRUE(chars.device_spec("orin-agx"));
  EXPECT_EQ(chars.device_spec("orin-agx")->gpu_cuda_cores, 2048);
  EXPECT_FALSE(chars.device_spec("no-such-board"));
}

TEST(CharacterizationStore, ReportLoadsCharacterizationsAndLoneCampaigns) {
  TempDb tmp;
  auto spec = spec_for({"workers=1,4"});
  run_in_store(tmp.path(), spec);
  std::string lone_id;
  {
    Store db(tmp.path());
    StoreCampaignLog log(db, report::test::orin(), "profile");
    auto backend = sim::make_sim_backend(report::test::orin(), 2);
    profile::CampaignSpec c;
    c.backend = backend->name();
    c.device = "orin-agx";
    c.provenance = "emulated";
    c.workload.workload = "resnet50";
    c.modes = {device::named_mode(report::test::orin(), "maxn"), device::named_mode(report::test::orin(), "MODE_30W")};
    c.minibatches = 10;
    profile::run_campaign(*backend, c, log);
    lone_id = c.id();
  }
  Store db(tmp.path(), false);
  auto all = report::load_report_data(db);
  ASSERT_EQ(all.characterizations.size(), 1u);
  ASSERT_EQ(all.campaigns.size(), 1u);  // the characterization's own campaigns are shown in its section
  EXPECT_EQ(all.campaigns[0].info.id, lone_id);
  EXPECT_EQ(all.campaigns[0].rows.size(), 2u);
  ASSERT_TRUE(all.campaigns[0].spec);
  EXPECT_EQ(all.characterizations[0].rows.size(), 2u);

  auto only = report::load_report_data(db, spec.id().substr(0, 8));
  EXPECT_EQ(only.characterizations.size(), 1u);
  EXPECT_TRUE(only.campaigns.empty());
  auto one = report::load_report_data(db, lone_id);
  EXPECT_EQ(one.campaigns.size(), 1u);
  EXPECT_TRUE(one.characterizations.empty());
  EXPECT_THROW(report::load_report_data(db, "zzzz"), Error);

  auto page = report::render_report(all);
  EXPECT_THAT(page.html, HasSubstr("Characterization " + spec.id()));
  EXPECT_THAT(page.html, HasSubstr("Campaign " + lone_id));
}

}  // namespace
}  // namespace modewise::store
