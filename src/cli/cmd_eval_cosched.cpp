// modewise eval cosched: every strategy over a large set of co-scheduling configurations on the emulator,
// judged on the true (noise-free) profiles.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/eval_group.h"
#include "modewise/cosched/eval.h"
#include "modewise/util/error.h"
#include "modewise/util/progress.h"
#include "modewise/util/strings.h"
#include "modewise/util/table.h"

namespace modewise::cli {
namespace {

struct EvalCoschedOptions {
  std::string device = "orin-agx";
  std::string grid;
  std::string train_workloads, infer_workloads;  // empty: the defaults
  std::string rate_fractions, latency_factors;
  int power_levels = 15;
  std::string strategies = "exhaustive,gmd,als,random,powertrain";
  std::string infer_batch_sizes = "1,4,16,32,64";
  int train_batch_size = 16;
  double noise_pct = 0;
  double safety_z = cosched::kDefaultSafetyZ;
  int gmd_repeats = cosched::kDefaultGmdRepeats;
  int als_repeats = cosched::PlannerOptions{}.als_repeats;
  int als_refine_modes = cosched::PlannerOptions{}.als_refine_modes;
  int smooth_min_modes = cosched::kDefaultSmoothMinModes;
  double als_safety_z = cosched::kDefaultAlsSafetyZ;
  int threads = 2;
  uint64_t seed = 1;
  bool json = false;
  bool breakdown = false;
};

std::vector<std::string> names(const std::string& text, const std::vector<std::string>& fallback) {
  if (text.empty()) return fallback;
  std::vector<std::string> v;
  for (const auto& s : util::split(text, ','))
    if (!util::trim(s).empty()) v.push_back(util::trim(s));
  return v;
}

void run_eval_cosched(const EvalCoschedOptions& o) {
  cosched::EvalOptions e;
  std::string dev = o.device;
  if (util::starts_with(dev, "sim:")) dev = dev.substr(4);
  if (util::starts_with(dev, "replay:") || dev == "jetson")
    throw UsageError("eval cosched runs on the emulator: --device sim:<device> or a built-in name");
  e.device = dev;
  e.grid = o.grid;
  e.train_workloads = names(o.train_workloads, e.train_workloads);
  e.infer_workloads = names(o.infer_workloads, e.infer_workloads);
  if (!o.rate_fractions.empty()) e.rate_fractions = util::parse_double_list(o.rate_fractions, "--rate-fractions");
  if (!o.latency_factors.empty()) e.latency_factors = util::parse_double_list(o.latency_factors, "--latency-factors");
  for (double f : e.rate_fractions)
    if (!(f > 0 && f < 1)) throw UsageError("--rate-fractions: each fraction must be in (0, 1), found {}", f);
  for (double g : e.latency_factors)
    if (!(g >= 1)) throw UsageError("--latency-factors: each factor must be >= 1, found {}", g);
  if (o.power_levels < 1) throw UsageError("--power-levels must be >= 1");
  e.power_levels = o.power_levels;
  e.strategies.clear();
  for (const auto& s : names(o.strategies, {})) e.strategies.push_back(cosched::parse_strategy(s));
  if (e.strategies.empty()) throw UsageError("--strategies: name at least one strategy");
  e.infer_batch_sizes = util::parse_int_list(o.infer_batch_sizes, "--infer-batch-sizes");
  e.train_batch_size = o.train_batch_size;
  if (o.noise_pct < 0 || o.noise_pct > 50) throw UsageError("--noise-pct must be within 0..50");
  e.noise = {o.noise_pct / 100.0, o.noise_pct / 100.0, o.seed};
  e.planner.safety_z = o.safety_z;
  e.planner.gmd_repeats = o.gmd_repeats;
  if (o.als_repeats > o.als_refine_modes)
    throw UsageError("--als-repeats ({}) must not exceed --als-refine-modes ({})", o.als_repeats, o.als_refine_modes);
  e.planner.als_repeats = o.als_repeats;
  e.planner.als_refine_modes = o.als_refine_modes;
  e.planner.smooth_min_modes = o.smooth_min_modes;
  e.planner.als_safety_z = o.als_safety_z;
  e.planner.seed = o.seed;
  e.threads = std::max(1, o.threads);

  info(fmt::format("evaluating on emulated profiles (sim:{}), {} workload pairs", e.device,
                   e.train_workloads.size() * e.infer_workloads.size()));
  util::Progress progress("eval cosched", e.train_workloads.size() * e.infer_workloads.size(),
                          util::Progress::stderr_is_terminal());
  const cosched::EvalReport r = cosched::run_eval(e, [&](size_t done, size_t) { progress.update(done); });
  progress.finish();

  if (o.json) {
    nlohmann::json strategies = nlohmann::json::array();
    for (const auto& s : r.strategies)
      strategies.push_back({{"strategy", cosched::to_string(s.strategy)},
                            {"feasible_configs", s.feasible_configs},
                            {"met", s.met},
                            {"met_share", s.met_share()},
                            {"claimed_infeasible", s.claimed_infeasible},
                            {"false_feasible", s.false_feasible},
                            {"rel_throughput_met", s.rel_throughput_met},
                            {"met_tolerant", s.met_tolerant},
                            {"met_tolerant_share", s.met_tolerant_share()},
                            {"rel_throughput_met_tolerant", s.rel_throughput_met_tolerant},
                            {"rel_throughput_all", s.rel_throughput_all},
                            {"profiled_modes_mean", s.profiled_mean},
                            {"profiled_modes_max", s.profiled_max},
                            {"measurements_mean", s.measurements_mean},
                            {"measurements_max", s.measurements_max},
                            {"cpu_s", s.seconds},
                            {"misses",
                             {{"said_infeasible", s.claimed_infeasible},
                              {"said_infeasible_with_feasible_measured", s.infeasible_feasible_measured},
                              {"broke_within_noise", s.broke_within_noise},
                              {"broke_beyond_noise", s.broke_beyond_noise},
                              {"tight_configs", s.tight_configs},
                              {"met_tight", s.met_tight},
                              {"loss_search_met", s.loss_search_met},
                              {"loss_choice_met", s.loss_choice_met}}}});
    std::cout << nlohmann::json{{"device", r.device},
                                {"grid", r.grid},
                                {"provenance", "emulated"},
                                {"modes", r.modes},
                                {"pairs", r.pairs},
                                {"configs", r.configs},
                                {"feasible_configs", r.feasible_configs},
                                {"noise_pct", o.noise_pct},
                                {"wall_s", r.wall_seconds},
                                {"cpu_s", r.cpu_seconds},
                                {"strategies", strategies}}
                     .dump(2)
              << "\n";
    return;
  }
  const bool noisy = o.noise_pct > 0;
  std::vector<std::string> head = {"strategy", "budgets_met_%", "rel_thr_met_%", "rel_thr_all_%", "said_infeasible",
                                   "modes_mean", "modes_max", "meas_mean", "meas_max", "cpu_s"};
  if (noisy) head.insert(head.begin() + 3, {"met_tolerant_%", "rel_thr_met_tolerant_%"});
  util::TextTable t(head);
  for (const auto& s : r.strategies) {
    std::vector<std::string> row = {cosched::to_string(s.strategy), fmt::format("{:.2f}", 100 * s.met_share()),
                                    fmt::format("{:.2f}", 100 * s.rel_throughput_met),
                                    fmt::format("{:.2f}", 100 * s.rel_throughput_all),
                                    std::to_string(s.claimed_infeasible), fmt::format("{:.1f}", s.profiled_mean),
                                    std::to_string(s.profiled_max), fmt::format("{:.1f}", s.measurements_mean),
                                    std::to_string(s.measurements_max), fmt::format("{:.1f}", s.seconds)};
    if (noisy)
      row.insert(row.begin() + 3, {fmt::format("{:.2f}", 100 * s.met_tolerant_share()),
                                   fmt::format("{:.2f}", 100 * s.rel_throughput_met_tolerant)});
    t.add(row);
  }
  t.print(std::cout);
  if (o.breakdown) {
    // Where the misses come from (feasible configurations): docs/COSCHED.md, "Where the misses come from".
    util::TextTable b({"strategy", "feasible", "met", "said_infeasible", "infeasible_but_feasible_measured",
                       "broke_within_noise", "broke_beyond_noise", "tight_configs", "met_tight",
                       "loss_search_met_%", "loss_choice_met_%"});
    for (const auto& s : r.strategies)
      b.add({cosched::to_string(s.strategy), std::to_string(s.feasible_configs), std::to_string(s.met),
             std::to_string(s.claimed_infeasible), std::to_string(s.infeasible_feasible_measured),
             std::to_string(s.broke_within_noise), std::to_string(s.broke_beyond_noise),
             std::to_string(s.tight_configs), std::to_string(s.met_tight),
             fmt::format("{:.2f}", 100 * s.loss_search_met), fmt::format("{:.2f}", 100 * s.loss_choice_met)});
    std::cout << "\n";
    b.print(std::cout);
  }
  info(fmt::format("{} configurations ({} feasible) over {} pairs, {} modes of grid '{}', noise {}%: {:.1f} s wall, "
                   "{:.1f} s CPU; emulated (sim:{})",
                   r.configs, r.feasible_configs, r.pairs, r.modes, r.grid, util::format_number(o.noise_pct),
                   r.wall_seconds, r.cpu_seconds, r.device));
}

Registrar reg(91, "eval cosched", [](CLI::App& app, GlobalOptions&) {
  auto o = std::make_shared<EvalCoschedOptions>();
  auto* cmd = eval_group(app)->add_subcommand(
      "cosched", "Co-scheduling strategies over many configurations (pairs x rates x latency x power budgets), "
                 "judged on the true emulated profiles");
  cmd->add_option("--device", o->device, "Emulated device (sim:<device> or a built-in name)")->capture_default_str();
  cmd->add_option("--grid", o->grid, "Mode grid (default: fulcrum where the device has it)");
  cmd->add_option("--train-workloads", o->train_workloads, "Comma-separated training workloads (default: all 7)");
  cmd->add_option("--infer-workloads", o->infer_workloads, "Comma-separated inference workloads (default: all 7)");
  cmd->add_option("--rate-fractions", o->rate_fractions,
                  "Arrival rates as fractions of the inference capacity at the top mode (default 10 values 0.02..0.75)");
  cmd->add_option("--latency-factors", o->latency_factors,
                  "Latency budgets as multiples of the lowest achievable latency (default 14 values 1.05..20)");
  cmd->add_option("--power-levels", o->power_levels, "Power budgets per rate, evenly spaced between the lowest and "
                                                     "highest average power")
      ->capture_default_str();
  cmd->add_option("--strategies", o->strategies, "Strategies to evaluate")->capture_default_str();
  cmd->add_option("--infer-batch-sizes", o->infer_batch_sizes, "Candidate inference batch sizes")->capture_default_str();
  cmd->add_option("--train-batch-size", o->train_batch_size, "Training minibatch size")->capture_default_str()
      ->check(CLI::Range(1, 65536));
  cmd->add_option("--noise-pct", o->noise_pct, "Measurement noise of profiling (relative sd, %)")->capture_default_str();
  cmd->add_option("--safety-z", o->safety_z, "Safety margin on measured constraints, in propagated noise sds (GMD, random, exhaustive)")->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--gmd-repeats", o->gmd_repeats,
                  "With noise: measurements of GMD's 15 kept after its search for its local fit (a neighbour of the candidate answer, then re-measurements of it)")
      ->capture_default_str()
      ->check(CLI::Range(0, 14));
  cmd->add_option("--als-repeats", o->als_repeats,
                  "With noise: measurements of ALS's per-answer refinement kept for its candidate answer's local fit (a "
                  "neighbour completing a pair along an axis, then re-measurements of it)")
      ->capture_default_str()
      ->check(CLI::Range(0, 49));
  cmd->add_option("--als-refine-modes", o->als_refine_modes,
                  "With noise: of ALS's 50 measurements per answer, those kept for the budget-specific refinement "
                  "(new modes, then re-measurements); the rest are shared by all budgets of a workload pair (without "
                  "noise: 10)")
      ->capture_default_str()
      ->check(CLI::Range(0, 49));
  cmd->add_option("--als-safety-z", o->als_safety_z, "ALS's safety margin, in propagated noise sds (of its averaged, locally fitted or smoothed values)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--smooth-min-modes", o->smooth_min_modes,
                  "With noise: smooth the measured modes' values with a surrogate fitted on all of them once at "
                  "least this many modes are measured (0: off, raw measurements)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--threads", o->threads, "Worker threads (pairs run in parallel)")->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--seed", o->seed, "Seed (noise, sampling)")->capture_default_str();
  cmd->add_flag("--json", o->json, "JSON output");
  cmd->add_flag("--breakdown", o->breakdown,
                "Also print where the misses come from (said infeasible, budgets broken within / beyond the noise, "
                "configurations tighter than one noise sd, throughput lost to search and to the choice)");
  cmd->callback([o] { run_eval_cosched(*o); });
});

}  // namespace
}  // namespace modewise::cli
