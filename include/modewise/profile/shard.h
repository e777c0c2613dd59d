// Sharding one campaign over N boards (docs/FLEET.md): `--shard K/N` keeps the K-th of N balanced, interleaved
// parts of the campaign's mode list, so N boards under a cluster scheduler (a Slurm job array, a Kubernetes
// Indexed Job) each profile one part and `db merge` puts the parts back together.
//
// K is 0-based: 0 <= K < N. `--shard auto/N` takes K from the environment:
//   SLURM_ARRAY_TASK_ID   Slurm job arrays: the task id as given by `sbatch --array`; submit `--array=0-<N-1>`
//                         (no offset is subtracted: a resubmission of one failed task, `--array=2`, stays shard 2)
//   JOB_COMPLETION_INDEX  Kubernetes Indexed Jobs: 0-based, 0 .. completions-1
// Both set to different values, neither set, or a value outside 0..N-1 is a UsageError naming the variable.
//
// The split: the list is cut into consecutive blocks of N modes; each block gives exactly one mode to each shard
// (the last, partial block one mode to some of them), the shard of each position within a block drawn by a fixed
// permutation per block. So shard sizes differ by at most one, every shard spans the whole list (a partial fleet
// run is still a sample of the whole space), and no grid axis aliases with N (with a plain i % N an axis of N
// values would give each shard a single value of it). Deterministic: the same list and N give the same split on
// every platform (no seed involved). Each shard keeps the modes in list order.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "modewise/device/power_mode.h"
#include "modewise/profile/campaign.h"

namespace modewise::profile {

struct Shard {
  int index = 0;       // K, 0-based
  int count = 1;       // N; 1 = the whole list (unsharded)
  std::string source;  // where K came from: "--shard", "SLURM_ARRAY_TASK_ID" or "JOB_COMPLETION_INDEX"

  bool sharded() const { return count > 1; }
  std::string label() const;  // "K/N"
};

// Reads an environment variable (nullptr when unset); std::getenv by default, replaceable in tests.
using EnvLookup = std::function<const char*(const char*)>;

// "K/N" or "auto/N" (the --shard argument). Throws UsageError naming the argument or the variable and what was
// expected.
Shard parse_shard(std::string_view arg, const EnvLookup& env = {});

// The shard of each position of a list of `size` modes split `count` ways (values 0..count-1).
std::vector<int> shard_assignment(size_t size, int count);

// The positions (into `modes`) of shard s, in list order.
std::vector<size_t> shard_positions(size_t size, const Shard& s);
// The modes of shard s, in list order. Throws UsageError when the list has fewer modes than shards.
std::vector<device::PowerMode> shard_modes(const std::vector<device::PowerMode>& modes, const Shard& s);

// Make `spec` (whose `modes` is the whole list) shard s of it: keeps the shard's modes and sets shard, full_modes,
// full_list and positions (campaign.h), so the shard is its own resumable campaign whose results carry their
// place in the whole list. Does nothing for an unsharded s (count 1): the campaign stays the plain one.
void apply_shard(CampaignSpec& spec, const Shard& s);

}  // namespace modewise::profile
