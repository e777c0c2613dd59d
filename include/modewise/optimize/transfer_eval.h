// `modewise eval transfer`: how well a transfer predicts a new workload (or device) and how good the modes it
// recommends are. Fit a reference model on REF once; then for each method, sample count and repeat: sample
// modes of NEW, transfer, predict every mode of NEW and compare with NEW's own numbers (MAPE of time and power),
// and recommend a mode for power budgets spread from NEW's lowest to highest power: the true time of the
// recommended mode against the true optimum within the budget, and budget violations on NEW's true power.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "modewise/device/device_spec.h"
#include "modewise/optimize/confirm.h"
#include "modewise/optimize/recommend.h"
#include "modewise/predict/adaptive_sampling.h"
#include "modewise/predict/train.h"
#include "modewise/profile/profile.h"

namespace modewise::optimize {

struct TransferEvalOptions {
  std::vector<int> samples = {10, 20, 50, 100};
  int repeats = 10;
  std::vector<std::string> methods;  // empty: default_eval_methods()
  predict::FitOptions fit;            // the reference for corrections (gp, residual) and the baselines
  // The reference the fine-tuning methods (powertrain, head, head+ft, freeze, ensemble) start from: by default
  // the published network, as in the paper. Set use_mlp_fit = false to fine-tune `fit`'s network instead.
  predict::FitOptions mlp_fit = predict::published_fit_options();
  bool use_mlp_fit = true;
  predict::TransferOptions transfer;  // method replaced per evaluation
  // Which modes of NEW a transfer gets: random or spread (predict/sampling.h), or adaptive
  // (predict/adaptive_sampling.h: chosen step by step from `fit`'s reference, each "measurement" being NEW's row).
  std::string sampling = "random";
  predict::AdaptiveOptions adaptive;  // adaptive: initial, batch and scoring (total and seed are set per cell)
  int budgets = 25;                   // evenly spaced from NEW's minimum to maximum power, both included
  PowerCaution caution;               // how recommendations allow for power prediction errors
  // Confirmation by measurement (confirm.h; measurements = 0: off). In the evaluation a "measurement" of a mode is
  // NEW's value with fresh noise of the size of its standard error (time_sd_ms, power_sd_w over sqrt(samples)),
  // so the decision does not see the very numbers it is judged on. The caution above is not applied then.
  ConfirmOptions confirm = [] {
    ConfirmOptions c;
    c.measurements = 0;
    return c;
  }();
  // With confirmation: the modes of the transfer's profile (their rows of NEW, as measured) count as measured
  // already (ConfirmOptions::known), as `recommend --confirm` after a profile would use them.
  bool confirm_uses_profile = true;
  // A violation "beyond the noise": true power > budget x (1 + this). Negative: NEW's measurement noise, the
  // median of power_sd_w / power_w over its rows (1% when the file has no power_sd_w).
  double violation_tolerance = -1;
  uint64_t seed = 1;
  std::function<void(size_t done, size_t total, const std::string& what)> progress;
};

const std::vector<std::string>& default_eval_methods();

// Recommendation quality at one budget, over the repeats of one cell.
struct BudgetStat {
  double budget_w = 0;
  double optimum_ms = 0;      // NEW's true optimum within the budget (NAN when no mode fits)
  int recommendations = 0, no_recommendation = 0, violations = 0;
  double mean_gap_pct = 0, max_gap_pct = 0;
  double within_5pct = 0;
};

struct EvalCell {
  std::string method;  // a transfer method, or "nvpmodel-preset" (the best preset within the budget, by true power)
  int samples = 0;     // profiled modes of NEW used (0 for the preset baseline)
  std::vector<double> mape_time_pct, mape_power_pct;  // one per repeat
  double median_mape_time_pct = 0, median_mape_power_pct = 0;
  // Optimization quality over all (budget, repeat) pairs that got a recommendation.
  int recommendations = 0;
  int no_recommendation = 0;  // budgets where nothing was predicted feasible
  double mean_gap_pct = 0;    // true time of the recommended mode vs the true optimum, mean
  double max_gap_pct = 0;
  double within_5pct = 0;     // share of recommendations within 5% of the optimal time
  int violations = 0;         // true power above the budget beyond the tolerance
  int violations_any = 0;     // true power above the budget at all
  double max_violation_pct = 0;
  double mean_transfer_s = 0;
  double mean_sampling_s = 0;  // choosing the modes (adaptive: every step, its transfers included), per repeat
  double mean_confirm_measurements = 0;  // extra modes profiled per recommendation (confirmation)
  std::vector<BudgetStat> per_budget;
};

struct TransferEvalResult {
  std::string ref_source, new_source;
  std::string ref_label, new_label;  // "resnet18 train bs16 on orin-agx"
  std::string provenance;            // of NEW's numbers (emulated / measured / ...)
  size_t ref_modes = 0, new_modes = 0;
  double fit_s = 0;      // the reference
  double mlp_fit_s = 0;  // the published reference for fine-tuning (0 when not fitted)
  std::vector<double> budgets_w;
  std::vector<EvalCell> cells;  // methods x samples, then the preset baseline
  double violation_tolerance = 0;  // as used (after the "noise" default)
  std::string sampling;
};

TransferEvalResult evaluate_transfer(const device::DeviceSpec& ref_spec, const profile::Profile& ref,
                                     const device::DeviceSpec& new_spec, const profile::Profile& fresh,
                                     const TransferEvalOptions& opt);

nlohmann::json to_json(const TransferEvalResult& r);

}  // namespace modewise::optimize
