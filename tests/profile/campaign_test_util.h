// Shared set-up of the campaign tests (test_campaign.cpp, test_campaign_chosen.cpp): an emulated campaign spec on a
// FakeBackend device, the first modes of its fulcrum grid, and options that stop a campaign after N stored rows.
#pragma once
#include <atomic>
#include <cstddef>
#include <vector>

#include "modewise/device/grid.h"
#include "modewise/profile/campaign.h"

namespace modewise::test {

// resnet50 training, batch 16, 20 minibatches, warm-up allowance 5, seed 7, provenance "emulated"; no modes yet.
inline profile::CampaignSpec emulated_spec(const device::DeviceSpec& dev) {
  profile::CampaignSpec s;
  s.backend = "fake:" + dev.name;
  s.device = dev.name;
  s.provenance = "emulated";
  s.workload.workload = "resnet50";
  s.workload.task = "train";
  s.workload.batch_size = 16;
  s.minibatches = 20;
  s.warmup_allowance = 5;
  s.seed = 7;
  return s;
}

// The first n modes of the device's fulcrum grid.
inline std::vector<device::PowerMode> first_fulcrum_modes(const device::DeviceSpec& dev, size_t n) {
  auto all = device::grid_modes(dev, "fulcrum");
  return {all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n)};
}

// Options and callbacks that set the stop flag (as SIGINT would) once `log` holds `rows` results: the current mode
// finishes, then the campaign stops. Clear `stop` to run the campaign on.
struct StopAfterRows {
  std::atomic<bool> stop{false};
  profile::CampaignOptions opt;
  profile::CampaignCallbacks cb;
  StopAfterRows(const profile::MemoryCampaignLog& log, size_t rows) {
    opt.stop = &stop;
    cb.on_row = [this, &log, rows](const profile::ProfileRow&, bool) {
      if (log.results.size() == rows) stop = true;
    };
  }
  StopAfterRows(const StopAfterRows&) = delete;
  StopAfterRows& operator=(const StopAfterRows&) = delete;
};

}  // namespace modewise::test
