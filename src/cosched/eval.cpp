#include "modewise/cosched/eval.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <thread>

#include <time.h>

#include "modewise/cosched/als.h"
#include "modewise/cosched/powertrain.h"
#include "modewise/device/grid.h"
#include "modewise/util/error.h"

namespace modewise::cosched {

namespace {

struct Acc {
  size_t feasible = 0, met = 0, claimed_infeasible = 0, false_feasible = 0, met_tolerant = 0;
  size_t infeasible_feasible_measured = 0, broke_within = 0, broke_beyond = 0, tight = 0, met_tight = 0;
  double loss_search = 0, loss_choice = 0;
  double rel_met = 0, rel_all = 0, rel_met_tolerant = 0;
  double profiled_sum = 0, measurements_sum = 0;
  size_t answers = 0;
  int profiled_max = 0, measurements_max = 0;
  double seconds = 0;
  void add(const Acc& o) {
    feasible += o.feasible, met += o.met, claimed_infeasible += o.claimed_infeasible;
    false_feasible += o.false_feasible, rel_met += o.rel_met, rel_all += o.rel_all;
    met_tolerant += o.met_tolerant, rel_met_tolerant += o.rel_met_tolerant;
    infeasible_feasible_measured += o.infeasible_feasible_measured, broke_within += o.broke_within;
    broke_beyond += o.broke_beyond, tight += o.tight, met_tight += o.met_tight;
    loss_search += o.loss_search, loss_choice += o.loss_choice;
    profiled_sum += o.profiled_sum, answers += o.answers, seconds += o.seconds;
    profiled_max = std::max(profiled_max, o.profiled_max);
    measurements_sum += o.measurements_sum, measurements_max = std::max(measurements_max, o.measurements_max);
  }
};

uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t x = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL + (a << 6) + (a >> 2));
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  return x ^ (x >> 31);
}

// CPU time of the calling thread (the machine is shared, so wall time would measure the neighbours too).
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct PairResult {
  size_t configs = 0, feasible = 0;
  std::vector<Acc> acc;
};

PairResult eval_pair(const EvalOptions& o, const device::DeviceSpec& spec, const ModeLattice& lat,
                     const std::string& train, const std::string& infer, size_t pair_index) {
  PairResult res;
  res.acc.resize(o.strategies.size());
  Workloads w{train, infer, o.train_batch_size, o.infer_batch_sizes};
  auto table = std::make_shared<const ProfileTable>(build_table(emulator_source(spec, w, lat), lat, 1));
  const std::vector<size_t> avail = lat.available_indices();
  const size_t nb = w.infer_batch_sizes.size();

  size_t top = avail.back();
  for (size_t i : avail) {
    auto c = lat.coords(i), t = lat.coords(top);
    if (c[0] + c[1] + c[2] + c[3] > t[0] + t[1] + t[2] + t[3]) top = i;
  }
  double capacity = 0;  // requests per second at the top mode
  for (size_t k = 0; k < nb; ++k)
    capacity = std::max(capacity, w.infer_batch_sizes[k] / ((*table)[top].infer[k].time_ms / 1000.0));

  NoiseModel noise = o.noise;
  noise.seed = mix(o.noise.seed, pair_index);

  // The configurations of this pair, with the true optimum of each.
  struct Config {
    Budget budget;
    double optimum = 0;  // 0: infeasible
    bool tight = false;  // with noise: the optimum's slack is under one propagated noise sd
  };
  const Margins one_sd = margins_for(noise, 1.0, 0);
  std::vector<Config> configs;
  std::vector<Outcome> truth(lat.size() * nb);
  for (double f : o.rate_fractions) {
    const double rate = f * capacity;
    double lmin = INFINITY, pmin = INFINITY, pmax = 0;
    for (size_t i : avail)
      for (size_t k = 0; k < nb; ++k) {
        Outcome& out = truth[i * nb + k];
        out = evaluate((*table)[i].train, (*table)[i].infer[k], w.train_batch_size, w.infer_batch_sizes[k], rate);
        if (out.duty >= 1) continue;
        lmin = std::min(lmin, out.latency_ms), pmin = std::min(pmin, out.power_w), pmax = std::max(pmax, out.power_w);
      }
    if (!std::isfinite(lmin)) continue;
    for (double g : o.latency_factors)
      for (int j = 0; j < o.power_levels; ++j) {
        Config c;
        c.budget = {rate, g * lmin, pmin + (pmax - pmin) * (j + 0.5) / o.power_levels};
        size_t opt_i = 0, opt_k = 0;
        for (size_t i : avail)
          for (size_t k = 0; k < nb; ++k) {
            const Outcome& out = truth[i * nb + k];
            if (out.train_throughput > c.optimum && check(out, c.budget).ok())
              c.optimum = out.train_throughput, opt_i = i, opt_k = k;
          }
        if (c.optimum > 0 && !one_sd.none()) {
          const Outcome& out = truth[opt_i * nb + opt_k];
          const auto [lm, pm] = relative_margins(one_sd, (*table)[opt_i].train, (*table)[opt_i].infer[opt_k], out);
          c.tight = !check(out, c.budget, lm, pm).ok();
        }
        configs.push_back(c);
      }
  }
  res.configs = configs.size();
  for (const auto& c : configs) res.feasible += c.optimum > 0;

  BudgetBox box{INFINITY, 0, INFINITY, 0, INFINITY, 0};
  for (const auto& c : configs) {
    box.rate_lo = std::min(box.rate_lo, c.budget.arrival_rate_per_s), box.rate_hi = std::max(box.rate_hi, c.budget.arrival_rate_per_s);
    box.latency_lo_ms = std::min(box.latency_lo_ms, c.budget.latency_ms), box.latency_hi_ms = std::max(box.latency_hi_ms, c.budget.latency_ms);
    box.power_lo_w = std::min(box.power_lo_w, c.budget.power_w), box.power_hi_w = std::max(box.power_hi_w, c.budget.power_w);
  }

  const Margins margins = margins_for(noise, o.planner.safety_z, o.planner.smooth_min_modes);
  for (size_t s = 0; s < o.strategies.size(); ++s) {
    const Strategy strategy = o.strategies[s];
    Acc& acc = res.acc[s];
    const double t0 = thread_cpu_seconds();
    // Per-pair profiling (its cost is counted once per pair).
    std::unique_ptr<ProfileOracle> shared;
    std::unique_ptr<AlsPlanner> als;
    std::unique_ptr<PowertrainPlanner> pt;
    if (strategy == Strategy::exhaustive || strategy == Strategy::als || strategy == Strategy::powertrain) {
      shared = std::make_unique<ProfileOracle>(lat, w, table_source(table), noise);
      if (strategy == Strategy::exhaustive)
        for (size_t i : avail) shared->measure(i);
      if (strategy == Strategy::als) {
        AlsOptions ao;
        ao.max_modes = o.planner.als_max_modes;
        ao.repeats = o.planner.als_repeats;
        ao.noisy_refine_modes = o.planner.als_refine_modes;
        ao.seed = mix(o.planner.seed, pair_index);
        als = std::make_unique<AlsPlanner>(*shared, scenarios_in_box(box, o.als_scenarios, ao.seed), ao,
                                           margins_for(noise, o.planner.als_safety_z, o.planner.smooth_min_modes));
        als->profile();
      }
      if (strategy == Strategy::powertrain)
        pt = std::make_unique<PowertrainPlanner>(*shared, o.planner.powertrain_modes, mix(o.planner.seed, pair_index));
    }
    std::vector<ModeEstimate> exhaustive_estimates;  // the same for every budget: computed once
    if (strategy == Strategy::exhaustive) exhaustive_estimates = estimate_measured(*shared, margins);
    for (size_t ci = 0; ci < configs.size(); ++ci) {
      const Config& c = configs[ci];
      Plan p;
      if (strategy == Strategy::exhaustive)
        p = plan_from_estimates(*shared, exhaustive_estimates, c.budget, margins.none() ? 0.0 : margins.z);
      else if (strategy == Strategy::als) p = als->answer(c.budget);
      else if (strategy == Strategy::powertrain) p = pt->answer(c.budget);
      else {
        ProfileOracle oracle(lat, w, table_source(table), noise);
        if (strategy == Strategy::gmd) p = plan_gmd(oracle, c.budget, o.planner.gmd_max_modes, margins, o.planner.gmd_repeats);
        else p = plan_random(oracle, c.budget, o.planner.random_modes, mix(o.planner.seed, pair_index * 1000003 + ci), margins);
      }
      auto truth_at = [&](size_t i, size_t k, double rate) {
        return evaluate((*table)[i].train, (*table)[i].infer[k], w.train_batch_size, w.infer_batch_sizes[k], rate);
      };
      acc.profiled_sum += p.profiled_modes;
      acc.answers += 1;
      acc.profiled_max = std::max(acc.profiled_max, p.profiled_modes);
      acc.measurements_sum += p.measurements;
      acc.measurements_max = std::max(acc.measurements_max, p.measurements);
      // Judge on the truth.
      const ModeProfile& tp = (*table)[p.choice.mode_index];
      const Outcome t = evaluate(tp.train, tp.infer[p.choice.batch_slot], w.train_batch_size, p.infer_batch_size,
                                 c.budget.arrival_rate_per_s);
      const bool ok = p.feasible && check(t, c.budget).ok();
      // tolerant: neither budget exceeded by more than one measurement-noise sd (the same as strict without noise)
      const Budget loose{c.budget.arrival_rate_per_s, c.budget.latency_ms * (1 + noise.time_rel_sd),
                         c.budget.power_w * (1 + noise.power_rel_sd)};
      const bool ok_tolerant = p.feasible && check(t, loose).ok();
      if (c.optimum > 0) {
        ++acc.feasible;
        // The best truly feasible choice among the modes measured for this answer.
        double best_measured = 0;
        for (size_t i : p.measured)
          for (size_t k = 0; k < nb; ++k) {
            const Outcome& out = truth_at(i, k, c.budget.arrival_rate_per_s);
            if (out.train_throughput > best_measured && check(out, c.budget).ok()) best_measured = out.train_throughput;
          }
        if (c.tight) ++acc.tight;
        if (!p.feasible) {
          ++acc.claimed_infeasible;
          if (best_measured > 0) ++acc.infeasible_feasible_measured;
        } else if (!ok) {
          if (ok_tolerant) ++acc.broke_within;
          else ++acc.broke_beyond;
        } else {
          if (c.tight) ++acc.met_tight;
          acc.loss_search += 1 - best_measured / c.optimum;
          acc.loss_choice += (best_measured - t.train_throughput) / c.optimum;
        }
        if (ok_tolerant) {
          ++acc.met_tolerant;
          acc.rel_met_tolerant += t.train_throughput / c.optimum;
        }
        if (ok) {
          ++acc.met;
          acc.rel_met += t.train_throughput / c.optimum;
          acc.rel_all += t.train_throughput / c.optimum;
        }
      } else if (p.feasible) {
        ++acc.false_feasible;
      }
    }
    acc.seconds += thread_cpu_seconds() - t0;
  }
  return res;
}

}  // namespace

EvalReport run_eval(const EvalOptions& o, const std::function<void(size_t, size_t)>& progress) {
  const auto wall0 = std::chrono::steady_clock::now();
  timespec cpu0{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
  if (o.train_workloads.empty() || o.infer_workloads.empty()) throw UsageError("no workloads to evaluate");
  if (o.rate_fractions.empty() || o.latency_factors.empty() || o.power_levels < 1)
    throw UsageError("no budgets to evaluate (rates, latency factors and power levels must be non-empty)");
  const device::DeviceSpec spec = device::resolve_device(o.device);
  EvalReport report;
  report.device = spec.name;
  report.grid = o.grid.empty() ? default_grid(spec) : o.grid;
  report.noise = o.noise;
  const ModeLattice lat(device::grid_axes(spec, report.grid));
  report.modes = lat.available_count();

  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& t : o.train_workloads)
    for (const auto& i : o.infer_workloads) pairs.emplace_back(t, i);
  report.pairs = pairs.size();

  std::vector<Acc> total(o.strategies.size());
  std::mutex mu;
  std::atomic<size_t> next{0};
  size_t done = 0;
  std::exception_ptr failure;
  auto worker = [&] {
    for (size_t k; (k = next.fetch_add(1)) < pairs.size();) {
      PairResult r;
      try {
        r = eval_pair(o, spec, lat, pairs[k].first, pairs[k].second, k);
      } catch (...) {
        std::lock_guard lock(mu);
        if (!failure) failure = std::current_exception();
        next = pairs.size();
        return;
      }
      std::lock_guard lock(mu);
      report.configs += r.configs;
      report.feasible_configs += r.feasible;
      for (size_t s = 0; s < total.size(); ++s) total[s].add(r.acc[s]);
      ++done;
      if (progress) progress(done, pairs.size());
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, o.threads); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);

  for (size_t s = 0; s < total.size(); ++s) {
    const Acc& a = total[s];
    StrategyStats st;
    st.strategy = o.strategies[s];
    st.feasible_configs = a.feasible;
    st.met = a.met;
    st.claimed_infeasible = a.claimed_infeasible;
    st.false_feasible = a.false_feasible;
    st.rel_throughput_met = a.met ? a.rel_met / a.met : 0.0;
    st.met_tolerant = a.met_tolerant;
    st.rel_throughput_met_tolerant = a.met_tolerant ? a.rel_met_tolerant / a.met_tolerant : 0.0;
    st.rel_throughput_all = a.feasible ? a.rel_all / a.feasible : 0.0;
    st.profiled_mean = a.answers ? a.profiled_sum / a.answers : 0.0;
    st.profiled_max = a.profiled_max;
    st.measurements_mean = a.answers ? a.measurements_sum / a.answers : 0.0;
    st.measurements_max = a.measurements_max;
    st.seconds = a.seconds;
    st.infeasible_feasible_measured = a.infeasible_feasible_measured;
    st.broke_within_noise = a.broke_within;
    st.broke_beyond_noise = a.broke_beyond;
    st.tight_configs = a.tight;
    st.met_tight = a.met_tight;
    st.loss_search_met = a.met ? a.loss_search / a.met : 0.0;
    st.loss_choice_met = a.met ? a.loss_choice / a.met : 0.0;
    report.strategies.push_back(st);
  }
  report.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  timespec cpu1{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
  report.cpu_seconds = (cpu1.tv_sec - cpu0.tv_sec) + (cpu1.tv_nsec - cpu0.tv_nsec) * 1e-9;
  return report;
}

}  // namespace modewise::cosched
