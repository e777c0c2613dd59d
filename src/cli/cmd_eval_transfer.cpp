// modewise eval transfer: accuracy of transfers (MAPE over every mode of NEW) and quality of the modes they
// recommend (against NEW's true optimum over power budgets), per method and number of profiled modes.
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/eval_group.h"
#include "cli/model_args.h"
#include "modewise/optimize/transfer_eval.h"
#include "modewise/predict/sampling.h"
#include "modewise/util/error.h"
#include "modewise/util/progress.h"
#include "modewise/util/strings.h"
#include "modewise/util/table.h"

namespace modewise::cli {
namespace {

struct EvalTransferCliOptions {
  std::string ref, fresh, ref_device, new_device;
  std::string samples = "10,20,50,100", methods;
  int repeats = 10, budgets = 25;
  double safety_pct = 0, tolerance_pct = -1, sd_multiplier = optimize::kDefaultSdMultiplier;
  std::string sampling = "random";
  std::string features, hidden, dropout;
  std::string time_features = "log", power_features = "raw";
  std::string prior = adaptive_defaults().transfer.prior;
  bool dropout_given = false, finetune_default_ref = false;
  uint64_t seed = 1;
  bool json = false, per_budget = false;
  int confirm = 0;
  bool confirm_without_profile = false;
  int adaptive_initial = 10, adaptive_batch = 5;
  std::string adaptive_score = "imse", adaptive_first = adaptive_defaults().first_batch;
  double adaptive_power_weight = adaptive_defaults().power_weight;
  double adaptive_front_weight = adaptive_defaults().front_weight;
};

std::string provenance_note(const std::string& p) {
  return p == "emulated" ? "emulated (sim), not measured" : p;
}

void run_eval_transfer(const EvalTransferCliOptions& o, const GlobalOptions& g) {
  optimize::TransferEvalOptions opt;
  opt.samples = parse_int_list_arg(o.samples, "--samples", 1, 1000000);
  opt.repeats = o.repeats;
  opt.budgets = o.budgets;
  opt.caution.safety = o.safety_pct / 100.0;
  opt.caution.sd_multiplier = o.sd_multiplier;
  opt.sampling = o.sampling;
  opt.confirm.measurements = o.confirm;
  opt.confirm_uses_profile = !o.confirm_without_profile;
  opt.violation_tolerance = o.tolerance_pct < 0 ? -1 : o.tolerance_pct / 100.0;
  opt.seed = o.seed;
  if (!o.methods.empty()) opt.methods = util::split(o.methods, ',');
  for (auto& m : opt.methods) m = util::trim(m);
  if (!o.features.empty()) {
    predict::check_feature_set(o.features);
    opt.fit.features.name = o.features;
  }
  if (!o.hidden.empty() || o.dropout_given)
    opt.fit.arch = predict::MlpArch::parse(
        o.hidden.empty() ? fmt::format("{}", fmt::join(opt.fit.arch.hidden, ",")) : o.hidden, o.dropout);
  opt.use_mlp_fit = !o.finetune_default_ref;
  opt.transfer.correction_features.name = o.time_features;
  opt.transfer.power_correction_features.name = o.power_features;
  opt.transfer.prior = o.prior;
  opt.adaptive.initial = static_cast<size_t>(o.adaptive_initial);
  opt.adaptive.batch = static_cast<size_t>(o.adaptive_batch);
  opt.adaptive.score = o.adaptive_score;
  opt.adaptive.first_batch = o.adaptive_first;
  opt.adaptive.power_weight = o.adaptive_power_weight;
  opt.adaptive.front_weight = o.adaptive_front_weight;
  opt.adaptive.transfer = opt.transfer;  // adaptive steps transfer with gp (the default), whatever --methods
  profile::Profile ref, fresh;
  std::vector<profile::ProfileRow> ref_rows = load_profile_rows(o.ref, {}, &ref);
  std::vector<profile::ProfileRow> new_rows = load_profile_rows(o.fresh, {}, &fresh);
  ref.rows = ref_rows;
  fresh.rows = new_rows;
  device::DeviceSpec ref_spec = device_for_rows(o.ref_device, ref_rows, o.ref, g);
  device::DeviceSpec new_spec = device_for_rows(o.new_device, new_rows, o.fresh, g);
  std::optional<util::Progress> progress;
  opt.progress = [&](size_t done, size_t total, const std::string& what) {
    if (!progress) progress.emplace("eval transfer", total, util::Progress::stderr_is_terminal());
    progress->update(done, what);
  };
  info(fmt::format("fitting the reference model on {} ...", o.ref));
  optimize::TransferEvalResult r = optimize::evaluate_transfer(ref_spec, ref, new_spec, fresh, opt);
  if (progress) progress->finish();
  if (o.json) {
    std::cout << optimize::to_json(r).dump(1) << "\n";
    return;
  }
  fmt::print("reference: {} ({} modes, fit in {:.1f} s) from {}\n", r.ref_label, r.ref_modes, r.fit_s, r.ref_source);
  if (r.mlp_fit_s > 0)
    fmt::print("fine-tuning methods start from the published reference network (raw inputs, 256-128-64, dropout "
               "0.4/0.3; fit in {:.1f} s)\n", r.mlp_fit_s);
  fmt::print("new:       {} ({} modes, {}) from {}\n", r.new_label, r.new_modes, provenance_note(r.provenance),
             r.new_source);
  fmt::print("MAPE over all {} modes of NEW: median of {} repeats. Optimization over {} budgets from {:.1f} to {:.1f} W: "
             "gap = true time of the recommended mode vs the true optimum; violations = true power above the budget "
             "by more than {}%.\n",
             r.new_modes, o.repeats, r.budgets_w.size(), r.budgets_w.front(), r.budgets_w.back(),
             util::format_number(std::round(1000 * r.violation_tolerance) / 10));
  if (o.confirm > 0)
    fmt::print("sampling: {}; recommendations confirmed by measuring up to {} candidates near each budget (fresh "
               "noise of each mode's standard error){}; no caution margin\n",
               r.sampling, o.confirm,
               o.confirm_without_profile ? "" : ", the transfer's profiled modes counting as measured");
  else
    fmt::print("sampling: {}; caution: {}% safety margin, {} standard deviations of the model's power uncertainty\n",
               r.sampling, util::format_number(o.safety_pct), util::format_number(o.sd_multiplier));
  util::TextTable t({"method", "samples", "time_mape_%", "power_mape_%", "mean_gap_%", "max_gap_%", "within_5%",
                     "violations", "max_over_%", "no_mode", "transfer_s", "sampling_s", "confirm_modes"});
  for (const auto& c : r.cells) {
    bool preset = c.method == "nvpmodel-preset";
    t.add({c.method, preset ? "-" : std::to_string(c.samples),
           preset ? "-" : fmt::format("{:.2f}", c.median_mape_time_pct),
           preset ? "-" : fmt::format("{:.2f}", c.median_mape_power_pct), fmt::format("{:.2f}", c.mean_gap_pct),
           fmt::format("{:.2f}", c.max_gap_pct), fmt::format("{:.0f}%", 100 * c.within_5pct),
           fmt::format("{}/{}", c.violations, c.recommendations), fmt::format("{:.2f}", c.max_violation_pct),
           std::to_string(c.no_recommendation), preset ? "-" : fmt::format("{:.3f}", c.mean_transfer_s),
           preset ? "-" : fmt::format("{:.3f}", c.mean_sampling_s),
           preset || o.confirm <= 0 ? "-" : fmt::format("{:.1f}", c.mean_confirm_measurements)});
  }
  t.print(std::cout);
  if (!o.per_budget) return;
  for (const auto& c : r.cells) {
    fmt::print("\n{} {}: per budget (over {} repeats)\n", c.method,
               c.method == "nvpmodel-preset" ? "" : fmt::format("x{}", c.samples), c.method == "nvpmodel-preset" ? 1 : o.repeats);
    util::TextTable b({"budget_w", "optimum_ms", "mean_gap_%", "max_gap_%", "within_5%", "violations", "no_mode"});
    for (const auto& s : c.per_budget)
      b.add({fmt::format("{:.2f}", s.budget_w), std::isnan(s.optimum_ms) ? "-" : fmt::format("{:.1f}", s.optimum_ms),
             fmt::format("{:.2f}", s.mean_gap_pct), fmt::format("{:.2f}", s.max_gap_pct),
             s.recommendations ? fmt::format("{:.0f}%", 100 * s.within_5pct) : "-",
             fmt::format("{}/{}", s.violations, s.recommendations), std::to_string(s.no_recommendation)});
    b.print(std::cout);
  }
}

Registrar reg(90, "eval transfer", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<EvalTransferCliOptions>();
  CLI::App* eval = eval_group(app);
  auto* cmd = eval->add_subcommand("transfer",
                                   "Evaluate transfer methods: MAPE over every mode of NEW and recommendation quality");
  cmd->add_option("--ref", o->ref, "Reference profile CSV (fitted once)")->required();
  cmd->add_option("--new", o->fresh, "Profile CSV of the new workload/device covering the modes to evaluate")->required();
  cmd->add_option("--ref-device", o->ref_device, "Device of REF (default: its device column)");
  cmd->add_option("--new-device", o->new_device, "Device of NEW (default: its device column)");
  cmd->add_option("--samples", o->samples, "Profiled modes of NEW given to each transfer")->capture_default_str();
  cmd->add_option("--repeats", o->repeats, "Seeds per count (MAPE is the median over them). Each seed is a new draw only for random sampling; "
                  "for spread it picks one of the opposite-corner pairs that start the design (at most 4 distinct "
                  "designs), for adaptive that pair and the GP fits' starts (a few distinct runs); NEW's rows are the "
                  "same for every seed, only --confirm's repeated measurements draw fresh noise per seed")->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--methods", o->methods,
                  "Transfer methods, comma separated (default: gp,residual,powertrain,ensemble,scratch,linear,poly,gbt)");
  cmd->add_option("--budgets", o->budgets, "Power budgets from NEW's minimum to maximum power")->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--safety-pct", o->safety_pct, "Recommend with predicted power this many percent below the budget")
      ->capture_default_str();
  cmd->add_option("--tolerance-pct", o->tolerance_pct,
                  "Budget overshoot counted as noise, not as a violation (default: NEW's median power_sd_w/power_w)");
  cmd->add_option("--sampling", o->sampling,
                  "Which modes of NEW a transfer gets: random, spread (space-filling) or adaptive (chosen step by "
                  "step from gp transfers of the reference; a step's measurement is NEW's row)")
      ->check(CLI::IsMember([] {
        auto n = predict::sampling_names();
        n.push_back("adaptive");
        return n;
      }()))
      ->capture_default_str();
  cmd->add_option("--adaptive-initial", o->adaptive_initial, "adaptive: modes of the first batch (chosen without a model, --adaptive-first)")
      ->capture_default_str()
      ->check(CLI::Range(predict::kMinTransferModes, 1000000));
  cmd->add_option("--adaptive-batch", o->adaptive_batch, "adaptive: modes chosen per step after the first batch")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--adaptive-score", o->adaptive_score,
                  "adaptive: imse (integrated variance reduction of the gp posteriors) or sd (uncertainty x "
                  "diversity)")
      ->check(CLI::IsMember({"imse", "sd"}))
      ->capture_default_str();
  cmd->add_option("--adaptive-first", o->adaptive_first, "adaptive: the first batch, spread, prior or random")
      ->check(CLI::IsMember({"spread", "prior", "random"}))
      ->capture_default_str();
  cmd->add_option("--adaptive-power-weight", o->adaptive_power_weight,
                  "adaptive: weight of log-power variance against log-time variance")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--adaptive-front-weight", o->adaptive_front_weight,
                  "adaptive: extra weight of modes on the predicted Pareto front")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--sd-multiplier", o->sd_multiplier,
                  "Recommend on predicted power x exp(k x its predicted log sd) where the model knows it")
      ->capture_default_str();
  cmd->add_option("--features", o->features, "Reference model inputs (fit --features)");
  cmd->add_option("--hidden", o->hidden, "Reference MLP hidden sizes (fit --hidden)");
  cmd->add_option("--dropout", o->dropout, "Reference MLP dropout (fit --dropout)")
      ->each([o](const std::string&) { o->dropout_given = true; });
  cmd->add_flag("--finetune-default-ref", o->finetune_default_ref,
                "Fine-tuning methods start from the default reference instead of the published network");
  cmd->add_option("--time-features", o->time_features, "gp, residual: inputs of the time correction (transfer --time-features)")
      ->check(CLI::IsMember(predict::feature_set_names()))
      ->capture_default_str();
  cmd->add_option("--power-features", o->power_features,
                  "gp, residual: inputs of the power correction (transfer --power-features)")
      ->check(CLI::IsMember(predict::feature_set_names()))
      ->capture_default_str();
  cmd->add_option("--prior", o->prior,
                  "gp: offset of the corrections: none (the reference's prediction), bottleneck (a structural time and "
                  "power model fitted to NEW's profiled modes) or auto (per target, the lower honest leave-one-out "
                  "error; transfer --prior)")
      ->check(CLI::IsMember({"none", "bottleneck", "auto"}))
      ->capture_default_str();
  cmd->add_option("--confirm", o->confirm,
                  "Confirm each recommendation by measuring up to N candidates near the budget (0: predictions "
                  "only, with the caution of --sd-multiplier/--safety-pct)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  cmd->add_flag("--confirm-without-profile", o->confirm_without_profile,
                "--confirm: do not count the transfer's profiled modes as measured candidates (by default they may be "
                "the answer and correct the predictions near them, at no measurement)");
  cmd->add_option("--seed", o->seed, "Seed for the samples and training")->capture_default_str();
  cmd->add_flag("--json", o->json, "JSON output");
  cmd->add_flag("--per-budget", o->per_budget, "Also print recommendation quality per budget");
  cmd->callback([o, &g] { run_eval_transfer(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
