// Evaluation of the roofline predictions and of tune-inference against profiled values over a grid
// (`modewise eval roofline`, docs/BENCHMARKS.md): every mode of the grid is profiled through the backend.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "modewise/device/backend.h"
#include "modewise/roofline/predict.h"
#include "modewise/roofline/roofline.h"

namespace modewise::roofline {

struct EvalCase {
  std::string workload;    // the backend's workload name (resnet50, ...)
  std::string model_path;  // its ONNX graph
  int batch_size = 1;
};

struct EvalResult {
  EvalCase c;
  size_t modes = 0;
  double time_mape = 0, energy_mape = 0;                  // calibrated model (anchors), over all modes
  double time_mape_roofline = 0, energy_mape_roofline = 0;  // analysis-only defaults, no anchors
  ModelCalibration calibration;
  device::PowerMode tuned, best;
  device::PowerMode model_choice;   // the model's choice before confirmation by measurement
  double model_choice_saving = 0;   // its measured saving
  size_t profiled_modes = 0;        // anchors + confirmation measurements tune-inference made
  std::vector<Measured> confirmed;  // the measurements tune-inference decided on
  double tuned_saving = 0;     // measured 1 - E(tuned) / E(MAXN)
  double best_saving = 0;      // measured, exhaustive best within the slowdown
  double tuned_slowdown = 0;   // measured T(tuned) / T(measured fastest) - 1
  double predicted_saving = 0;
  double best_predicted_slowdown = 0;  // how the model saw the exhaustive best: T(best) / T(fastest) - 1
  double best_slowdown = 0;            // measured
  double guard_band = 0;
  double max_slowdown = 0;
  double gap_pp() const { return (best_saving - tuned_saving) * 100; }
  bool within_slowdown() const { return tuned_slowdown <= max_slowdown + 1e-9; }
};

// rooflines: calibrated rooflines of the grid's modes (MAXN among them). Throws Error when MAXN is missing.
// confirm: the confirmation step of tune-inference (candidate_count = fastest_count = 0 turns it off).
EvalResult evaluate_case(device::Backend& backend, const std::vector<ModeRoofline>& rooflines, const EvalCase& c,
                         double max_slowdown, const ConfirmOptions& confirm = {});

nlohmann::json eval_to_json(const EvalResult& r);

}  // namespace modewise::roofline
