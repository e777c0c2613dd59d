#include "modewise/profile/shard.h"

#include <cstdlib>
#include <numeric>

#include <fmt/format.h>

#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::profile {

std::string Shard::label() const { return fmt::format("{}/{}", index, count); }

namespace {

long long usage_int(std::string_view text, const std::string& context, std::string_view what) {
  try {
    return util::parse_int(text, context, what);
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError("{}", e.what());
  }
}

// splitmix64: a fixed, portable generator for the per-block permutations.
uint64_t next(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t below(uint64_t& state, uint64_t bound) {  // uniform in [0, bound) by rejection
  uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t x;
  do x = next(state);
  while (x >= limit);
  return x % bound;
}

}  // namespace

Shard parse_shard(std::string_view arg, const EnvLookup& env) {
  std::string a = util::trim(arg);
  auto slash = a.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == a.size())
    throw UsageError("--shard '{}': expected K/N (K = 0..N-1) or auto/N (K from SLURM_ARRAY_TASK_ID or "
                     "JOB_COMPLETION_INDEX)", a);
  std::string k_text = util::trim(a.substr(0, slash)), n_text = util::trim(a.substr(slash + 1));
  long long n = usage_int(n_text, fmt::format("--shard '{}': N", a), "a whole number of shards");
  if (n < 1 || n > 1000000) throw UsageError("--shard '{}': N must be between 1 and 1000000, found {}", a, n);
  Shard s;
  s.count = static_cast<int>(n);
  long long k = 0;
  if (util::to_lower(k_text) == "auto") {
    auto lookup = [&](const char* name) -> const char* { return env ? env(name) : std::getenv(name); };
    const char* slurm = lookup("SLURM_ARRAY_TASK_ID");
    const char* k8s = lookup("JOB_COMPLETION_INDEX");
    if (slurm && !*slurm) slurm = nullptr;
    if (k8s && !*k8s) k8s = nullptr;
    if (!slurm && !k8s)
      throw UsageError("--shard auto/{}: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX "
                       "(a Kubernetes Indexed Job) is set; give the shard as --shard K/{} (K = 0..{})",
                       n, n, n - 1);
    if (slurm && k8s && util::trim(slurm) != util::trim(k8s))
      throw UsageError("--shard auto/{}: SLURM_ARRAY_TASK_ID={} and JOB_COMPLETION_INDEX={} disagree; give the shard "
                       "as --shard K/{}", n, slurm, k8s, n);
    s.source = slurm ? "SLURM_ARRAY_TASK_ID" : "JOB_COMPLETION_INDEX";
    const char* value = slurm ? slurm : k8s;
    k = usage_int(value, fmt::format("--shard auto/{}: {}", n, s.source), "a whole-number task index");
    if (k < 0 || k >= n)
      throw UsageError("--shard auto/{}: {}={} is out of range: shard indexes are 0-based, 0..{}{}", n, s.source,
                       util::trim(value), n - 1,
                       slurm ? fmt::format(" (submit the job array with sbatch --array=0-{})", n - 1)
                             : fmt::format(" (the Indexed Job needs completions: {})", n));
  } else {
    s.source = "--shard";
    k = usage_int(k_text, fmt::format("--shard '{}': K", a), "a whole-number shard index");
    if (k < 0 || k >= n)
      throw UsageError("--shard '{}': K must be between 0 and {} (shard indexes are 0-based), found {}", a, n - 1, k);
  }
  s.index = static_cast<int>(k);
  return s;
}

std::vector<int> shard_assignment(size_t size, int count) {
  MW_CHECK(count >= 1);
  std::vector<int> out(size);
  const size_t n = static_cast<size_t>(count);
  std::vector<int> perm(n);
  for (size_t block = 0; block * n < size; ++block) {
    std::iota(perm.begin(), perm.end(), 0);
    uint64_t state = 0x6d6f646577697365ULL ^ (block * 0xD1B54A32D192ED03ULL);  // "modewise", per block
    for (size_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[below(state, i)]);  // Fisher-Yates
    for (size_t j = 0; j < n && block * n + j < size; ++j) out[block * n + j] = perm[j];
  }
  return out;
}

std::vector<size_t> shard_positions(size_t size, const Shard& s) {
  MW_CHECK(s.count >= 1 && s.index >= 0 && s.index < s.count);
  std::vector<size_t> out;
  if (s.count == 1) {
    out.resize(size);
    std::iota(out.begin(), out.end(), size_t{0});
    return out;
  }
  auto assignment = shard_assignment(size, s.count);
  for (size_t i = 0; i < size; ++i)
    if (assignment[i] == s.index) out.push_back(i);
  return out;
}

std::vector<device::PowerMode> shard_modes(const std::vector<device::PowerMode>& modes, const Shard& s) {
  if (static_cast<size_t>(s.count) > modes.size())
    throw UsageError("--shard {}: the campaign has {} mode{}, fewer than the {} shards (every shard needs at least "
                     "one mode)", s.label(), modes.size(), modes.size() == 1 ? "" : "s", s.count);
  std::vector<device::PowerMode> out;
  for (size_t i : shard_positions(modes.size(), s)) out.push_back(modes[i]);
  return out;
}

void apply_shard(CampaignSpec& spec, const Shard& s) {
  if (!s.sharded()) return;
  std::vector<device::PowerMode> shard = shard_modes(spec.modes, s);  // UsageError when too few modes
  std::string keys;
  for (size_t i = 0; i < spec.modes.size(); ++i) {
    if (i) keys += ',';
    keys += spec.modes[i].key();
  }
  spec.full_modes = spec.modes.size();
  spec.full_list = fnv1a_hex(keys);
  spec.positions = shard_positions(spec.modes.size(), s);
  spec.shard = s.label();
  spec.modes = std::move(shard);
}

}  // namespace modewise::profile
