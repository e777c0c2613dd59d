// Mode lists chosen by the sampling designs of predict, for `profile` and `run` (predict sits above the profile
// module, so the designs are wired here, in the CLI):
//   spread:N    a seeded space-filling design over the candidate modes (predict::choose_modes "spread"): a fixed
//               list, profiled as an ordinary campaign;
//   adaptive:N  modes chosen while profiling (predict::next_adaptive_modes) from a base model, run as a chosen
//               campaign (profile::run_chosen_campaign), which resumes after a kill like any campaign.
// docs/PROFILING.md, "Which modes".
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "modewise/device/device_spec.h"
#include "modewise/device/power_mode.h"
#include "modewise/predict/adaptive_sampling.h"
#include "modewise/predict/model.h"
#include "modewise/profile/campaign.h"

namespace modewise::cli {

// "random:N", "spread:N", "adaptive:N" (case-insensitive): the kind and N; any other --modes argument: kind "".
// Throws UsageError when N is not a whole number.
struct ModeDesign {
  std::string kind;
  long long n = 0;
};
ModeDesign parse_mode_design(const std::string& modes_arg);

// N modes of `candidates` by "random" or "spread" (seeded, reproducible, in candidate order). `what` names the
// candidates in the error when N is out of range, e.g. "the size of grid 'full' of orin-agx".
std::vector<device::PowerMode> design_modes(const std::vector<device::PowerMode>& candidates, const ModeDesign& d,
                                            uint64_t seed, const std::string& what);

// Everything an adaptive campaign needs, checked up front (UsageError): the base model file, N between
// predict::kMinTransferModes and the number of candidates, the first batch and the batch size.
struct AdaptivePlan {
  predict::PerfModel base;
  predict::AdaptiveOptions options;
  std::vector<device::PowerMode> candidates;
  std::string design;  // CampaignSpec::design: the method, N, batches, transfer, hashes of base and candidates
};
AdaptivePlan plan_adaptive(const std::string& base_path, long long n, long long initial, long long batch,
                           uint64_t seed, std::vector<device::PowerMode> candidates, const std::string& what);
// The same from a model in memory (`run`); base_id identifies it in the campaign's design (e.g. a hash of how it
// was fitted), so a rerun with the same model finds the same campaign.
AdaptivePlan plan_adaptive(predict::PerfModel base, const std::string& base_id, long long n, long long initial,
                           long long batch, uint64_t seed, std::vector<device::PowerMode> candidates,
                           const std::string& what);

// The chooser of a chosen campaign: predict::next_adaptive_modes(base, spec, candidates, measured, options).
profile::ChooseModesFn adaptive_chooser(const AdaptivePlan& plan, const device::DeviceSpec& spec);

// Callbacks that report each step on stderr ("adaptive step 2: 5 modes chosen in 0.31 s from 10 measured (of 20)")
// and a changed chooser on resume as a warning; added to `cb` (other callbacks kept).
void report_adaptive_steps(profile::CampaignCallbacks& cb, const std::string& label);

}  // namespace modewise::cli
