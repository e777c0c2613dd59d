// `modewise eval cosched`: how well each strategy answers a large set of co-scheduling configurations
// (workload pairs x arrival rates x latency budgets x power budgets), judged on the TRUE (noise-free)
// profiles. Per workload pair the true table is computed once; budgets are set relative to the pair so every
// pair gets easy, tight and impossible configurations:
//   rate     = fraction x the inference capacity at the top mode (max over b of b / t_I(top, b))
//   latency  = factor x the lowest worst-case latency any (mode, b) achieves at that rate
//   power    = evenly spaced levels between the lowest and the highest average power at that rate
// Strategies profile through a (possibly noisy) oracle: gmd and random per configuration, als and powertrain
// once per pair (their profiled modes serve every budget of the pair).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "modewise/cosched/planner.h"

namespace modewise::cosched {

struct EvalOptions {
  std::string device = "orin-agx";
  std::string grid;  // "" = default_grid
  std::vector<std::string> train_workloads = {"resnet18", "resnet50", "mobilenetv3", "yolov8n", "bert-base",
                                              "bert-large", "lstm"};
  std::vector<std::string> infer_workloads = {"resnet18", "resnet50", "mobilenetv3", "yolov8n", "bert-base",
                                              "bert-large", "lstm"};
  int train_batch_size = 16;
  std::vector<int> infer_batch_sizes = {1, 4, 16, 32, 64};
  std::vector<double> rate_fractions = {0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75};
  std::vector<double> latency_factors = {1.05, 1.1, 1.2, 1.3, 1.5, 1.75, 2, 2.5, 3, 4, 5, 7, 10, 20};
  int power_levels = 15;
  std::vector<Strategy> strategies = {Strategy::exhaustive, Strategy::gmd, Strategy::als, Strategy::random,
                                      Strategy::powertrain};
  PlannerOptions planner;
  NoiseModel noise;  // measurement noise of the profiling oracle (seed varied per pair)
  int als_scenarios = 200;
  int threads = 2;
};

struct StrategyStats {
  Strategy strategy{};
  size_t feasible_configs = 0;   // configurations the true optimum can satisfy
  size_t met = 0;                // of those, answers meeting both budgets on the true profiles
  size_t claimed_infeasible = 0; // of those, answers that said "feasible": false
  size_t false_feasible = 0;     // infeasible configurations answered "feasible": true
  double rel_throughput_met = 0;  // mean true throughput / optimum over the met answers
  // Tolerant judgement (docs/COSCHED.md): met when neither budget is exceeded by more than the measurement noise
  // (latency <= L x (1 + time sd), power <= P x (1 + power sd)); equal to `met` without noise. The throughput
  // ratio is against the strict optimum, so it can exceed 1 for an answer that uses the tolerance.
  size_t met_tolerant = 0;
  double rel_throughput_met_tolerant = 0;
  double rel_throughput_all = 0;  // the same over every feasible configuration (a miss counts 0)
  double profiled_mean = 0;       // distinct modes profiled per answer (per pair for als/powertrain)
  int profiled_max = 0;
  double measurements_mean = 0;   // profiling runs per answer: distinct modes plus re-measurements
  int measurements_max = 0;
  double seconds = 0;             // CPU seconds spent in the strategy (planning, not table building)
  // Where the misses come from (feasible configurations only; docs/COSCHED.md, "Where the misses come from").
  size_t infeasible_feasible_measured = 0;  // said infeasible although a measured mode truly meets both budgets
  size_t broke_within_noise = 0;  // answered feasible, truly breaks a budget by at most the noise (tolerant met)
  size_t broke_beyond_noise = 0;  // answered feasible, truly breaks a budget by more than the noise
  size_t tight_configs = 0;       // with noise: the optimum's slack is under one propagated noise sd
  size_t met_tight = 0;           // met answers among the tight configurations
  // Over the met answers, the mean throughput lost (fraction of the optimum) because the optimum's mode was not
  // measured (search: the best truly feasible measured choice / optimum) and because a worse measured choice was
  // taken (choice: margins and noise).
  double loss_search_met = 0, loss_choice_met = 0;
  double met_share() const { return feasible_configs ? double(met) / feasible_configs : 0.0; }
  double met_tolerant_share() const { return feasible_configs ? double(met_tolerant) / feasible_configs : 0.0; }
};

struct EvalReport {
  std::string device, grid;
  size_t pairs = 0, configs = 0, feasible_configs = 0, modes = 0;
  std::vector<StrategyStats> strategies;
  double wall_seconds = 0;
  double cpu_seconds = 0;  // of the whole evaluation, all threads
  NoiseModel noise;
};

// progress(done_pairs, total_pairs)
EvalReport run_eval(const EvalOptions& options, const std::function<void(size_t, size_t)>& progress = {});

}  // namespace modewise::cosched
