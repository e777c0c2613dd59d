// Adaptive choice of the modes to profile for a transfer (`profile --modes adaptive:N --base REF.model.json`).
// Profiling starts from a few space-filling ("spread") modes; after each batch of measurements the base model is
// transferred to the rows measured so far and the next modes are chosen where they help most: where the
// transferred model is least certain and near the predicted Pareto front, where the answer is decided.
//
// next_adaptive_modes is a pure function of its arguments: the same measured rows (in the same order) give the same
// next modes. A killed campaign therefore resumes by calling it again with the rows it has, and a campaign's output
// is the ordinary profile of the modes measured, in the order measured.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "modewise/device/device_spec.h"
#include "modewise/device/power_mode.h"
#include "modewise/predict/model.h"
#include "modewise/predict/train.h"
#include "modewise/profile/profile.h"

namespace modewise::predict {

struct AdaptiveOptions {
  size_t total = 20;    // modes to profile in all (N of adaptive:N)
  size_t initial = 10;  // the first batch, chosen by spread sampling (at least kMinTransferModes)
  size_t batch = 5;     // modes chosen per step after the first batch
  uint64_t seed = 1;    // seeds the spread start and any randomness of the choice
  TransferOptions transfer;  // how each step transfers `base` to the rows measured so far
  // How later steps choose (docs/PREDICT.md, "Adaptive sampling").
  //   imse (gp transfers): greedy integrated variance reduction: each pick is the candidate whose measurement
  //     would most reduce the sum, over `reference` candidates (an even stride of all), of the posterior
  //     variances of log time and log power (power weighted by power_weight), each weighted by the front weight;
  //     picks are taken from a pool of the `pool` most uncertain modes plus an even stride of about `pool` more.
  //   sd: the standard deviation of log time and log power times the front weight, times a diversity factor
  //     1 - exp(-d^2 / (2 r^2)) of the distance d to the nearest measured or already chosen mode (r^2 =
  //     diversity x the median such squared distance over the candidates before the batch). Also the fallback
  //     for transfers without a Gaussian-process correction.
  // Front weight: 1 + front_weight x exp(-gap / front_band), gap = predicted log time above the predicted
  // time/power Pareto front at the same power.
  std::string score = "imse";
  // The first batch: "spread" (the spread design), "prior" (two opposite corners of it, then integrated variance
  // reduction under a prior GP of length prior_length in the spread space) or "random" (for comparison).
  std::string first_batch = "prior";
  double prior_length = 1.5;
  double power_weight = 1.0;
  double front_weight = 1.0;
  double front_band = 0.05;
  double diversity = 0.5;
  // With the gp transfer and prior "auto": this share of each later batch goes where the transfers with the
  // reference as offset (--prior none) and with the bottleneck prior disagree most (front-weighted, diverse).
  double disagreement_share = 0.4;
  size_t pool = 256;
  size_t reference = 1024;
};

// The per-candidate score behind one adaptive step, for tests and diagnostics: the standard deviations of log
// time and log power predicted by the transfer of `base` to `measured` (zeros when the transfer method gives
// none) and the Pareto-front weight. Throws like transfer_model (e.g. fewer than kMinTransferModes modes).
struct AdaptiveScores {
  std::vector<double> time_log_sd, power_log_sd, front_weight;
};
AdaptiveScores adaptive_scores(const PerfModel& base, const device::DeviceSpec& spec,
                               const std::vector<device::PowerMode>& candidates,
                               const std::vector<profile::ProfileRow>& measured, const AdaptiveOptions& options);

// The next modes to profile: the first batch (`initial` spread modes) when `measured` is empty, otherwise up to
// `batch` modes of `candidates` not yet measured; never more than total - measured; empty when `total` modes have
// been measured (or no candidate is left). `spec` is the device being profiled (it may differ from the base
// model's device: a cross-device transfer). Rows of modes outside `candidates` count as measured all the same.
// Throws UsageError for options that cannot work (total or initial 0, total larger than the candidates).
std::vector<device::PowerMode> next_adaptive_modes(const PerfModel& base, const device::DeviceSpec& spec,
                                                   const std::vector<device::PowerMode>& candidates,
                                                   const std::vector<profile::ProfileRow>& measured,
                                                   const AdaptiveOptions& options);

}  // namespace modewise::predict
