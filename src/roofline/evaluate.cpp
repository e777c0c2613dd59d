#include "modewise/roofline/evaluate.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "modewise/device/device_spec.h"
#include "modewise/util/error.h"

namespace modewise::roofline {

EvalResult evaluate_case(device::Backend& backend, const std::vector<ModeRoofline>& rooflines, const EvalCase& c,
                         double max_slowdown, const ConfirmOptions& confirm) {
  EvalResult r;
  r.c = c;
  r.max_slowdown = max_slowdown;
  r.modes = rooflines.size();
  ModelAnalysis a = analyze_onnx_file(c.model_path, AnalyzeOptions{c.batch_size, false});
  device::WorkloadRequest req;
  req.workload = c.workload;
  req.task = "infer";
  req.batch_size = c.batch_size;

  std::vector<device::PowerMode> modes;
  for (const auto& rl : rooflines) modes.push_back(rl.mode);
  device::PowerMode maxn = backend.spec().maxn();

  // tune-inference's own path: a few anchor modes profiled, then the model
  std::vector<Measured> anchors;
  for (size_t i : anchor_modes(modes)) anchors.push_back(measure_inference(backend, req, modes[i]));
  r.calibration = fit_model_calibration(a, rooflines, anchors);
  TuneResult t = tune_inference(rooflines, a, r.calibration, max_slowdown, maxn);
  if (t.maxn >= modes.size()) throw Error("MAXN ({}) is not among the evaluated modes", maxn.key());
  r.model_choice = modes[t.chosen];
  r.profiled_modes = anchors.size();
  if (confirm.candidate_count > 0 || confirm.fastest_count > 0)
    r.profiled_modes = confirm_by_measurement(t, backend, req, anchors, confirm);
  r.confirmed = t.confirmed;
  r.predicted_saving = t.predicted_saving();

  // the exhaustive answer
  std::vector<Measured> measured;
  // long runs (as confirmation runs), so that the exhaustive best is not mostly the luckiest noise
  const int exhaustive_minibatches = std::max(50, confirm.minibatches);
  for (const auto& m : modes)
    measured.push_back(measure_inference(backend, req, m, exhaustive_minibatches, exhaustive_minibatches - 10));
  ModelCalibration plain = default_calibration(a);
  double st = 0, se = 0, st0 = 0, se0 = 0;
  size_t fastest = 0;
  for (size_t i = 0; i < modes.size(); ++i) {
    const Prediction& p = t.predictions[i];
    Prediction p0 = predict(rooflines[i], a, plain);
    st += std::abs(p.time_ms / measured[i].time_ms - 1);
    se += std::abs(p.energy_j / measured[i].energy_j - 1);
    st0 += std::abs(p0.time_ms / measured[i].time_ms - 1);
    se0 += std::abs(p0.energy_j / measured[i].energy_j - 1);
    if (measured[i].time_ms < measured[fastest].time_ms) fastest = i;
  }
  double n = static_cast<double>(modes.size());
  r.time_mape = st / n, r.energy_mape = se / n, r.time_mape_roofline = st0 / n, r.energy_mape_roofline = se0 / n;
  size_t best = best_measured(measured, max_slowdown);
  r.best = modes[best];
  r.tuned = modes[t.chosen];
  double e_maxn = measured[t.maxn].energy_j;
  r.best_saving = 1 - measured[best].energy_j / e_maxn;
  r.tuned_saving = 1 - measured[t.chosen].energy_j / e_maxn;
  r.tuned_slowdown = measured[t.chosen].time_ms / measured[fastest].time_ms - 1;
  for (size_t i = 0; i < modes.size(); ++i)
    if (modes[i] == r.model_choice) r.model_choice_saving = 1 - measured[i].energy_j / e_maxn;
  r.best_slowdown = measured[best].time_ms / measured[fastest].time_ms - 1;
  r.best_predicted_slowdown = t.predictions[best].time_ms / t.predictions[t.fastest].time_ms - 1;
  r.guard_band = t.guard_band;
  return r;
}

nlohmann::json eval_to_json(const EvalResult& r) {
  const auto mode = device::mode_to_json;
  nlohmann::json confirmed = nlohmann::json::array();
  for (const auto& m : r.confirmed)
    confirmed.push_back({{"mode", mode(m.mode)}, {"time_ms", m.time_ms}, {"energy_j", m.energy_j},
                         {"time_rel_se", m.time_rel_se}});
  return {{"workload", r.c.workload},
          {"model", r.c.model_path},
          {"batch_size", r.c.batch_size},
          {"modes", r.modes},
          {"time_mape", r.time_mape},
          {"energy_mape", r.energy_mape},
          {"time_mape_roofline_only", r.time_mape_roofline},
          {"energy_mape_roofline_only", r.energy_mape_roofline},
          {"anchors", r.calibration.anchors},
          {"compute_scale", r.calibration.compute_scale},
          {"memory_scale", r.calibration.memory_scale},
          {"host_mcycles", r.calibration.host_mcycles},
          {"overlap", r.calibration.overlap},
          {"dynamic_scale", r.calibration.dynamic_scale},
          {"host_w_per_ghz2", r.calibration.host_w_per_ghz2},
          {"time_fit_rmse", r.calibration.time_fit_rmse},
          {"energy_fit_rmse", r.calibration.energy_fit_rmse},
          {"max_slowdown", r.max_slowdown},
          {"tuned_mode", mode(r.tuned)},
          {"model_choice_mode", mode(r.model_choice)},
          {"model_choice_saving", r.model_choice_saving},
          {"profiled_modes", r.profiled_modes},
          {"best_mode", mode(r.best)},
          {"predicted_saving", r.predicted_saving},
          {"tuned_saving", r.tuned_saving},
          {"best_saving", r.best_saving},
          {"gap_pp", r.gap_pp()},
          {"tuned_slowdown", r.tuned_slowdown},
          {"best_slowdown", r.best_slowdown},
          {"best_predicted_slowdown", r.best_predicted_slowdown},
          {"guard_band", r.guard_band},
          {"within_slowdown", r.within_slowdown()},
          {"confirmed", confirmed}};
}

}  // namespace modewise::roofline
