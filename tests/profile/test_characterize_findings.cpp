// The published qualitative findings of the training characterization study (FACTS.md §4), reproduced by
// characterization sweeps on the emulator (sim:orin-agx) through the Backend interface (noisy runs, warm-up
// detection), not the noise-free estimate:
//   1. more DataLoader workers cut fetch stalls until the cores run out;
//   2. slow storage raises stalls for light models far more than for heavy ones;
//   3. larger batches raise throughput and power;
//   4. low-power modes can lower energy per epoch while raising time.
// These numbers are emulated: they check that the emulator and the sweep reproduce the trends, nothing more.
#include <gtest/gtest.h>

#include "modewise/device/grid.h"
#include "modewise/profile/characterize.h"
#include "modewise/sim/emulator.h"
#include "profile/characterize_test_util.h"

namespace modewise::profile {
namespace {

using test::orin;

std::vector<CharacterizationRow> sweep(const std::string& workload, const std::vector<std::string>& sweeps) {
  CharacterizationSpec s = test::sim_spec(workload, sweeps);
  auto backend = sim::make_sim_backend(orin(), 11);
  MemoryCampaignLog log;
  auto out = run_characterization(*backend, s, log);
  EXPECT_EQ(out.rows.size(), out.total);
  for (const auto& r : out.rows) EXPECT_EQ(r.row.provenance, "emulated");
  return out.rows;
}

double stall(const CharacterizationRow& r) { return r.metric("stall_fraction"); }

const CharacterizationRow& at(const std::vector<CharacterizationRow>& rows, int bs, int workers,
                              const std::string& storage, const std::string& mode) {
  for (const auto& r : rows)
    if (r.config.batch_size == bs && r.config.workers == workers && r.config.storage == storage &&
        r.config.mode.name == mode)
      return r;
  throw std::runtime_error("configuration not in the sweep");
}

TEST(CharacterizeFindings, MoreWorkersCutFetchStallsUntilCoresRunOut) {
  // resnet18 at a low CPU clock: decoding and augmenting ImageNet JPEGs needs several cores.
  const std::string few = "4c/1190.4/1300.5/3199", many = "12c/1190.4/1300.5/3199";
  auto rows = sweep("resnet18", {"workers=0,1,2,4,8", "mode=" + few + "," + many});
  for (const auto& mode : {few, many}) {
    double s0 = stall(at(rows, 16, 0, "nvme", mode)), s1 = stall(at(rows, 16, 1, "nvme", mode));
    double s2 = stall(at(rows, 16, 2, "nvme", mode)), s4 = stall(at(rows, 16, 4, "nvme", mode));
    EXPECT_GT(s0, s1 + 0.02) << mode;
    EXPECT_GT(s1, s2 + 0.1) << mode;
    EXPECT_GT(s2, s4 + 0.1) << mode;
    EXPECT_LT(at(rows, 16, 4, "nvme", mode).row.time_ms, at(rows, 16, 0, "nvme", mode).row.time_ms * 0.6) << mode;
    EXPECT_GT(at(rows, 16, 4, "nvme", mode).metric("cpu_util"), at(rows, 16, 0, "nvme", mode).metric("cpu_util"));
  }
  // 4 online cores: the main process needs one, so beyond 3 workers nothing improves and stalls stay high ...
  double few4 = stall(at(rows, 16, 4, "nvme", few)), few8 = stall(at(rows, 16, 8, "nvme", few));
  EXPECT_NEAR(few8, few4, 0.02);
  EXPECT_GT(few8, 0.2);
  // ... while with 12 cores 8 workers keep cutting them, to (almost) nothing.
  double many4 = stall(at(rows, 16, 4, "nvme", many)), many8 = stall(at(rows, 16, 8, "nvme", many));
  EXPECT_LT(many8, many4 - 0.1);
  EXPECT_LT(many8, 0.02);
}

TEST(CharacterizeFindings, SlowStorageHurtsLightModelsFarMoreThanHeavyOnes) {
  // Published setup: batch 16, 4 workers, MAXN. Stall increase from the fastest medium (NVMe) to the worst.
  const std::vector<std::string> media = {"nvme", "ssd", "emmc", "sd", "hdd"};
  auto rise = [&](const std::string& workload) {
    auto rows = sweep(workload, {"storage=nvme,ssd,emmc,sd,hdd"});
    double base = stall(at(rows, 16, 4, "nvme", "maxn")), worst = base, prev = base;
    for (const auto& m : media) {
      double s = stall(at(rows, 16, 4, m, "maxn"));
      EXPECT_GE(s, prev - 0.01) << workload << " " << m << ": slower media should not stall less";
      prev = std::max(prev, s);
      worst = std::max(worst, s);
    }
    return worst - base;
  };
  // Light models (little GPU work per sample) wait on a slow medium; heavy ones hide it behind their compute.
  double light_min = 1, heavy_max = 0;
  for (const char* w : {"lstm", "resnet18", "mobilenetv3"}) {
    double r = rise(w);
    EXPECT_GT(r, 0.3) << w;
    light_min = std::min(light_min, r);
  }
  for (const char* w : {"resnet50", "yolov8n", "bert-base"}) {
    double r = rise(w);
    EXPECT_LT(r, 0.2) << w;
    heavy_max = std::max(heavy_max, r);
  }
  EXPECT_GT(light_min, 3 * heavy_max + 0.05) << "light " << light_min << " vs heavy " << heavy_max;
}

TEST(CharacterizeFindings, LargerBatchesRaiseThroughputAndPower) {
  for (const char* w : {"resnet18", "resnet50", "mobilenetv3"}) {
    auto rows = sweep(w, {"batch-size=4,8,16,32"});
    for (size_t i = 1; i < rows.size(); ++i) {
      EXPECT_GT(rows[i].config.batch_size, rows[i - 1].config.batch_size);
      EXPECT_GT(rows[i].throughput_sps(), rows[i - 1].throughput_sps() * 1.02) << w << " batch " << rows[i].config.batch_size;
      EXPECT_GT(rows[i].row.power_w, rows[i - 1].row.power_w) << w << " batch " << rows[i].config.batch_size;
    }
  }
}

TEST(CharacterizeFindings, LowPowerModesCanLowerEnergyPerEpochWhileRaisingTime) {
  for (const char* w : {"resnet18", "resnet50", "mobilenetv3", "yolov8n", "bert-base"}) {
    auto rows = sweep(w, {"mode=maxn,MODE_50W,MODE_30W,MODE_15W"});
    const auto& maxn = at(rows, 16, 4, "nvme", "maxn");
    for (const char* low : {"MODE_50W", "MODE_30W", "MODE_15W"}) {
      const auto& r = at(rows, 16, 4, "nvme", low);
      EXPECT_GT(r.epoch_time_s(), maxn.epoch_time_s() * 1.05) << w << " " << low;
      EXPECT_LT(r.row.power_w, maxn.row.power_w) << w << " " << low;
    }
    const auto& m30 = at(rows, 16, 4, "nvme", "MODE_30W");
    EXPECT_LT(m30.epoch_energy_j(), maxn.epoch_energy_j() * 0.9) << w;
    EXPECT_LT(m30.energy_per_sample_j(), maxn.energy_per_sample_j()) << w;
  }
}

}  // namespace
}  // namespace modewise::profile
