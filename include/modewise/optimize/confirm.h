// Confirming a recommendation by measurement. Predictions of power are good to ~1-2% at 50 profiled modes, which
// near a budget is as large as the margin that decides between two modes: a recommendation from predictions
// alone either breaks the budget now and then or, with a safety margin, gives up speed (docs/PREDICT.md,
// "Recommendation quality"). Confirmation profiles a handful of candidates that the predictions put near the
// top of the budget and decides on the measurements.
#pragma once
#include <functional>
#include <optional>
#include <utility>
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
  int measurements = 8;  // modes profiled at most; 0 turns confirmation off
  // Keep profiling while the next candidate's corrected prediction is within this fraction of the best measured
  // objective (it may turn out better); 0 stops as soon as it is not expected to be better.
  double explore = 0.02;
  // Candidates: corrected predicted power up to this fraction above the budget (their measurement decides).
  double power_explore = 0.01;
  // A measured power within budget x (1 + tolerance) counts as within the budget (0 = strict).
  double tolerance = 0;
  // Modes already measured before the confirmation (e.g. the profile the model was transferred from): index into
  // the candidate modes and its measurement. They are never profiled again, correct the predictions near them like
  // profiled modes, and may be the answer (then `profiled` does not include them); they cost no measurement.
  std::vector<std::pair<size_t, MeasuredPoint>> known;
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

// A sequential search: profile the mode with the best predicted objective that is expected within the budget,
// where predictions are corrected by the measured/predicted ratios of time and power at the nearest profiled mode
// (log-clock distance); repeat until `measurements` modes are profiled or no unprofiled mode is expected to beat
// the best one measured within the budget. The answer is that best measured mode (ties: lower measured power);
// nullopt when nothing profiled was within the budget (or nothing was expected to be).
std::optional<ConfirmedRecommendation> confirm_recommendation(const std::vector<device::PowerMode>& modes,
                                                              const predict::Predictions& pred, double budget_w,
                                                              Objective objective, const MeasureFn& measure,
                                                              const ConfirmOptions& options = {});

}  // namespace modewise::optimize
