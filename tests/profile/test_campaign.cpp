#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "modewise/device/grid.h"
#include "modewise/profile/campaign.h"
#include "modewise/util/error.h"
#include "control/fake_sysfs.h"
#include "profile/campaign_test_util.h"
#include "profile/fake_backend.h"

using namespace modewise;
using profile::CampaignSpec;
using profile::run_campaign;
using test::FakeBackend;

namespace {

CampaignSpec make_spec(const device::DeviceSpec& dev, size_t n_modes) {
  CampaignSpec s = test::emulated_spec(dev);
  s.modes = test::first_fulcrum_modes(dev, n_modes);
  return s;
}

}  // namespace

TEST(Campaign, MeasuresEveryModeInOrderWithTheSummaryOfEachRun) {
  FakeBackend b;
  auto spec = make_spec(b.spec(), 6);
  profile::MemoryCampaignLog log;
  std::vector<device::PowerMode> reported;
  profile::CampaignCallbacks cb;
  cb.on_row = [&](const profile::ProfileRow& r, bool resumed) {
    EXPECT_FALSE(resumed);
    reported.push_back(r.mode);
  };
  auto out = run_campaign(b, spec, log, {}, cb);
  EXPECT_EQ(out.total, 6u);
  EXPECT_EQ(out.measured, 6u);
  EXPECT_EQ(out.resumed, 0u);
  EXPECT_FALSE(out.stopped);
  EXPECT_EQ(log.status, "done");
  EXPECT_EQ(b.runs, 6);
  EXPECT_EQ(reported, spec.modes);
  ASSERT_EQ(out.rows.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    const auto& r = out.rows[i];
    EXPECT_EQ(r.mode, spec.modes[i]);
    EXPECT_NEAR(r.time_ms, FakeBackend::steady_time_ms(r.mode), 1e-9);
    EXPECT_NEAR(r.power_w, FakeBackend::steady_power_w(r.mode), 1e-9);
    EXPECT_EQ(r.samples, 20);
    EXPECT_EQ(r.metrics.at("warmup_minibatches"), FakeBackend::kWarmupMinibatches);
    EXPECT_NEAR(r.metrics.at("stall_fraction"), 0.1, 1e-12);
    EXPECT_EQ(r.device, "orin-agx");
    EXPECT_EQ(r.workload, "resnet50");
    EXPECT_EQ(r.task, "train");
    EXPECT_EQ(r.batch_size, 16);
    EXPECT_EQ(r.provenance, "emulated");
  }
  EXPECT_EQ(b.last_workload.workload, "resnet50");
  ASSERT_EQ(log.results.size(), 6u);
  EXPECT_EQ(log.results[0].trace.minibatches.size(), 25u);  // minibatches + warm-up allowance
}

TEST(Campaign, ResumesWithoutRemeasuringFinishedModes) {
  FakeBackend b;
  auto spec = make_spec(b.spec(), 8);
  profile::MemoryCampaignLog log;
  std::atomic<bool> stop{false};
  profile::CampaignOptions opt;
  opt.stop = &stop;
  profile::CampaignCallbacks cb;
  int rows = 0;
  cb.on_row = [&](const profile::ProfileRow&, bool) {
    if (++rows == 3) stop = true;  // as SIGINT would: the current mode finishes, then the campaign stops
  };
  auto first = run_campaign(b, spec, log, opt, cb);
  EXPECT_TRUE(first.stopped);
  EXPECT_EQ(first.measured, 3u);
  EXPECT_EQ(log.status, "stopped");

  FakeBackend b2;
  stop = false;
  std::vector<bool> resumed_flags;
  profile::CampaignCallbacks cb2;
  size_t started_done = 99;
  cb2.on_start = [&](const std::string& id, size_t done, size_t total) {
    EXPECT_EQ(id, spec.id());
    EXPECT_EQ(total, 8u);
    started_done = done;
  };
  cb2.on_row = [&](const profile::ProfileRow&, bool resumed) { resumed_flags.push_back(resumed); };
  auto second = run_campaign(b2, spec, log, opt, cb2);
  EXPECT_EQ(started_done, 3u);
  EXPECT_EQ(second.resumed, 3u);
  EXPECT_EQ(second.measured, 5u);
  EXPECT_FALSE(second.stopped);
  EXPECT_EQ(b2.runs, 5);
  // only the unfinished modes were applied, in order
  EXPECT_EQ(b2.applied, std::vector<device::PowerMode>(spec.modes.begin() + 3, spec.modes.end()));
  EXPECT_EQ(resumed_flags, (std::vector<bool>{true, true, true, false, false, false, false, false}));
  ASSERT_EQ(second.rows.size(), 8u);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(second.rows[i].mode, spec.modes[i]);
}

TEST(Campaign, FailureClosesTheLogAndRunsTheExitHookOnce) {
  FakeBackend b;
  b.fail_on_run = 3;
  auto spec = make_spec(b.spec(), 5);
  profile::MemoryCampaignLog log;
  int exits = 0;
  profile::CampaignCallbacks cb;
  cb.on_exit = [&] { ++exits; };
  EXPECT_THROW(run_campaign(b, spec, log, {}, cb), Error);
  EXPECT_EQ(exits, 1);
  EXPECT_EQ(log.status, "failed");
  EXPECT_EQ(log.results.size(), 2u);  // the two finished modes are kept

  exits = 0;
  FakeBackend ok;
  auto out = run_campaign(ok, spec, log, {}, cb);
  EXPECT_EQ(exits, 1);
  EXPECT_EQ(out.resumed, 2u);
  EXPECT_EQ(ok.runs, 3);
}

TEST(Campaign, SettleWaitIsInterruptedByStop) {
  FakeBackend b;
  auto spec = make_spec(b.spec(), 3);
  profile::MemoryCampaignLog log;
  std::atomic<bool> stop{true};
  profile::CampaignOptions opt;
  opt.stop = &stop;
  opt.settle_ms = 60000;
  auto out = run_campaign(b, spec, log, opt);  // stop is already set: nothing is measured, no minute-long wait
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(b.runs, 0);
}

TEST(Campaign, IdentityCoversWhatDefinesTheCampaign) {
  auto dev = device::builtin_device("orin-agx");
  auto a = make_spec(dev, 4);
  EXPECT_EQ(a.id().size(), 16u);
  EXPECT_EQ(a.id(), make_spec(dev, 4).id());
  std::set<std::string> ids{a.id()};
  auto vary = [&](auto change) {
    auto s = make_spec(dev, 4);
    change(s);
    ids.insert(s.id());
  };
  vary([](CampaignSpec& s) { s.seed = 8; });
  vary([](CampaignSpec& s) { s.minibatches = 41; });
  vary([](CampaignSpec& s) { s.backend = "sim:orin-agx"; });
  vary([](CampaignSpec& s) { s.workload.batch_size = 32; });
  vary([](CampaignSpec& s) { s.workload.task = "infer"; });
  vary([](CampaignSpec& s) { s.workload.workers = 2; });
  vary([](CampaignSpec& s) { s.modes.pop_back(); });
  vary([](CampaignSpec& s) { std::swap(s.modes[0], s.modes[1]); });
  vary([](CampaignSpec& s) { s.fingerprint = "0123456789abcdef"; });
  EXPECT_EQ(ids.size(), 10u);
}

TEST(Campaign, RejectsRepeatedModesAndEmptyLists) {
  FakeBackend b;
  auto spec = make_spec(b.spec(), 3);
  spec.modes.push_back(spec.modes[1]);
  profile::MemoryCampaignLog log;
  try {
    run_campaign(b, spec, log);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("repeats mode"), std::string::npos) << e.what();
  }
  spec.modes.clear();
  EXPECT_THROW(run_campaign(b, spec, log), Error);
  EXPECT_EQ(b.runs, 0);
}

TEST(Campaign, BackendRejectsAModeTheDeviceLacks) {
  FakeBackend b;
  auto spec = make_spec(b.spec(), 1);
  spec.modes[0].gpu_mhz = 999;
  profile::MemoryCampaignLog log;
  try {
    run_campaign(b, spec, log);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gpu_mhz"), std::string::npos) << e.what();
  }
}

// ---- --modes

TEST(ResolveModes, AllNamedAndRandom) {
  auto dev = device::builtin_device("orin-agx");
  EXPECT_EQ(profile::resolve_modes(dev, "all", "fulcrum", 1).size(), 441u);
  auto maxn = profile::resolve_modes(dev, "maxn", "full", 1);
  ASSERT_EQ(maxn.size(), 1u);
  EXPECT_EQ(maxn[0], dev.maxn());
  EXPECT_EQ(profile::resolve_modes(dev, "MODE_30W", "full", 1)[0].cores, 8);

  auto r1 = profile::resolve_modes(dev, "random:50", "powertrain", 3);
  auto r2 = profile::resolve_modes(dev, "random:50", "powertrain", 3);
  auto r3 = profile::resolve_modes(dev, "random:50", "powertrain", 4);
  EXPECT_EQ(r1, r2);
  EXPECT_NE(r1, r3);
  ASSERT_EQ(r1.size(), 50u);
  EXPECT_TRUE(std::is_sorted(r1.begin(), r1.end()));  // grid order (cores, CPU, GPU, EMC)
  EXPECT_EQ(std::set<device::PowerMode>(r1.begin(), r1.end()).size(), 50u);
  for (const auto& m : r1) EXPECT_TRUE(device::has_mode(dev, m));
  EXPECT_EQ(profile::resolve_modes(dev, "random:441", "fulcrum", 1).size(), 441u);
}

TEST(ResolveModes, BadArgumentsAreUsageErrors) {
  auto dev = device::builtin_device("orin-agx");
  EXPECT_THROW(profile::resolve_modes(dev, "random:0", "fulcrum", 1), UsageError);
  EXPECT_THROW(profile::resolve_modes(dev, "random:442", "fulcrum", 1), UsageError);
  EXPECT_THROW(profile::resolve_modes(dev, "random:x", "fulcrum", 1), UsageError);
  EXPECT_THROW(profile::resolve_modes(dev, "all", "nogrid", 1), UsageError);
  try {
    profile::resolve_modes(dev, "turbo", "full", 1);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("random:N"), std::string::npos) << e.what();
  }
}

TEST(ResolveModes, CsvFileModesAreCheckedAgainstTheDeviceWithLineNumbers) {
  modewise::testing::TempDir dir;
  auto good = std::filesystem::path(dir.file("modes.csv"));
  std::ofstream(good) << "cores,cpu_mhz,gpu_mhz,emc_mhz,note\n12,2201.6,1300.5,3199,a\n4,729.6,318.75,665.6,b\n"
                         "12,2201.6,1300.5,3199,dup\n";
  auto modes = profile::resolve_modes(device::builtin_device("orin-agx"), good.string(), "full", 1);
  ASSERT_EQ(modes.size(), 2u);  // the repeat is dropped
  EXPECT_EQ(modes[1].cores, 4);

  auto bad = std::filesystem::path(dir.file("bad.csv"));
  std::ofstream(bad) << "cores,cpu_mhz,gpu_mhz,emc_mhz\n12,2201.6,1300.5,3199\n\n8,1344,1000,3199\n";
  try {
    profile::resolve_modes(device::builtin_device("orin-agx"), bad.string(), "full", 1);
    FAIL();
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(bad.string() + ":4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("gpu_mhz"), std::string::npos) << msg;
  }
  auto malformed = std::filesystem::path(dir.file("malformed.csv"));
  std::ofstream(malformed) << "cores,cpu_mhz,gpu_mhz,emc_mhz\n12,fast,1300.5,3199\n";
  try {
    profile::resolve_modes(device::builtin_device("orin-agx"), malformed.string(), "full", 1);
    FAIL();
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(":2: field 'cpu_mhz'"), std::string::npos) << msg;
  }
  EXPECT_THROW(profile::resolve_modes(device::builtin_device("orin-agx"), dir.file("missing.csv"), "full", 1),
               Error);
}

TEST(SampleModes, WithoutReplacementInInputOrder) {
  std::vector<device::PowerMode> modes;
  for (int c = 1; c <= 100; ++c) modes.push_back({c, 1000, 500, 2000});
  auto s = profile::sample_modes(modes, 30, 42);
  ASSERT_EQ(s.size(), 30u);
  for (size_t i = 1; i < s.size(); ++i) EXPECT_LT(s[i - 1].cores, s[i].cores);
  EXPECT_EQ(profile::sample_modes(modes, 100, 1), modes);
}
