// modewise tune-inference: the power mode with the least energy per inference within a slowdown of the fastest,
// predicted from the model's roofline (ONNX analysis + calibrated rooflines per mode), with the saving vs MAXN.
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/device_arg.h"
#include "modewise/device/device_spec.h"
#include "modewise/roofline/onnx_analyzer.h"
#include "modewise/roofline/predict.h"
#include "modewise/roofline/roofline.h"
#include "modewise/sim/emulator.h"
#include "modewise/util/error.h"
#include "modewise/util/progress.h"
#include "modewise/util/strings.h"
#include "modewise/util/table.h"

namespace modewise::cli {
namespace {

struct TuneCliOptions {
  std::string device = "sim:orin-agx";
  std::string model, workload, modes, grid;
  int batch_size = 1;
  double max_slowdown = 0.05;
  bool no_anchors = false, verify = false, json = false;
  uint64_t seed = 1;
  roofline::ConfirmOptions confirm;
};

nlohmann::json mode_json(const roofline::Prediction& p) {
  nlohmann::json j = device::mode_to_json(p.mode);
  j.update({{"time_ms", p.time_ms}, {"gpu_ms", p.gpu_ms}, {"host_ms", p.host_ms}, {"power_w", p.power_w},
            {"energy_j", p.energy_j}});
  return j;
}

void run_tune(const TuneCliOptions& o, const GlobalOptions& g) {
  // The model first: a malformed one fails before the backend is opened or anything is measured.
  roofline::ModelAnalysis a = roofline::analyze_onnx_file(o.model, {o.batch_size, false});
  auto backend = open_backend_arg(o.device, g, o.seed);
  const device::DeviceSpec& spec = backend->spec();
  note_provenance(*backend);
  std::string grid = o.grid.empty() ? roofline::default_tuning_grid(spec) : o.grid;
  std::vector<device::PowerMode> modes = roofline::resolve_mode_list(spec, o.modes.empty() ? "all" : o.modes, grid);
  device::PowerMode maxn = spec.maxn();
  if (std::find(modes.begin(), modes.end(), maxn) == modes.end()) modes.push_back(maxn);
  if (!a.complete()) warn(fmt::format("{}: some layers are not counted (run `modewise analyze --per-layer`)", o.model));

  util::Progress bar("calibrating rooflines", modes.size(), util::Progress::stderr_is_terminal());
  auto rooflines = roofline::calibrate_modes(*backend, modes, {}, [&](size_t d, size_t) { bar.update(d); });
  bar.finish();

  // anchors: a few profiled modes of the model itself calibrate its efficiency and host (CPU) cost
  std::string workload = o.workload;
  if (workload.empty() && !o.no_anchors && backend->provenance() == device::Provenance::emulated) {
    std::string stem = std::filesystem::path(o.model).stem().string();
    if (sim::is_catalog_workload(stem)) workload = stem;
  }
  roofline::ModelCalibration cal = roofline::default_calibration(a);
  device::WorkloadRequest req;
  req.workload = workload;
  req.batch_size = o.batch_size;
  std::vector<roofline::Measured> anchors;
  if (!workload.empty() && !o.no_anchors) {
    for (size_t i : roofline::anchor_modes(modes)) anchors.push_back(roofline::measure_inference(*backend, req, modes[i]));
    cal = roofline::fit_model_calibration(a, rooflines, anchors);
    if (g.verbose)
      for (const auto& m : anchors)
        for (const auto& r : rooflines)
          if (r.mode == m.mode) {
            auto p = roofline::predict(r, a, cal);
            info(fmt::format("anchor {}: profiled {:.3f} ms {:.4f} J, predicted {:.3f} ms (gpu {:.3f}, host {:.3f}) "
                             "{:.4f} J", m.mode.key(), m.time_ms, m.energy_j, p.time_ms, p.gpu_ms, p.host_ms,
                             p.energy_j));
          }
    info(fmt::format("calibrated on {} anchor modes of workload '{}': compute x{:.2f}, memory x{:.2f}, host {:.1f} "
                     "Mcycles, overlap {:.2f}; fit error time {:.1f}%, energy {:.1f}%",
                     cal.anchors, workload, cal.compute_scale, cal.memory_scale, cal.host_mcycles, cal.overlap,
                     100 * cal.time_fit_rmse, 100 * cal.energy_fit_rmse));
  } else {
    warn("no anchor workload (--workload): host time uses the default dispatch cost per kernel; predictions are "
         "the uncalibrated roofline");
  }
  roofline::TuneResult t = roofline::tune_inference(rooflines, a, cal, o.max_slowdown, maxn);
  const roofline::Prediction model_choice = t.predictions[t.chosen];
  size_t profiled = anchors.size();
  const bool confirm = !anchors.empty() && (o.confirm.candidate_count > 0 || o.confirm.fastest_count > 0);
  if (confirm) {
    info(fmt::format("confirming: profiling up to {} candidate modes ({} minibatches each)",
                     o.confirm.candidate_count + o.confirm.fastest_count + 1, o.confirm.minibatches));
    profiled = roofline::confirm_by_measurement(t, *backend, req, anchors, o.confirm);
  }
  const auto& chosen = t.predictions[t.chosen];
  const auto& fastest = t.predictions[t.fastest];
  const auto& pmaxn = t.predictions[t.maxn];

  nlohmann::json verify;
  if (o.verify) {
    if (workload.empty()) throw UsageError("--verify needs --workload (what to profile)");
    auto mc = roofline::measure_inference(*backend, req, chosen.mode);
    auto mm = roofline::measure_inference(*backend, req, maxn);
    verify = {{"chosen_time_ms", mc.time_ms}, {"chosen_energy_j", mc.energy_j}, {"maxn_time_ms", mm.time_ms},
              {"maxn_energy_j", mm.energy_j}, {"energy_saving", 1 - mc.energy_j / mm.energy_j},
              {"provenance", provenance_label(*backend)}};
  }
  if (o.json) {
    nlohmann::json j{{"model", o.model}, {"batch_size", o.batch_size}, {"max_slowdown", o.max_slowdown},
                     {"grid", o.modes.empty() ? grid : o.modes}, {"modes", modes.size()},
                     {"chosen", mode_json(chosen)}, {"fastest", mode_json(fastest)}, {"maxn", mode_json(pmaxn)},
                     {"predicted_energy_saving", t.predicted_saving()},
                     {"profiled_modes", profiled}, {"confirmed_by_measurement", confirm},
                     {"model_choice", mode_json(model_choice)},
                     {"calibration", {{"anchors", cal.anchors}, {"workload", workload}, {"compute_scale", cal.compute_scale},
                                      {"memory_scale", cal.memory_scale},
                                      {"host_mcycles", cal.host_mcycles}, {"overlap", cal.overlap},
                                      {"dynamic_scale", cal.dynamic_scale},
                                      {"host_w_per_ghz2", cal.host_w_per_ghz2}, {"time_fit_rmse", cal.time_fit_rmse},
                                      {"energy_fit_rmse", cal.energy_fit_rmse}}},
                     {"provenance", provenance_label(*backend)}};
    if (o.verify) j["verify"] = verify;
    std::cout << j.dump(2) << "\n";
    return;
  }
  util::TextTable tab({"", "mode", "time_ms", "power_w", "energy_j", "gpu_ms", "host_ms"});
  auto row = [&](const std::string& what, const roofline::Prediction& p) {
    tab.add({what, p.mode.key(), fmt::format("{:.3f}", p.time_ms), fmt::format("{:.2f}", p.power_w),
             fmt::format("{:.4f}", p.energy_j), fmt::format("{:.3f}", p.gpu_ms), fmt::format("{:.3f}", p.host_ms)});
  };
  row("chosen", chosen);
  if (confirm && !(model_choice.mode == chosen.mode)) row("model's pick", model_choice);
  row("fastest", fastest);
  row("maxn", pmaxn);
  tab.print(std::cout);
  std::cout << fmt::format("predicted energy per inference saved vs MAXN: {:.1f}% (slowdown vs fastest {:.1f}%, "
                           "limit {:.1f}%; {} modes of '{}')\n",
                           100 * t.predicted_saving(), 100 * (chosen.time_ms / fastest.time_ms - 1),
                           100 * o.max_slowdown, modes.size(), o.modes.empty() ? grid : o.modes);
  if (confirm) {
    double measured_ms = 0;
    for (const auto& m : t.confirmed)
      if (m.mode == chosen.mode) measured_ms = m.time_ms;
    std::cout << fmt::format("confirmed by measurement: {} modes profiled in all; the chosen mode ran {:.1f}% slower "
                             "than the fastest profiled one ({}); the table shows predictions\n",
                             profiled, 100 * (measured_ms / t.measured_reference_ms - 1),
                             provenance_label(*backend));
  }
  if (o.verify)
    std::cout << fmt::format("profiled ({}): chosen {:.3f} ms {:.4f} J, MAXN {:.3f} ms {:.4f} J: {:.1f}% energy saved\n",
                             verify["provenance"].get<std::string>(), verify["chosen_time_ms"].get<double>(),
                             verify["chosen_energy_j"].get<double>(), verify["maxn_time_ms"].get<double>(),
                             verify["maxn_energy_j"].get<double>(), 100 * verify["energy_saving"].get<double>());
}

Registrar reg(62, "tune-inference", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<TuneCliOptions>();
  auto* cmd = app.add_subcommand("tune-inference", "The power mode with the least energy per inference within a "
                                                   "slowdown of the fastest, from the model's roofline");
  cmd->add_option("--device", o->device, "Device backend: sim:<board>, a built-in board (emulated), jetson, ...")
      ->capture_default_str();
  cmd->add_option("--model", o->model, "ONNX model")->required();
  cmd->add_option("-b,--batch-size", o->batch_size, "Inference batch size")->capture_default_str()->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--max-slowdown", o->max_slowdown, "Allowed slowdown vs the fastest mode (0.05 = 5%)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--grid", o->grid, "Candidate grid (default: fulcrum where the device has it, else full)");
  cmd->add_option("--modes", o->modes, "Candidate modes instead of the grid (as roofline --modes)");
  cmd->add_option("--workload", o->workload,
                  "Workload to profile at a few anchor modes to calibrate the model (default: the model file's "
                  "name when the emulator knows it)");
  cmd->add_flag("--no-anchors", o->no_anchors, "Do not profile anchors: the uncalibrated roofline only");
  cmd->add_option("--confirm", o->confirm.candidate_count,
                  "Candidate modes profiled to confirm the choice by measurement (with the predicted-fastest ones); "
                  "0 with --confirm-fastest 0: decide on predictions alone")
      ->capture_default_str()->check(CLI::Range(0, 1000));
  cmd->add_option("--confirm-fastest", o->confirm.fastest_count, "Predicted-fastest modes profiled as the reference")
      ->capture_default_str()->check(CLI::Range(0, 1000));
  cmd->add_option("--confirm-minibatches", o->confirm.minibatches, "Minibatches per confirmation run")
      ->capture_default_str()->check(CLI::Range(20, 1000000));
  cmd->add_flag("--verify", o->verify, "Profile the chosen mode and MAXN and report the measured saving");
  cmd->add_option("--seed", o->seed, "Seed of the emulated backend")->capture_default_str();
  cmd->add_flag("--json", o->json, "JSON output");
  cmd->callback([o, &g] { run_tune(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
