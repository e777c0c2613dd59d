// Campaigns whose modes are chosen while they run (run_chosen_campaign, behind `profile --modes adaptive:N`):
// batches, the order measured, resumption in the middle of a batch, a chooser that changed between runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <set>

#include "modewise/device/grid.h"
#include "modewise/profile/campaign.h"
#include "modewise/util/error.h"
#include "profile/campaign_test_util.h"
#include "profile/fake_backend.h"

using namespace modewise;
using device::PowerMode;
using profile::CampaignSpec;
using profile::ProfileRow;
using test::FakeBackend;

namespace {

CampaignSpec chosen_spec(const device::DeviceSpec& dev, size_t planned) {
  CampaignSpec s = test::emulated_spec(dev);
  s.design = "test-chooser initial=4 batch=3";
  s.planned_modes = planned;
  return s;
}

// A chooser that depends on the measured numbers: 4 modes first, then the 3 unmeasured candidates whose time is
// closest to the mean measured time. Records the number of rows of every call.
struct DataChooser {
  std::vector<PowerMode> candidates;
  std::vector<size_t>* calls;
  std::vector<PowerMode> operator()(const std::vector<ProfileRow>& measured) const {
    calls->push_back(measured.size());
    if (measured.empty()) return {candidates.begin(), candidates.begin() + 4};
    double mean = 0;
    for (const auto& r : measured) mean += r.time_ms / static_cast<double>(measured.size());
    std::set<PowerMode> done;
    for (const auto& r : measured) done.insert(r.mode);
    std::vector<PowerMode> left;
    for (const auto& m : candidates)
      if (!done.count(m)) left.push_back(m);
    std::stable_sort(left.begin(), left.end(), [&](const PowerMode& a, const PowerMode& b) {
      return std::abs(FakeBackend::steady_time_ms(a) - mean) < std::abs(FakeBackend::steady_time_ms(b) - mean);
    });
    left.resize(std::min<size_t>(3, left.size()));
    return left;
  }
};

std::vector<PowerMode> modes_of(const std::vector<ProfileRow>& rows) {
  std::vector<PowerMode> m;
  for (const auto& r : rows) m.push_back(r.mode);
  return m;
}

}  // namespace

TEST(ChosenCampaign, MeasuresBatchesInTheOrderChosenUntilPlanned) {
  FakeBackend b;
  auto spec = chosen_spec(b.spec(), 9);
  std::vector<size_t> calls;
  DataChooser choose{test::first_fulcrum_modes(b.spec(), 30), &calls};
  profile::MemoryCampaignLog log;
  profile::CampaignCallbacks cb;
  std::vector<std::pair<size_t, size_t>> steps;  // (step, done)
  cb.on_choose = [&](size_t step, size_t done, size_t total) {
    EXPECT_EQ(total, 9u);
    steps.emplace_back(step, done);
  };
  auto out = profile::run_chosen_campaign(b, spec, log, choose, {}, cb);
  EXPECT_FALSE(out.stopped);
  EXPECT_EQ(out.total, 9u);
  EXPECT_EQ(out.measured, 9u);
  EXPECT_EQ(out.choices, 3u);
  EXPECT_EQ(calls, (std::vector<size_t>{0, 4, 7}));  // 4, then 3, then 3 of which 2 fit
  EXPECT_EQ(steps, (std::vector<std::pair<size_t, size_t>>{{1, 0}, {2, 4}, {3, 7}}));
  ASSERT_EQ(out.rows.size(), 9u);
  EXPECT_EQ(modes_of(out.rows), b.applied);  // rows in the order measured
  EXPECT_EQ(std::set<PowerMode>(b.applied.begin(), b.applied.end()).size(), 9u);
  for (size_t i = 0; i < log.results.size(); ++i) EXPECT_EQ(log.results[i].mode_index, i);
  for (const auto& r : out.rows) EXPECT_NEAR(r.time_ms, FakeBackend::steady_time_ms(r.mode), 1e-9);
  EXPECT_EQ(log.status, "done");
}

TEST(ChosenCampaign, ResumedInTheMiddleOfABatchMeasuresWhatAnUninterruptedRunMeasures) {
  FakeBackend whole_backend;
  auto spec = chosen_spec(whole_backend.spec(), 10);
  const auto candidates = test::first_fulcrum_modes(whole_backend.spec(), 30);
  std::vector<size_t> calls;
  profile::MemoryCampaignLog whole_log;
  auto whole = profile::run_chosen_campaign(whole_backend, spec, whole_log, DataChooser{candidates, &calls});
  ASSERT_EQ(whole.rows.size(), 10u);

  // Stop after 6 rows: inside the second batch (rows 4..6 of 4..7).
  FakeBackend b1;
  profile::MemoryCampaignLog log;
  test::StopAfterRows stop_after(log, 6);
  calls.clear();
  auto first = profile::run_chosen_campaign(b1, spec, log, DataChooser{candidates, &calls}, stop_after.opt,
                                           stop_after.cb);
  EXPECT_TRUE(first.stopped);
  EXPECT_EQ(first.measured, 6u);
  EXPECT_EQ(log.status, "stopped");

  FakeBackend b2;
  stop_after.stop = false;
  calls.clear();
  std::vector<std::string> notes;
  profile::CampaignCallbacks cb2;
  cb2.on_note = [&](const std::string& n) { notes.push_back(n); };
  auto second = profile::run_chosen_campaign(b2, spec, log, DataChooser{candidates, &calls}, stop_after.opt, cb2);
  EXPECT_TRUE(notes.empty()) << notes.front();
  EXPECT_FALSE(second.stopped);
  EXPECT_EQ(second.resumed, 6u);
  EXPECT_EQ(second.measured, 4u);
  EXPECT_EQ(calls, (std::vector<size_t>{0, 4, 7}));  // two replayed choices, then the third batch
  const auto order = modes_of(whole.rows);
  EXPECT_EQ(modes_of(second.rows), order);
  // only the modes not measured yet were applied: the rest of the interrupted batch first
  EXPECT_EQ(b2.applied, std::vector<PowerMode>(order.begin() + 6, order.end()));
  EXPECT_EQ(log.results.size(), 10u);
}

TEST(ChosenCampaign, AChangedChooserOnResumeLosesAndRepeatsNothing) {
  FakeBackend b1;
  auto spec = chosen_spec(b1.spec(), 8);
  const auto candidates = test::first_fulcrum_modes(b1.spec(), 30);
  std::vector<size_t> calls;
  profile::MemoryCampaignLog log;
  test::StopAfterRows stop_after(log, 5);
  profile::run_chosen_campaign(b1, spec, log, DataChooser{candidates, &calls}, stop_after.opt, stop_after.cb);
  ASSERT_EQ(log.results.size(), 5u);
  const auto stored = modes_of([&] {
    std::vector<ProfileRow> r;
    for (const auto& x : log.results) r.push_back(x.row);
    return r;
  }());

  // Another chooser: the candidates from the end, 2 at a time.
  auto reversed = [&](const std::vector<ProfileRow>& measured) {
    std::set<PowerMode> done;
    for (const auto& r : measured) done.insert(r.mode);
    std::vector<PowerMode> next;
    for (auto it = candidates.rbegin(); it != candidates.rend() && next.size() < 2; ++it)
      if (!done.count(*it)) next.push_back(*it);
    return next;
  };
  FakeBackend b2;
  stop_after.stop = false;
  std::vector<std::string> notes;
  profile::CampaignCallbacks cb2;
  cb2.on_note = [&](const std::string& n) { notes.push_back(n); };
  auto out = profile::run_chosen_campaign(b2, spec, log, reversed, stop_after.opt, cb2);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("not the modes the chooser picks now"), std::string::npos) << notes[0];
  EXPECT_EQ(out.resumed, 5u);
  EXPECT_EQ(out.measured, 3u);
  ASSERT_EQ(out.rows.size(), 8u);
  const auto order = modes_of(out.rows);
  EXPECT_EQ(std::vector<PowerMode>(order.begin(), order.begin() + 5), stored);
  EXPECT_EQ(std::set<PowerMode>(order.begin(), order.end()).size(), 8u);
  EXPECT_EQ(b2.applied, (std::vector<PowerMode>{candidates[29], candidates[28], candidates[27]}));
}

TEST(ChosenCampaign, EndsWhenTheChooserHasNothingMoreAndRejectsRepeats) {
  FakeBackend b;
  auto spec = chosen_spec(b.spec(), 10);
  const auto few = test::first_fulcrum_modes(b.spec(), 3);
  profile::MemoryCampaignLog log;
  auto out = profile::run_chosen_campaign(b, spec, log, [&](const std::vector<ProfileRow>& m) {
    return m.empty() ? few : std::vector<PowerMode>{};
  });
  EXPECT_FALSE(out.stopped);
  EXPECT_EQ(out.rows.size(), 3u);
  EXPECT_EQ(log.status, "done");

  FakeBackend b2;
  profile::MemoryCampaignLog log2;
  auto twice = [&](const std::vector<ProfileRow>&) { return std::vector<PowerMode>{few[0], few[0]}; };
  auto spec2 = spec;
  spec2.design += " repeats";
  EXPECT_THROW(profile::run_chosen_campaign(b2, spec2, log2, twice), Error);
  EXPECT_EQ(log2.status, "failed");
}

TEST(ChosenCampaign, IdentityNamesTheDesignAndThePlannedCount) {
  FakeBackend b;
  auto spec = chosen_spec(b.spec(), 20);
  EXPECT_EQ(spec.mode_count(), 20u);
  auto other = spec;
  other.planned_modes = 21;
  EXPECT_NE(spec.id(), other.id());
  other = spec;
  other.design = "test-chooser initial=4 batch=2";
  EXPECT_NE(spec.id(), other.id());
  EXPECT_NE(spec.identity().find("design=test-chooser initial=4 batch=3\nplanned_modes=20\n"), std::string::npos);
  // a fixed-list campaign's identity is unchanged (no design line): stored campaigns keep their ids
  CampaignSpec fixed = spec;
  fixed.design.clear();
  fixed.planned_modes = 0;
  fixed.modes = test::first_fulcrum_modes(b.spec(), 2);
  EXPECT_EQ(fixed.identity().find("design="), std::string::npos);
  EXPECT_EQ(fixed.mode_count(), 2u);
}
