// modewise recommend: the mode with the lowest predicted time (or energy) whose predicted power fits a budget.
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/model_args.h"
#include "modewise/device/device_spec.h"
#include "modewise/optimize/recommend.h"
#include "modewise/predict/model.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::cli {
namespace {

struct RecommendCliOptions {
  std::string model;
  ModeChoice modes;
  double power_w = 0;
  std::string objective = "time", method = "model";
  double safety_pct = 0, sd_multiplier = optimize::kDefaultSdMultiplier;
  bool json = false;
  std::string nvpmodel_out;
  int nvpmodel_id = 100;
  std::string nvpmodel_name;
};

void run_recommend(const RecommendCliOptions& o, const GlobalOptions& g) {
  check_positive(o.power_w, "--power-w");
  if (o.safety_pct < 0 || o.safety_pct >= 50) throw UsageError("--safety-pct must be in [0, 50), found {}", o.safety_pct);
  check_range(o.sd_multiplier, "--sd-multiplier", 0, 10);
  check_int_range(o.nvpmodel_id, "--nvpmodel-id", 0, 1000000);
  if (!o.nvpmodel_out.empty()) util::check_output_path(o.nvpmodel_out);
  optimize::Objective objective = optimize::parse_objective(o.objective);
  predict::PerfModel model = predict::load_model(o.model);
  device::DeviceSpec spec = device_for_model(o.modes, model, g);
  std::vector<device::PowerMode> modes;
  std::vector<std::string> names;
  if (o.method == "preset") {  // baseline: only the device's nvpmodel presets
    if (!o.modes.modes_file.empty()) throw UsageError("--method preset chooses among the device's presets: drop --modes");
    for (const auto& pm : optimize::preset_modes(spec)) {
      modes.push_back(pm.mode);
      names.push_back(pm.name);
    }
    if (modes.empty()) throw Error("device '{}' has no nvpmodel presets", spec.name);
  } else {
    modes = candidate_modes(o.modes, spec);
  }
  optimize::PowerCaution caution{o.safety_pct / 100.0, o.sd_multiplier};
  predict::Predictions p = model.predict(spec, modes, caution.sd_multiplier > 0);
  optimize::Recommendation r = optimize::recommend(modes, p, o.power_w, objective, caution);
  const std::string preset = names.empty() ? "" : names[r.index];
  note_model_provenance(model);
  if (o.method != "preset") warn_extrapolation(model, modes);
  if (o.json) {
    nlohmann::json j = {{"mode", device::mode_to_json(r.mode)},
                        {"time_ms", r.time_ms},
                        {"power_w", r.power_w},
                        {"energy_j", r.energy_j},
                        {"budget_w", r.budget_w},
                        {"margin_w", r.margin_w},
                        {"objective", o.objective},
                        {"method", o.method},
                        {"candidates", modes.size()},
                        {"feasible", r.feasible},
                        {"device", spec.name},
                        {"provenance", model.info.provenance}};
    if (!preset.empty()) j["preset"] = preset;
    std::cout << j.dump() << "\n";
  } else {
    fmt::print("recommended mode for {} W (lowest predicted {}{}): {}{}\n", util::format_number(o.power_w),
               o.objective, o.safety_pct > 0 ? fmt::format(", {}% safety margin", o.safety_pct) : "",
               r.mode.describe(), preset.empty() ? "" : " (preset " + preset + ")");
    fmt::print("predicted: {:.2f} ms per minibatch, {:.2f} W (margin {:.2f} W), {:.3f} J per minibatch\n", r.time_ms,
               r.power_w, r.margin_w, r.energy_j);
    fmt::print("{} of {} candidate modes are predicted within the budget; numbers are {}\n", r.feasible, modes.size(),
               model_provenance_label(model));
  }
  if (!o.nvpmodel_out.empty()) {
    std::string name = o.nvpmodel_name.empty() ? fmt::format("MODEWISE_{}W", util::format_number(o.power_w)) : o.nvpmodel_name;
    std::string block = optimize::nvpmodel_block(
        spec, r.mode, o.nvpmodel_id, name,
        {fmt::format("modewise {}: {} {} within {} W (lowest predicted {})", MODEWISE_VERSION, model.info.workload,
                     model.info.task, util::format_number(o.power_w), o.objective),
         fmt::format("predicted {:.2f} ms per minibatch at {:.2f} W; {}", r.time_ms, r.power_w,
                     model_provenance_label(model)),
         "Append to /etc/nvpmodel.conf and select it with: sudo nvpmodel -m " + std::to_string(o.nvpmodel_id)});
    util::write_file_atomically(o.nvpmodel_out, block);
    info("wrote the nvpmodel POWER_MODEL block to " + o.nvpmodel_out);
  }
}

Registrar reg(44, "recommend", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<RecommendCliOptions>();
  auto* cmd = app.add_subcommand("recommend", "The fastest (or most energy-efficient) mode predicted within a power budget");
  cmd->add_option("--model", o->model, "Model file (from fit or transfer)")->required();
  add_mode_choice(cmd, o->modes, true);
  cmd->add_option("--power-w", o->power_w, "Power budget in watts (board total)")->required();
  cmd->add_option("--objective", o->objective, "time (per minibatch) or energy (per minibatch)")
      ->check(CLI::IsMember({"time", "energy"}))
      ->capture_default_str();
  cmd->add_option("--method", o->method, "model: every candidate mode; preset: only the nvpmodel presets (baseline)")
      ->check(CLI::IsMember({"model", "preset"}))
      ->capture_default_str();
  cmd->add_option("--safety-pct", o->safety_pct, "Keep predicted power this many percent below the budget")
      ->capture_default_str();
  cmd->add_option("--sd-multiplier", o->sd_multiplier,
                  "Require predicted power x exp(k x its predicted log sd) within the budget (GP models know their "
                  "calibrated uncertainty; 0: the prediction itself)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "JSON output: {\"mode\":{...},\"time_ms\":..,\"power_w\":..,...}");
  cmd->add_option("--nvpmodel-out", o->nvpmodel_out, "Write the mode as a custom POWER_MODEL block (nvpmodel.conf format)");
  cmd->add_option("--nvpmodel-id", o->nvpmodel_id, "ID of that POWER_MODEL block")->capture_default_str();
  cmd->add_option("--nvpmodel-name", o->nvpmodel_name, "NAME of that POWER_MODEL block (default MODEWISE_<budget>W)");
  cmd->callback([o, &g] { run_recommend(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
