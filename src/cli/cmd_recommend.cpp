// modewise recommend: the mode with the lowest predicted time (or energy) whose predicted power fits a budget;
// with --confirm K, confirmed by measuring at most K modes near the budget on a backend (docs/PREDICT.md).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/device_arg.h"
#include "cli/measure_mode.h"
#include "cli/model_args.h"
#include "modewise/device/device_spec.h"
#include "modewise/optimize/confirm.h"
#include "modewise/optimize/recommend.h"
#include "modewise/profile/profile.h"
#include "modewise/profile/replay.h"
#include "modewise/predict/model.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::cli {
namespace {

// --confirm: the measured answer is "confirmed" when it is within the budget (strictly, as measured) and its
// measured objective is at most this many percent worse than the predicted recommendation's (docs/PREDICT.md).
constexpr double kDefaultConfirmTolerancePct = 5;

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
  // confirmation by measurement
  int confirm = 0;
  std::string workload, task;
  int batch_size = 0;
  uint64_t seed = 1;
  double confirm_tolerance_pct = kDefaultConfirmTolerancePct;
  std::string known;  // --known FILE.csv: modes measured already (the profile the model was transferred from)
};

struct Confirmation {
  std::unique_ptr<device::Backend> backend;
  device::WorkloadRequest workload;
  std::string provenance;  // of the measured numbers (profile.h values: "emulated", "replayed (emulated)", ...)
};

bool names_backend(const std::string& d) {
  return util::starts_with(d, "sim:") || util::starts_with(d, "replay:") || d == "jetson" || util::starts_with(d, "nvml:");
}

// --confirm's arguments, checked before anything is predicted or measured; nullopt without --confirm.
std::optional<Confirmation> open_confirmation(const RecommendCliOptions& o, const predict::PerfModel& model,
                                              const GlobalOptions& g) {
  if (o.confirm < 0) throw UsageError("--confirm: expected a number of modes to measure >= 0, found {}", o.confirm);
  check_int_range(o.confirm, "--confirm", 0, 1000);
  check_range(o.confirm_tolerance_pct, "--confirm-tolerance-pct", 0, 100);
  if (!o.known.empty() && o.confirm == 0)
    throw UsageError("--known {}: only used by --confirm K (it adds measured modes to the confirmation)", o.known);
  if (o.confirm == 0) return std::nullopt;
  const std::string& d = o.modes.device;
  if (d.empty())
    throw UsageError("--confirm measures modes on a backend: give --device sim:<device>, replay:FILE.csv or jetson");
  if (!names_backend(d))
    throw UsageError("--confirm measures modes on a backend: --device must name one (sim:{0}, replay:FILE.csv or "
                     "jetson), found '{0}'",
                     d);
  Confirmation c;
  c.workload.workload = o.workload.empty() ? model.info.workload : o.workload;
  if (c.workload.workload.empty())
    throw UsageError("--confirm needs --workload (the model does not say which workload it was trained on)");
  c.workload.task = !o.task.empty() ? o.task : model.info.task.empty() ? "train" : model.info.task;
  c.workload.batch_size = o.batch_size > 0 ? o.batch_size : model.info.batch_size > 0 ? model.info.batch_size : 16;
  c.backend = open_backend_arg(d, g, o.seed);
  check_backend_workload(*c.backend, c.workload);
  if (!model.info.workload.empty() && c.workload.workload != model.info.workload)
    warn(fmt::format("--workload {} differs from the workload the model was trained on ({}): the measurements "
                     "confirm predictions made for another workload",
                     c.workload.workload, model.info.workload));
  c.provenance = profile::provenance_of(*c.backend, c.workload);
  return c;
}

struct MeasuredMode {
  device::PowerMode mode;
  optimize::MeasuredPoint point;
};

double objective_of(optimize::Objective objective, double time_ms, double energy_j) {
  return objective == optimize::Objective::time ? time_ms : energy_j;
}

nlohmann::json point_json(const device::PowerMode& m, const optimize::MeasuredPoint& p) {
  return {{"mode", device::mode_to_json(m)}, {"time_ms", p.time_ms}, {"power_w", p.power_w}, {"energy_j", p.energy_j()}};
}

void run_recommend(const RecommendCliOptions& o, const GlobalOptions& g) {
  check_positive(o.power_w, "--power-w");
  if (o.safety_pct < 0 || o.safety_pct >= 50) throw UsageError("--safety-pct must be in [0, 50), found {}", o.safety_pct);
  check_range(o.sd_multiplier, "--sd-multiplier", 0, 10);
  check_int_range(o.nvpmodel_id, "--nvpmodel-id", 0, 1000000);
  if (!o.nvpmodel_out.empty()) util::check_output_path(o.nvpmodel_out);
  optimize::Objective objective = optimize::parse_objective(o.objective);
  predict::PerfModel model = predict::load_model(o.model);
  std::optional<Confirmation> confirmation = open_confirmation(o, model, g);
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
  // Without confirmation a budget nothing is predicted to meet is an Error; with it the measurements decide.
  std::optional<optimize::Recommendation> r =
      confirmation ? optimize::best_within_budget(modes, p, o.power_w, objective, caution)
                   : std::optional<optimize::Recommendation>(optimize::recommend(modes, p, o.power_w, objective, caution));
  const std::string preset = names.empty() || !r ? "" : names[r->index];
  note_model_provenance(model);
  if (o.method != "preset") warn_extrapolation(model, modes);

  // Confirmation by measurement: among the candidates the backend can measure (a replay: the modes its file has).
  std::vector<MeasuredMode> measured;
  size_t measurable = 0;  // candidates the backend can measure
  std::optional<optimize::ConfirmedRecommendation> c;
  bool confirmed = false;
  std::string reason;
  std::unordered_map<std::string, std::string> known_provenance;  // --known rows that are candidates, by mode key
  if (confirmation) {
    note_provenance(*confirmation->backend);
    std::vector<device::PowerMode> cmodes;
    predict::Predictions cp;
    auto* replay = dynamic_cast<profile::ReplayBackend*>(confirmation->backend.get());
    std::vector<device::PowerMode> have;
    if (replay) have = replay->modes_for(confirmation->workload);
    for (size_t i = 0; i < modes.size(); ++i) {
      if (replay && std::find(have.begin(), have.end(), modes[i]) == have.end()) continue;
      cmodes.push_back(modes[i]);
      cp.time_ms.push_back(p.time_ms[i]);
      cp.power_w.push_back(p.power_w[i]);
    }
    measurable = cmodes.size();
    if (replay && cmodes.size() < modes.size())
      info(fmt::format("{} can measure {} of the {} candidate modes (the modes its file has for {} {})",
                       confirmation->backend->name(), cmodes.size(), modes.size(), confirmation->workload.workload,
                       confirmation->workload.task));
    if (cmodes.empty())
      throw Error("{} has none of the {} candidate modes for {} {}: nothing to measure", confirmation->backend->name(),
                  modes.size(), confirmation->workload.workload, confirmation->workload.task);
    optimize::MeasureFn measure_one = mode_measurer(*confirmation->backend, confirmation->workload);
    optimize::MeasureFn record = [&](const device::PowerMode& m) {
      optimize::MeasuredPoint pt = measure_one(m);
      measured.push_back({m, pt});
      return pt;
    };
    optimize::ConfirmOptions co;
    co.measurements = o.confirm;
    if (!o.known.empty()) {
      // Rows of the confirmed workload (or of a file without workload columns) whose mode is a candidate.
      profile::Profile known = profile::read_profile_csv(o.known);
      std::unordered_map<std::string, size_t> index_of;
      for (size_t i = 0; i < cmodes.size(); ++i) index_of.emplace(cmodes[i].key(), i);
      for (const auto& row : known.rows) {
        if (!row.workload.empty() && row.workload != confirmation->workload.workload) continue;
        if (!row.task.empty() && row.task != confirmation->workload.task) continue;
        auto it = index_of.find(row.mode.key());
        if (it == index_of.end()) continue;
        co.known.emplace_back(it->second, optimize::MeasuredPoint{row.time_ms, row.power_w});
        known_provenance.emplace(row.mode.key(), row.provenance.empty() ? "unknown" : row.provenance);
      }
      info(fmt::format("--known {}: {} of its {} rows are candidate modes of {} {}; they count as measured", o.known,
                       co.known.size(), known.rows.size(), confirmation->workload.workload,
                       confirmation->workload.task));
    }
    c = optimize::confirm_recommendation(cmodes, cp, o.power_w, objective, record, co);
    const double tol = o.confirm_tolerance_pct / 100.0;
    if (!c) {
      reason = fmt::format("none of the {} modes measured was within {} W", measured.size(), util::format_number(o.power_w));
    } else if (!r) {
      reason = "no mode was predicted within the budget, so there is no prediction to confirm; the measured mode "
               "stands on its own";
    } else {
      const double want = objective_of(objective, r->time_ms, r->energy_j);
      const double got = objective_of(objective, c->measured.time_ms, c->measured.energy_j());
      const double diff_pct = 100 * (got / want - 1);
      confirmed = got <= want * (1 + tol);
      reason = fmt::format("measured {} {:.1f}% {} than predicted for the recommendation ({} {}%)", o.objective,
                           std::abs(diff_pct), diff_pct > 0 ? "worse" : "better",
                           confirmed ? "within the tolerance of" : "beyond the tolerance of",
                           util::format_number(o.confirm_tolerance_pct));
    }
  }
  const bool same_mode = c && r && c->mode == r->mode;

  if (o.json) {
    nlohmann::json j = {{"budget_w", o.power_w},
                        {"objective", o.objective},
                        {"method", o.method},
                        {"candidates", modes.size()},
                        {"feasible", r ? r->feasible : 0},
                        {"device", spec.name},
                        {"provenance", model.info.provenance}};
    if (r) {
      j["mode"] = device::mode_to_json(r->mode);
      j["time_ms"] = r->time_ms;
      j["power_w"] = r->power_w;
      j["energy_j"] = r->energy_j;
      j["margin_w"] = r->margin_w;
    } else {
      j["mode"] = nullptr;
    }
    if (!preset.empty()) j["preset"] = preset;
    if (confirmation) {
      nlohmann::json ms = nlohmann::json::array();
      for (const auto& m : measured) {
        nlohmann::json e = point_json(m.mode, m.point);
        e["within_budget"] = m.point.power_w <= o.power_w;
        e["provenance"] = confirmation->provenance;
        ms.push_back(e);
      }
      j["measured"] = ms;
      if (c) {
        nlohmann::json cj = point_json(c->mode, c->measured);
        cj["predicted_time_ms"] = c->predicted_time_ms;
        cj["predicted_power_w"] = c->predicted_power_w;
        auto kp = known_provenance.find(c->mode.key());
        const bool from_known = kp != known_provenance.end() &&
                                std::none_of(measured.begin(), measured.end(),
                                             [&](const MeasuredMode& m) { return m.mode == c->mode; });
        cj["provenance"] = from_known ? kp->second : confirmation->provenance;
        cj["source"] = from_known ? "known" : "measured";  // --known profile, or measured by this confirmation
        j["confirmed_mode"] = cj;
      } else {
        j["confirmed_mode"] = nullptr;
      }
      j["confirmed"] = confirmed;
      j["confirmation"] = {{"backend", confirmation->backend->name()},
                           {"provenance", confirmation->provenance},
                           {"workload", confirmation->workload.workload},
                           {"task", confirmation->workload.task},
                           {"batch_size", confirmation->workload.batch_size},
                           {"max_modes", o.confirm},
                           {"modes_measured", measured.size()},
                           {"known_modes", known_provenance.size()},
                           {"measurable_candidates", measurable},
                           {"same_mode_as_predicted", same_mode},
                           {"tolerance_pct", o.confirm_tolerance_pct},
                           {"reason", reason}};
    }
    std::cout << j.dump() << "\n";
  } else {
    if (r) {
      fmt::print("recommended mode for {} W (lowest predicted {}{}): {}{}\n", util::format_number(o.power_w),
                 o.objective, o.safety_pct > 0 ? fmt::format(", {}% safety margin", o.safety_pct) : "",
                 r->mode.describe(), preset.empty() ? "" : " (preset " + preset + ")");
      fmt::print("predicted: {:.2f} ms per minibatch, {:.2f} W (margin {:.2f} W), {:.3f} J per minibatch\n", r->time_ms,
                 r->power_w, r->margin_w, r->energy_j);
      fmt::print("{} of {} candidate modes are predicted within the budget; numbers are {}\n", r->feasible,
                 modes.size(), model_provenance_label(model));
    } else {
      fmt::print("no mode of {} is predicted within {} W (numbers {}); the measurements decide\n", modes.size(),
                 util::format_number(o.power_w), model_provenance_label(model));
    }
    if (confirmation) {
      fmt::print("confirmation on {}: {} of at most {} modes measured near the budget ({} {} bs{}; {}):\n",
                 confirmation->backend->name(), measured.size(), o.confirm, confirmation->workload.workload,
                 confirmation->workload.task, confirmation->workload.batch_size,
                 profile::describe_provenance(confirmation->provenance));
      for (const auto& m : measured)
        fmt::print("  {}: {:.2f} ms, {:.2f} W, {:.3f} J{}\n", m.mode.describe(), m.point.time_ms, m.point.power_w,
                   m.point.energy_j(), m.point.power_w <= o.power_w ? "" : " (over the budget)");
      if (c)
        fmt::print("measured answer: {}: {:.2f} ms per minibatch at {:.2f} W, {:.3f} J (predicted {:.2f} ms, {:.2f} W); "
                   "{} the predicted recommendation\n",
                   c->mode.describe(), c->measured.time_ms, c->measured.power_w, c->measured.energy_j(),
                   c->predicted_time_ms, c->predicted_power_w, same_mode ? "the same mode as" : "another mode than");
      fmt::print("{}: {}\n", confirmed ? "confirmed" : "NOT confirmed", reason);
    }
  }
  if (!o.nvpmodel_out.empty()) {
    // the measured answer when there is one, else the prediction
    const bool use_measured = c.has_value();
    if (!use_measured && !r) throw Error("no mode to write to {}: nothing was within {} W", o.nvpmodel_out, o.power_w);
    const device::PowerMode& mode = use_measured ? c->mode : r->mode;
    std::string name = o.nvpmodel_name.empty() ? fmt::format("MODEWISE_{}W", util::format_number(o.power_w)) : o.nvpmodel_name;
    std::string why = use_measured
                          ? fmt::format("measured {:.2f} ms per minibatch at {:.2f} W on {}", c->measured.time_ms,
                                        c->measured.power_w, confirmation->backend->name())
                          : fmt::format("predicted {:.2f} ms per minibatch at {:.2f} W; {}", r->time_ms, r->power_w,
                                        model_provenance_label(model));
    std::string block = optimize::nvpmodel_block(
        spec, mode, o.nvpmodel_id, name,
        {fmt::format("modewise {}: {} {} within {} W (lowest {} {})", MODEWISE_VERSION, model.info.workload,
                     model.info.task, util::format_number(o.power_w), use_measured ? "measured" : "predicted",
                     o.objective),
         why, "Append to /etc/nvpmodel.conf and select it with: sudo nvpmodel -m " + std::to_string(o.nvpmodel_id)});
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
  cmd->add_flag("--json", o->json, "JSON output: {\"mode\":{...},\"time_ms\":..,\"power_w\":..,...}; with --confirm also "
                "\"measured\":[...], \"confirmed_mode\":{...}, \"confirmed\":true|false, \"confirmation\":{...}");
  cmd->add_option("--nvpmodel-out", o->nvpmodel_out, "Write the mode as a custom POWER_MODEL block (nvpmodel.conf format)");
  cmd->add_option("--nvpmodel-id", o->nvpmodel_id, "ID of that POWER_MODEL block")->capture_default_str();
  cmd->add_option("--nvpmodel-name", o->nvpmodel_name, "NAME of that POWER_MODEL block (default MODEWISE_<budget>W)");
  cmd->add_option("--confirm", o->confirm,
                  "Confirm by measuring at most K modes near the budget on the --device backend (sim:<device>, "
                  "replay:FILE.csv, jetson); 0: predictions only")
      ->capture_default_str();
  cmd->add_option("--workload", o->workload, "Workload measured by --confirm (default: the model's)");
  cmd->add_option("--task", o->task, "train or infer, for --confirm (default: the model's)")
      ->check(CLI::IsMember({"train", "infer"}));
  cmd->add_option("--batch-size", o->batch_size, "Minibatch size for --confirm (default: the model's)")
      ->check(CLI::Range(1, 65536));
  cmd->add_option("--seed", o->seed, "Seed of the emulator's measurement noise (sim:)")->capture_default_str();
  cmd->add_option("--known", o->known,
                  "With --confirm: a profile CSV of modes measured already (the profile the model was transferred "
                  "from); they correct the predictions near them and may be the answer, at no measurement");
  cmd->add_option("--confirm-tolerance-pct", o->confirm_tolerance_pct,
                  "Confirmed: the measured answer is within the budget and its measured objective at most this many "
                  "percent worse than predicted")
      ->capture_default_str();
  cmd->callback([o, &g] { run_recommend(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
