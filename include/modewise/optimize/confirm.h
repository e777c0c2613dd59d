// Confirming a recommendation by measurement. Predictions of power are good to ~1-2% at 50 profiled modes, which
// near a budget is as large as the margin that decides between two modes: a recommendation from predictions
// alone either breaks the budget now and then or, with a safety margin, gives up speed (docs/PREDICT.md,
// "Recommendation quality"). Confirmation profiles a handful of candidates that the predictions put near the
// top of the budget and decides on the measurements.
#pragma once
#include <functional>
#include <optional>
#include <vector>

#include "modewise/device/power_mode.h"
#include "modewise/optimize/recommend.h"
#include "modewise/predict/model.h"

namespace modewise::optimize {

struct MeasuredPoint {
  double time_ms = 0, power_w = 0;
  double energy_j() const { return time_ms / 1000.0 * power_w; }
};
// Profiles one mode (on a board: apply it and run the workload; in evaluations: a fresh noisy measurement).
using MeasureFn = std::function<MeasuredPoint(const device::PowerMode&)>;

struct ConfirmOptions {
  int measurements = 6;        // candidates profiled (at most); 0 turns confirmation off
  double power_slack = 0.03;   // candidates: predicted power up to this fraction above the budget ...
  double sd_slack = 2.0;       // ... or this many predicted standard deviations of power, if larger
  // A measured power within budget x (1 + tolerance) counts as within the budget (measurement noise of the
  // confirmation runs themselves; 0 = strict).
  double tolerance = 0;
};

struct ConfirmedRecommendation {
  size_t index = 0;  // into the candidate modes
  device::PowerMode mode;
  MeasuredPoint measured;                  // of the chosen mode
  double predicted_time_ms = 0, predicted_power_w = 0;
  double budget_w = 0;
  std::vector<size_t> profiled;            // candidates profiled, in the order they were
  std::vector<MeasuredPoint> measurements;  // one per profiled candidate
};

// The candidates are the modes whose predicted power is within the budget plus the slack, in order of predicted
// objective; the first `measurements` are profiled and the chosen mode is the best measured objective among
// those measured within the budget (ties: lower measured power). When none of them is, up to `measurements`
// more are profiled, in order of increasing predicted power. nullopt when still none is (or no candidate).
std::optional<ConfirmedRecommendation> confirm_recommendation(const std::vector<device::PowerMode>& modes,
                                                              const predict::Predictions& pred, double budget_w,
                                                              Objective objective, const MeasureFn& measure,
                                                              const ConfirmOptions& options = {});

}  // namespace modewise::optimize
