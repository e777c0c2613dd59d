// modewise cosched plan|simulate|run: co-schedule a training and an inference job on one board (Fulcrum).
//   plan      choose the power mode and inference batch size (exhaustive, gmd, als, random, powertrain)
//   simulate  discrete-event simulation of managed interleaving (steady, Poisson or trace arrivals)
//   run       the real managed-interleaving runtime with emulated jobs (and the native baseline)
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "modewise/device/device_spec.h"
#include "modewise/cosched/des.h"
#include "modewise/cosched/planner.h"
#include "modewise/cosched/runtime.h"
#include "modewise/device/grid.h"
#include "modewise/profile/profile.h"
#include "modewise/sim/emulator.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"
#include "modewise/util/table.h"

namespace modewise::cli {
namespace {

using util::format_number;

// Options shared by the three subcommands.
struct ProblemOptions {
  std::string device = "sim:orin-agx";
  std::string train_workload, infer_workload;
  int train_batch_size = 16;
  std::string infer_batch_sizes = "1,4,16,32,64";
  std::string grid;
  double arrival_rate = 0;
  bool json = false;
  bool train_batch_given = false, infer_batches_given = false;
};

void add_problem_options(CLI::App* cmd, ProblemOptions& o) {
  cmd->add_option("--device", o.device, "sim:<device> (emulated; a bare name means sim:<name>) or replay:FILE.csv "
                                        "(rows of both workloads, task train and infer)")
      ->capture_default_str();
  cmd->add_option("--train-workload", o.train_workload, "Training workload (resnet18, resnet50, ...)")->required();
  cmd->add_option("--infer-workload", o.infer_workload, "Inference workload")->required();
  cmd->add_option("--arrival-rate", o.arrival_rate, "Inference requests per second")->required();
  cmd->add_option("--train-batch-size", o.train_batch_size, "Training minibatch size B_T")->capture_default_str();
  cmd->add_option("--grid", o.grid, "Mode grid (default: fulcrum where the device has it, else powertrain, else full)");
}

cosched::Problem open(const ProblemOptions& o, const std::vector<int>& infer_sizes, bool sizes_explicit) {
  cosched::Workloads w{o.train_workload, o.infer_workload, o.train_batch_size, infer_sizes};
  cosched::Problem p = cosched::open_problem(o.device, w, o.grid, o.train_batch_given, sizes_explicit);
  if (p.replayed)
    info(fmt::format("note: numbers below are {} ({})", profile::describe_provenance(p.provenance), o.device));
  else
    info(fmt::format("note: numbers below are emulated (sim:{}), not measured", p.device));
  return p;
}

nlohmann::json mode_json(const device::PowerMode& m) { return device::mode_to_json(m); }

// "maxn", an nvpmodel preset, "12c/2201.6/1300.5/3199" or "12,2201.6,1300.5,3199"; must be in the problem's lattice.
size_t parse_mode(const cosched::Problem& p, const std::string& text) {
  device::PowerMode m;
  std::string t = text;
  if (t.find('/') != std::string::npos || t.find(',') != std::string::npos) {
    for (char& ch : t)
      if (ch == '/') ch = ',';
    if (!t.empty() && (t.find('c') != std::string::npos)) t.erase(t.find('c'), 1);
    auto v = util::parse_double_list(t, "--mode");
    if (v.size() != 4) throw UsageError("--mode: expected cores,cpu_mhz,gpu_mhz,emc_mhz (or 12c/2201.6/1300.5/3199), found '{}'", text);
    m = {static_cast<int>(v[0]), v[1], v[2], v[3]};
  } else if (p.spec) {
    m = device::named_mode(*p.spec, text);
  } else if (util::to_lower(text) == "maxn") {
    const auto& a = p.lattice.axes();
    m = {a.cores.back(), a.cpu_mhz.back(), a.gpu_mhz.back(), a.emc_mhz.back()};
  } else {
    throw UsageError("--mode: with replay:FILE give the mode as cores,cpu_mhz,gpu_mhz,emc_mhz or maxn");
  }
  auto i = p.lattice.find(m);
  if (!i || !p.lattice.available(*i))
    throw Error("mode {} is not in the {} grid ({} modes; see `modewise modes --grid {}`)", m.key(), p.grid,
                p.lattice.available_count(), p.grid);
  return *i;
}

// ---- plan ----

struct PlanOptions : ProblemOptions {
  double latency_ms = 0, power_w = 0;
  std::string strategy = "gmd";
  double noise_pct = 0;
  uint64_t seed = 1;
  int max_modes = 0;  // 0: the strategy's default
  bool max_modes_given = false;
};

void run_plan(const PlanOptions& o) {
  const std::vector<int> sizes = parse_int_list_arg(o.infer_batch_sizes, "--infer-batch-sizes", 1, 65536);
  if (o.max_modes_given) check_int_range(o.max_modes, "--max-modes", 1, 1000000);
  check_int_range(o.train_batch_size, "--train-batch-size", 1, 65536);
  const cosched::Strategy strategy = cosched::parse_strategy(o.strategy);
  const cosched::Budget budget{o.arrival_rate, o.latency_ms, o.power_w};
  cosched::validate_budget(budget);
  if (o.noise_pct < 0 || o.noise_pct > 50) throw UsageError("--noise-pct must be within 0..50, found {}", o.noise_pct);
  cosched::Problem p = open(o, sizes, o.infer_batches_given);
  cosched::NoiseModel noise{o.noise_pct / 100.0, o.noise_pct / 100.0, o.seed};
  cosched::ProfileOracle oracle(p.lattice, p.workloads, p.source, noise);
  cosched::PlannerOptions po;
  po.seed = o.seed;
  if (o.max_modes > 0) po.gmd_max_modes = po.als_max_modes = po.random_modes = po.powertrain_modes = o.max_modes;
  const cosched::Plan plan = cosched::plan(strategy, oracle, budget, po);

  if (o.json) {
    nlohmann::json j{{"mode", mode_json(plan.mode)},
                     {"infer_batch_size", plan.infer_batch_size},
                     {"train_throughput", plan.choice.outcome.train_throughput},
                     {"latency_ms", plan.choice.outcome.latency_ms},
                     {"power_w", plan.choice.outcome.power_w},
                     {"profiled_modes", plan.profiled_modes},
                     {"feasible", plan.feasible},
                     {"provenance", p.provenance}};
    if (!plan.feasible) {
      const auto& v = plan.choice.violation;
      const std::string c = v.worst_constraint(budget);
      const double by = c == "latency" ? v.latency_excess_ms : c == "power" ? v.power_excess_w : v.duty_excess;
      j["nearest_miss"] = {{"constraint", c}, {"excess", by}, {"unit", c == "latency" ? "ms" : c == "power" ? "W" : "duty"},
                           {"text", plan.miss}};
    }
    std::cout << j.dump() << "\n";
  } else {
    util::TextTable t({"field", "value"});
    t.add({"feasible", plan.feasible ? "yes" : "no"});
    t.add({"mode", plan.mode.describe()});
    t.add({"infer_batch_size", std::to_string(plan.infer_batch_size)});
    t.add({"train_throughput (samples/s)", fmt::format("{:.2f}", plan.choice.outcome.train_throughput)});
    t.add({"latency_ms (worst case)", fmt::format("{:.1f} (budget {})", plan.choice.outcome.latency_ms, format_number(o.latency_ms))});
    t.add({"power_w (average)", fmt::format("{:.2f} (budget {})", plan.choice.outcome.power_w, format_number(o.power_w))});
    t.add({"inference duty", fmt::format("{:.3f}", plan.choice.outcome.duty)});
    t.add({"profiled_modes", fmt::format("{} of {}", plan.profiled_modes, p.lattice.available_count())});
    if (plan.measurements > plan.profiled_modes)
      t.add({"measurements", fmt::format("{} (with {} re-measurements of the answer)", plan.measurements,
                                         plan.measurements - plan.profiled_modes)});
    t.print(std::cout);
    if (!plan.feasible)
      info(fmt::format("no profiled mode meets both budgets; nearest miss: {} at the mode above", plan.miss));
    if (plan.predicted) warn("the mode above was not profiled: its numbers are predictions");
  }
}

// ---- simulate (discrete-event) ----

struct SimulateOptions : ProblemOptions {
  std::string mode = "maxn";
  int infer_batch_size = 4;
  std::string arrivals = "poisson";
  double duration_s = 600;
  uint64_t seed = 1;
};

std::vector<double> make_arrivals(const std::string& kind, double rate, double duration_s, uint64_t seed) {
  if (kind == "steady") return cosched::steady_arrivals(rate, duration_s);
  if (kind == "poisson") return cosched::poisson_arrivals(rate, duration_s, seed);
  return cosched::trace_arrivals(cosched::read_arrival_trace(kind), duration_s, seed);
}

void run_simulate(const SimulateOptions& o) {
  if (o.infer_batch_size < 1) throw UsageError("--infer-batch-size must be >= 1");
  if (!(o.duration_s > 0)) throw UsageError("--duration-s must be positive");
  if (!(o.arrival_rate > 0)) throw UsageError("--arrival-rate must be positive");
  cosched::Problem p = open(o, {o.infer_batch_size}, true);
  const size_t mi = parse_mode(p, o.mode);
  const cosched::ModeProfile prof = p.source(mi);
  cosched::DesConfig c{prof.train, prof.infer[0], p.workloads.train_batch_size, o.infer_batch_size, o.duration_s};
  const auto arrivals = make_arrivals(o.arrivals, o.arrival_rate, o.duration_s, o.seed);
  const cosched::DesResult r = cosched::simulate_managed(c, arrivals);
  const cosched::Outcome f = cosched::evaluate(prof.train, prof.infer[0], c.train_batch_size, o.infer_batch_size, o.arrival_rate);
  if (o.json) {
    std::cout << nlohmann::json{{"mode", mode_json(p.lattice.mode(mi))},
                                {"infer_batch_size", o.infer_batch_size},
                                {"arrivals", o.arrivals},
                                {"requests", r.requests},
                                {"served", r.served},
                                {"unserved", r.unserved},
                                {"latency_p50_ms", r.latency.p50_ms},
                                {"latency_p99_ms", r.latency.p99_ms},
                                {"latency_max_ms", r.latency.max_ms},
                                {"latency_mean_ms", r.latency.mean_ms},
                                {"train_throughput", r.train_throughput},
                                {"power_w", r.avg_power_w},
                                {"duty", r.duty},
                                {"formula", {{"latency_ms", f.latency_ms}, {"train_throughput", f.train_throughput},
                                             {"power_w", f.power_w}, {"duty", f.duty}}},
                                {"provenance", p.provenance}}
                     .dump()
              << "\n";
    return;
  }
  util::TextTable t({"metric", "simulated", "formula"});
  t.add({"latency p50 (ms)", fmt::format("{:.1f}", r.latency.p50_ms), ""});
  t.add({"latency p99 (ms)", fmt::format("{:.1f}", r.latency.p99_ms), ""});
  t.add({"latency max (ms)", fmt::format("{:.1f}", r.latency.max_ms), fmt::format("{:.1f} (worst case)", f.latency_ms)});
  t.add({"train throughput (samples/s)", fmt::format("{:.2f}", r.train_throughput), fmt::format("{:.2f}", f.train_throughput)});
  t.add({"average power (W)", fmt::format("{:.2f}", r.avg_power_w), fmt::format("{:.2f}", f.power_w)});
  t.add({"inference duty", fmt::format("{:.3f}", r.duty), fmt::format("{:.3f}", f.duty)});
  t.add({"requests served / arrived", fmt::format("{} / {}", r.served, r.requests), ""});
  t.print(std::cout);
  info(fmt::format("managed interleaving at {}, b={}, {} arrivals, {} s simulated", p.lattice.mode(mi).key(),
                   o.infer_batch_size, o.arrivals, format_number(o.duration_s)));
}

// ---- run (the runtime with emulated jobs) ----

struct RunOptions : ProblemOptions {
  std::string mode = "maxn";
  int infer_batch_size = 4;
  std::string arrivals = "poisson";
  std::string policy = "both";
  double duration_s = 10;    // emulated seconds of arrivals
  double time_scale = 0.1;   // wall seconds per emulated second
  uint64_t seed = 1;
};

struct RunSummary {
  std::string policy;
  cosched::RuntimeStats stats;
  cosched::LatencyStats latency;  // emulated ms
  double train_throughput = 0;    // samples per emulated second
  double power_w = 0;             // average over the run (emulated)
};

RunSummary run_policy(const std::string& policy, const cosched::Problem& p, size_t mode_index, int b,
                      const std::vector<double>& arrivals, const RunOptions& o) {
  // Emulated durations per mode and batch size, looked up when each minibatch starts.
  std::mutex mu;
  size_t current = mode_index;
  std::map<std::pair<size_t, int>, cosched::TaskPoint> infer_cache;
  std::map<size_t, cosched::TaskPoint> train_cache;
  auto infer_point = [&](int n) {
    std::lock_guard lock(mu);
    auto key = std::make_pair(current, n);
    auto it = infer_cache.find(key);
    if (it != infer_cache.end()) return it->second;
    cosched::Workloads w = p.workloads;
    w.infer_batch_sizes = {n};
    cosched::TaskPoint tp = p.spec ? cosched::emulator_source(*p.spec, w, p.lattice)(current).infer[0]
                                   : p.source(current).infer[0];  // replay: the file's batch size only
    return infer_cache[key] = tp;
  };
  auto train_point = [&] {
    std::lock_guard lock(mu);
    auto it = train_cache.find(current);
    if (it != train_cache.end()) return it->second;
    return train_cache[current] = p.source(current).train;
  };
  double energy_j = 0;
  std::mutex energy_mu;
  cosched::TrainStep train = [&](int64_t) {
    cosched::TaskPoint tp = train_point();
    cosched::sleep_scaled(tp.time_ms, o.time_scale);
    std::lock_guard lock(energy_mu);
    energy_j += tp.time_ms / 1000.0 * tp.power_w;
    return true;
  };
  cosched::InferBatch infer = [&](const std::vector<cosched::Request>& batch) {
    cosched::TaskPoint tp = infer_point(static_cast<int>(batch.size()));
    cosched::sleep_scaled(tp.time_ms, o.time_scale);
    std::lock_guard lock(energy_mu);
    energy_j += tp.time_ms / 1000.0 * tp.power_w;
  };
  RunSummary s;
  s.policy = policy;
  if (policy == "managed") {
    cosched::ManagedInterleaver rt(train, infer, {b, 0});
    rt.set_mode_hook([&](const device::PowerMode& m) {
      std::lock_guard lock(mu);
      current = *p.lattice.find(m);
    });
    rt.request_mode(p.lattice.mode(mode_index));
    rt.start();
    cosched::replay_arrivals(arrivals, o.time_scale, [&] { rt.submit(); });
    rt.stop();
    s.stats = rt.stats();
  } else {
    cosched::NativeInterleaver rt(train, infer);
    rt.start();
    cosched::replay_arrivals(arrivals, o.time_scale, [&] { rt.submit(); });
    rt.stop();
    s.stats = rt.stats();
  }
  std::vector<double> lat = s.stats.latencies_ms;
  for (double& x : lat) x /= o.time_scale;
  s.latency = cosched::latency_stats(lat);
  const double emulated_s = s.stats.elapsed_s / o.time_scale;
  s.train_throughput = s.stats.train_minibatches * p.workloads.train_batch_size / emulated_s;
  s.power_w = energy_j / emulated_s;
  return s;
}

void run_run(const RunOptions& o) {
  if (o.policy != "managed" && o.policy != "native" && o.policy != "both")
    throw UsageError("--policy must be managed, native or both, found '{}'", o.policy);
  if (!(o.time_scale > 0 && o.time_scale <= 10)) throw UsageError("--time-scale must be within (0, 10]");
  if (!(o.duration_s > 0)) throw UsageError("--duration-s must be positive");
  if (o.infer_batch_size < 1) throw UsageError("--infer-batch-size must be >= 1");
  if (!(o.arrival_rate > 0)) throw UsageError("--arrival-rate must be positive");
  // The native baseline serves one request at a time: profile batch size 1 too.
  std::vector<int> sizes{o.infer_batch_size};
  if (o.infer_batch_size != 1) sizes.push_back(1);
  cosched::Problem p = open(o, sizes, true);
  const size_t mi = parse_mode(p, o.mode);
  const auto arrivals = make_arrivals(o.arrivals, o.arrival_rate, o.duration_s, o.seed);
  std::vector<RunSummary> runs;
  if (o.policy != "native") runs.push_back(run_policy("managed", p, mi, o.infer_batch_size, arrivals, o));
  if (o.policy != "managed") runs.push_back(run_policy("native", p, mi, 1, arrivals, o));
  if (o.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : runs)
      j.push_back({{"policy", r.policy},
                   {"infer_batch_size", r.policy == "managed" ? o.infer_batch_size : 1},
                   {"requests", r.stats.submitted},
                   {"served", r.latency.count},
                   {"latency_p50_ms", r.latency.p50_ms},
                   {"latency_p99_ms", r.latency.p99_ms},
                   {"latency_max_ms", r.latency.max_ms},
                   {"latency_mean_ms", r.latency.mean_ms},
                   {"latency_sd_ms", r.latency.sd_ms},
                   {"train_throughput", r.train_throughput},
                   {"power_w", r.power_w},
                   {"mode", mode_json(p.lattice.mode(mi))},
                   {"provenance", p.provenance}});
    std::cout << j.dump() << "\n";
    return;
  }
  util::TextTable t({"policy", "b", "served", "p50_ms", "p99_ms", "max_ms", "sd_ms", "train_samples_per_s", "power_w"});
  for (const auto& r : runs)
    t.add({r.policy, std::to_string(r.policy == "managed" ? o.infer_batch_size : 1), std::to_string(r.latency.count),
           fmt::format("{:.1f}", r.latency.p50_ms), fmt::format("{:.1f}", r.latency.p99_ms),
           fmt::format("{:.1f}", r.latency.max_ms), fmt::format("{:.1f}", r.latency.sd_ms),
           fmt::format("{:.2f}", r.train_throughput), fmt::format("{:.2f}", r.power_w)});
  t.print(std::cout);
  info(fmt::format("real threads, emulated job durations scaled by {} (times above are in emulated ms) at {}",
                   format_number(o.time_scale), p.lattice.mode(mi).key()));
}

Registrar reg(70, "cosched", [](CLI::App& app, GlobalOptions&) {
  auto* group = app.add_subcommand("cosched", "Co-schedule training and inference on one board (Fulcrum)");
  group->require_subcommand(1);

  auto po = std::make_shared<PlanOptions>();
  auto* plan = group->add_subcommand("plan", "Choose the power mode and inference batch size that maximize training "
                                             "throughput within a latency and a power budget");
  add_problem_options(plan, *po);
  plan->add_option("--latency-ms", po->latency_ms, "Worst-case per-request latency budget")->required();
  plan->add_option("--power-w", po->power_w, "Average power budget")->required();
  auto* ibs = plan->add_option("--infer-batch-sizes", po->infer_batch_sizes, "Candidate inference batch sizes")
                  ->capture_default_str();
  plan->add_option("--strategy", po->strategy, "exhaustive, gmd (<=15 modes), als (<=50 modes), random, powertrain")
      ->capture_default_str();
  auto* max_modes_opt = plan->add_option("--max-modes", po->max_modes, "Profiling budget of gmd/als/random/powertrain (default 15/50/15/50)");
  plan->add_option("--noise-pct", po->noise_pct, "Emulated measurement noise (relative sd, %) of each profiled value")
      ->capture_default_str();
  plan->add_option("--seed", po->seed, "Seed of noise and random sampling")->capture_default_str();
  plan->add_flag("--json", po->json, "JSON output (feasible: false with nearest_miss when nothing meets both budgets)");
  plan->callback([po, ibs, plan, max_modes_opt] {
    po->infer_batches_given = ibs->count() > 0;
    po->max_modes_given = max_modes_opt->count() > 0;
    po->train_batch_given = plan->get_option("--train-batch-size")->count() > 0;
    run_plan(*po);
  });

  auto so = std::make_shared<SimulateOptions>();
  auto* simulate = group->add_subcommand("simulate", "Discrete-event simulation of managed interleaving at one mode");
  add_problem_options(simulate, *so);
  simulate->add_option("--mode", so->mode, "maxn, a preset, or cores,cpu_mhz,gpu_mhz,emc_mhz")->capture_default_str();
  simulate->add_option("--infer-batch-size", so->infer_batch_size, "Inference batch size b")->capture_default_str();
  simulate->add_option("--arrivals", so->arrivals, "steady, poisson, or a trace CSV (t_s,rate_per_s or arrival_s)")
      ->capture_default_str();
  simulate->add_option("--duration-s", so->duration_s, "Simulated seconds")->capture_default_str();
  simulate->add_option("--seed", so->seed, "Seed of the arrival process")->capture_default_str();
  simulate->add_flag("--json", so->json, "JSON output");
  simulate->callback([so] { run_simulate(*so); });

  auto ro = std::make_shared<RunOptions>();
  auto* run = group->add_subcommand("run", "Run the managed-interleaving runtime (real threads, emulated jobs) and the "
                                           "native baseline (two threads competing for one GPU lock)");
  add_problem_options(run, *ro);
  run->add_option("--mode", ro->mode, "maxn, a preset, or cores,cpu_mhz,gpu_mhz,emc_mhz")->capture_default_str();
  run->add_option("--infer-batch-size", ro->infer_batch_size, "Inference batch size b (managed policy)")
      ->capture_default_str();
  run->add_option("--arrivals", ro->arrivals, "steady, poisson, or a trace CSV")->capture_default_str();
  run->add_option("--policy", ro->policy, "managed, native or both")->capture_default_str();
  run->add_option("--duration-s", ro->duration_s, "Emulated seconds of arrivals")->capture_default_str();
  run->add_option("--time-scale", ro->time_scale, "Wall seconds per emulated second (0.1: ten times faster)")
      ->capture_default_str();
  run->add_option("--seed", ro->seed, "Seed of the arrival process")->capture_default_str();
  run->add_flag("--json", ro->json, "JSON output");
  run->callback([ro] { run_run(*ro); });
});

}  // namespace
}  // namespace modewise::cli
