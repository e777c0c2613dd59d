// --shard K/N: a deterministic, balanced, interleaved split that spans the whole mode list.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "modewise/device/grid.h"
#include "modewise/profile/campaign.h"
#include "modewise/profile/shard.h"
#include "modewise/util/error.h"

using namespace modewise;
using profile::Shard;

namespace {

profile::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

}  // namespace

TEST(Shard, ParsesExplicitIndexZeroBased) {
  Shard s = profile::parse_shard("2/4", env_of({}));
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 4);
  EXPECT_EQ(s.source, "--shard");
  EXPECT_EQ(s.label(), "2/4");
  EXPECT_TRUE(s.sharded());
  EXPECT_FALSE(profile::parse_shard("0/1", env_of({})).sharded());
}

TEST(Shard, RejectsBadArguments) {
  for (const char* bad : {"4/4", "-1/4", "1/0", "a/4", "1/b", "14", "/4", "1/", "auto/0"})
    EXPECT_THROW(profile::parse_shard(bad, env_of({})), UsageError) << bad;
}

TEST(Shard, AutoTakesSlurmArrayTaskId) {
  Shard s = profile::parse_shard("auto/4", env_of({{"SLURM_ARRAY_TASK_ID", "3"}}));
  EXPECT_EQ(s.index, 3);
  EXPECT_EQ(s.source, "SLURM_ARRAY_TASK_ID");
}

TEST(Shard, AutoTakesKubernetesJobCompletionIndex) {
  Shard s = profile::parse_shard("auto/8", env_of({{"JOB_COMPLETION_INDEX", "0"}}));
  EXPECT_EQ(s.index, 0);
  EXPECT_EQ(s.count, 8);
  EXPECT_EQ(s.source, "JOB_COMPLETION_INDEX");
}

TEST(Shard, AutoErrorsNameTheVariableAndTheBase) {
  try {
    profile::parse_shard("auto/4", env_of({{"SLURM_ARRAY_TASK_ID", "4"}}));
    FAIL() << "a 1-based task id 4 of 4 must be refused";
  } catch (const UsageError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("SLURM_ARRAY_TASK_ID=4"), std::string::npos) << m;
    EXPECT_NE(m.find("0-based"), std::string::npos) << m;
    EXPECT_NE(m.find("--array=0-3"), std::string::npos) << m;
  }
  EXPECT_THROW(profile::parse_shard("auto/4", env_of({})), UsageError);
  EXPECT_THROW(profile::parse_shard("auto/4", env_of({{"JOB_COMPLETION_INDEX", "x"}})), UsageError);
  EXPECT_THROW(profile::parse_shard("auto/4", env_of({{"SLURM_ARRAY_TASK_ID", "1"}, {"JOB_COMPLETION_INDEX", "2"}})),
               UsageError);
  // Both set to the same value is fine.
  EXPECT_EQ(profile::parse_shard("auto/4", env_of({{"SLURM_ARRAY_TASK_ID", "1"}, {"JOB_COMPLETION_INDEX", "1"}})).index,
            1);
}

TEST(Shard, PartitionIsDisjointCompleteAndBalanced) {
  for (size_t size : {1u, 5u, 17u, 100u, 4368u})
    for (int n : {1, 2, 3, 4, 7, 16}) {
      if (static_cast<size_t>(n) > size) continue;
      std::vector<int> owner(size, -1);
      size_t smallest = size, largest = 0;
      for (int k = 0; k < n; ++k) {
        auto pos = profile::shard_positions(size, {k, n, ""});
        EXPECT_TRUE(std::is_sorted(pos.begin(), pos.end()));
        smallest = std::min(smallest, pos.size());
        largest = std::max(largest, pos.size());
        for (size_t p : pos) {
          ASSERT_LT(p, size);
          EXPECT_EQ(owner[p], -1) << "position " << p << " in two shards";
          owner[p] = k;
        }
      }
      EXPECT_EQ(std::count(owner.begin(), owner.end(), -1), 0) << size << " modes, " << n << " shards";
      EXPECT_LE(largest - smallest, 1u) << size << " modes, " << n << " shards";
    }
}

TEST(Shard, InterleavedOneModePerBlockOfN) {
  // Every consecutive block of N positions gives each shard exactly one mode: shards span the whole list.
  const size_t size = 1000;
  const int n = 4;
  auto a = profile::shard_assignment(size, n);
  for (size_t b = 0; b + n <= size; b += n) {
    std::set<int> in_block(a.begin() + static_cast<long>(b), a.begin() + static_cast<long>(b + n));
    EXPECT_EQ(in_block.size(), static_cast<size_t>(n)) << "block at " << b;
  }
  // Not a plain i % N (which aliases with a grid axis of N values).
  size_t plain = 0;
  for (size_t i = 0; i < size; ++i) plain += a[i] == static_cast<int>(i % n) ? 1 : 0;
  EXPECT_LT(plain, size / 2);
}

TEST(Shard, DeterministicAcrossCalls) {
  EXPECT_EQ(profile::shard_assignment(4368, 4), profile::shard_assignment(4368, 4));
  // Fixed values: a change of the split would silently split running fleet campaigns differently.
  EXPECT_EQ(profile::shard_assignment(8, 4), (std::vector<int>{0, 2, 1, 3, 3, 0, 1, 2}));
}

TEST(Shard, EveryShardOfThePowertrainGridCoversEveryAxisValue) {
  auto dev = device::builtin_device("orin-agx");
  auto all = device::grid_modes(dev, "powertrain");
  auto axes = device::grid_axes(dev, "powertrain");
  ASSERT_EQ(all.size(), 4368u);
  for (int k = 0; k < 4; ++k) {
    auto modes = profile::shard_modes(all, {k, 4, ""});
    EXPECT_GE(modes.size(), 1092u);
    EXPECT_LE(modes.size(), 1092u);
    std::set<int> cores;
    std::set<double> cpu, gpu, emc;
    for (const auto& m : modes) cores.insert(m.cores), cpu.insert(m.cpu_mhz), gpu.insert(m.gpu_mhz), emc.insert(m.emc_mhz);
    EXPECT_EQ(cores.size(), axes.cores.size()) << "shard " << k;
    EXPECT_EQ(cpu.size(), axes.cpu_mhz.size()) << "shard " << k;
    EXPECT_EQ(gpu.size(), axes.gpu_mhz.size()) << "shard " << k;
    EXPECT_EQ(emc.size(), axes.emc_mhz.size()) << "shard " << k;
  }
}

TEST(Shard, TooFewModesIsAUsageError) {
  auto dev = device::builtin_device("orin-agx");
  std::vector<device::PowerMode> two = {dev.maxn()};
  EXPECT_THROW(profile::shard_modes(two, {1, 2, ""}), UsageError);
}

TEST(Shard, ApplyShardMakesItsOwnCampaignWithWholeListPositions) {
  auto dev = device::builtin_device("orin-agx");
  profile::CampaignSpec spec;
  spec.backend = "sim:orin-agx";
  spec.device = dev.name;
  spec.workload.workload = "resnet18";
  spec.workload.task = "train";
  spec.workload.batch_size = 16;
  auto all = device::grid_modes(dev, "fulcrum");
  spec.modes.assign(all.begin(), all.begin() + 40);
  const std::string whole_id = spec.id();

  std::set<std::string> ids;
  std::set<size_t> places;
  for (int k = 0; k < 4; ++k) {
    profile::CampaignSpec s = spec;
    profile::apply_shard(s, {k, 4, ""});
    EXPECT_EQ(s.modes.size(), 10u);
    ASSERT_EQ(s.positions.size(), s.modes.size());
    for (size_t i = 0; i < s.modes.size(); ++i) {
      EXPECT_EQ(s.modes[i], spec.modes[s.positions[i]]);
      places.insert(s.positions[i]);
    }
    EXPECT_EQ(s.shard, fmt::format("{}/4", k));
    EXPECT_EQ(s.full_modes, 40u);
    EXPECT_NE(s.identity().find(fmt::format("shard={}/4", k)), std::string::npos);
    ids.insert(s.id());
  }
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(places.size(), 40u);
  EXPECT_FALSE(ids.count(whole_id));
  profile::CampaignSpec unsharded = spec;
  profile::apply_shard(unsharded, {0, 1, ""});
  EXPECT_EQ(unsharded.id(), whole_id);  // --shard 0/1 is the plain campaign (and existing stores resume)
}
