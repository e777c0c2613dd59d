#include "modewise/optimize/transfer_eval.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "modewise/optimize/recommend.h"
#include "modewise/predict/sampling.h"
#include "modewise/profile/campaign.h"
#include "modewise/util/error.h"

namespace modewise::optimize {

const std::vector<std::string>& default_eval_methods() {
  static const std::vector<std::string> m{"gp", "residual", "powertrain", "ensemble", "scratch", "linear", "poly", "gbt"};
  return m;
}

namespace {

using Clock = std::chrono::steady_clock;

double median_of(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string label(const std::vector<profile::ProfileRow>& rows, const device::DeviceSpec& spec) {
  const auto& r = rows.front();
  std::string w = r.workload.empty() ? "workload" : r.workload;
  return fmt::format("{}{}{} on {}", w, r.task.empty() ? "" : " " + r.task,
                     r.batch_size ? fmt::format(" bs{}", r.batch_size) : "", spec.name);
}

// The true optimum (lowest true time within each budget) of NEW.
struct Truth {
  std::vector<device::PowerMode> modes;
  std::vector<double> time_ms, power_w;
  std::vector<double> time_rel_se, power_rel_se;  // standard error of a repeated measurement, relative
  std::vector<double> optimum_ms;  // per budget; NAN when no mode fits
};

struct Tally {
  std::vector<double> gaps;
  int none = 0, violations = 0, violations_any = 0;
  double max_violation = 0;
  std::vector<BudgetStat> per_budget;
  std::vector<std::vector<double>> budget_gaps;

  void add(const Truth& t, size_t budget_index, double budget_w, std::optional<size_t> chosen, double tol) {
    if (per_budget.size() <= budget_index) {
      per_budget.resize(budget_index + 1);
      budget_gaps.resize(budget_index + 1);
    }
    BudgetStat& b = per_budget[budget_index];
    b.budget_w = budget_w;
    b.optimum_ms = t.optimum_ms[budget_index];
    if (std::isnan(t.optimum_ms[budget_index])) return;
    if (!chosen) {
      ++none;
      ++b.no_recommendation;
      return;
    }
    double gap = 100.0 * (t.time_ms[*chosen] / t.optimum_ms[budget_index] - 1.0);
    gaps.push_back(gap);
    budget_gaps[budget_index].push_back(gap);
    double over = t.power_w[*chosen] / budget_w - 1.0;
    if (over > 0) {
      ++violations_any;
      max_violation = std::max(max_violation, 100.0 * over);
    }
    if (over > tol) {
      ++violations;
      ++b.violations;
    }
  }

  void fill(EvalCell& c) const {
    c.per_budget = per_budget;
    for (size_t i = 0; i < per_budget.size(); ++i) {
      BudgetStat& b = c.per_budget[i];
      const auto& g = budget_gaps[i];
      b.recommendations = static_cast<int>(g.size());
      if (g.empty()) continue;
      double sum = 0, mx = -INFINITY;
      int within = 0;
      for (double x : g) {
        sum += x;
        mx = std::max(mx, x);
        within += x <= 5.0;
      }
      b.mean_gap_pct = sum / static_cast<double>(g.size());
      b.max_gap_pct = mx;
      b.within_5pct = static_cast<double>(within) / static_cast<double>(g.size());
    }
    c.recommendations = static_cast<int>(gaps.size());
    c.no_recommendation = none;
    c.violations = violations;
    c.violations_any = violations_any;
    c.max_violation_pct = max_violation;
    if (gaps.empty()) return;
    double sum = 0, mx = -INFINITY;
    int within = 0;
    for (double g : gaps) {
      sum += g;
      mx = std::max(mx, g);
      within += g <= 5.0;
    }
    c.mean_gap_pct = sum / static_cast<double>(gaps.size());
    c.max_gap_pct = mx;
    c.within_5pct = static_cast<double>(within) / static_cast<double>(gaps.size());
  }
};

// Snap a preset's mode onto the modes NEW has: each clock down to NEW's values (cores to the largest <=).
std::optional<size_t> snap_to_profile(const device::PowerMode& m, const Truth& t) {
  std::optional<size_t> best;
  for (size_t i = 0; i < t.modes.size(); ++i) {
    const auto& c = t.modes[i];
    if (c.cores > m.cores || device::to_khz(c.cpu_mhz) > device::to_khz(m.cpu_mhz) ||
        device::to_khz(c.gpu_mhz) > device::to_khz(m.gpu_mhz) || device::to_khz(c.emc_mhz) > device::to_khz(m.emc_mhz))
      continue;
    if (!best || t.modes[*best] < c) best = i;  // the largest mode under the caps (lexicographic)
  }
  return best;
}

}  // namespace

TransferEvalResult evaluate_transfer(const device::DeviceSpec& ref_spec, const profile::Profile& ref,
                                     const device::DeviceSpec& new_spec, const profile::Profile& fresh,
                                     const TransferEvalOptions& opt) {
  if (ref.rows.empty()) throw Error("{}: the reference profile has no rows", ref.source);
  if (fresh.rows.empty()) throw Error("{}: the new profile has no rows", fresh.source);
  if (opt.repeats < 1) throw UsageError("--repeats must be at least 1, found {}", opt.repeats);
  if (opt.budgets < 1) throw UsageError("--budgets must be at least 1, found {}", opt.budgets);
  const std::vector<std::string>& methods = opt.methods.empty() ? default_eval_methods() : opt.methods;
  for (const auto& m : methods) {
    const auto& known = predict::transfer_method_names();
    if (std::find(known.begin(), known.end(), m) == known.end())
      throw UsageError("unknown transfer method '{}' (expected {})", m, fmt::join(known, ", "));
  }
  TransferEvalResult res;
  res.ref_source = ref.source;
  res.new_source = fresh.source;
  res.ref_label = label(ref.rows, ref_spec);
  res.new_label = label(fresh.rows, new_spec);
  res.sampling = opt.sampling;
  if (opt.sampling != "adaptive") {
    const auto& names = predict::sampling_names();
    if (std::find(names.begin(), names.end(), opt.sampling) == names.end())
      throw UsageError("unknown sampling '{}' (expected {}, adaptive)", opt.sampling, fmt::join(names, ", "));
  }
  if (opt.violation_tolerance >= 0) {
    res.violation_tolerance = opt.violation_tolerance;
  } else {  // the measurement noise of NEW's power
    std::vector<double> rel;
    for (const auto& r : fresh.rows)
      if (std::isfinite(r.power_sd_w) && r.power_w > 0) rel.push_back(r.power_sd_w / r.power_w);
    res.violation_tolerance = rel.empty() ? 0.01 : median_of(rel);
  }

  // NEW's truth: one row per mode (repeats averaged).
  Truth truth;
  {
    std::map<device::PowerMode, std::pair<std::vector<double>, std::vector<double>>> by_mode;
    std::set<std::string> prov;
    for (const auto& r : fresh.rows) {
      auto& e = by_mode[r.mode];
      e.first.push_back(r.time_ms);
      e.second.push_back(r.power_w);
      prov.insert(r.provenance.empty() ? "unknown" : r.provenance);
    }
    std::map<device::PowerMode, std::pair<double, double>> rel_se;  // from the first row of each mode
    for (const auto& r : fresh.rows) {
      if (rel_se.count(r.mode)) continue;
      double n = r.samples > 0 ? std::sqrt(static_cast<double>(r.samples)) : 1.0;
      double st = std::isfinite(r.time_sd_ms) && r.time_ms > 0 ? r.time_sd_ms / r.time_ms / n : 0.0;
      double sp = std::isfinite(r.power_sd_w) && r.power_w > 0 ? r.power_sd_w / r.power_w / n : 0.0;
      rel_se[r.mode] = {st, sp};
    }
    for (auto& [mode, v] : by_mode) {
      truth.modes.push_back(mode);
      truth.time_rel_se.push_back(rel_se[mode].first);
      truth.power_rel_se.push_back(rel_se[mode].second);
      double t = 0, p = 0;
      for (double x : v.first) t += x;
      for (double x : v.second) p += x;
      truth.time_ms.push_back(t / static_cast<double>(v.first.size()));
      truth.power_w.push_back(p / static_cast<double>(v.second.size()));
    }
    res.provenance = prov.size() == 1 ? *prov.begin() : "mixed";
  }
  res.new_modes = truth.modes.size();
  for (int s : opt.samples)
    if (s < predict::kMinTransferModes || static_cast<size_t>(s) > truth.modes.size())
      throw UsageError("--samples {}: must be between {} and the {} modes of {}", s, predict::kMinTransferModes,
                       truth.modes.size(), fresh.source);
  const double pmin = *std::min_element(truth.power_w.begin(), truth.power_w.end());
  const double pmax = *std::max_element(truth.power_w.begin(), truth.power_w.end());
  for (int b = 0; b < opt.budgets; ++b)
    res.budgets_w.push_back(opt.budgets == 1 ? pmax : pmin + (pmax - pmin) * b / (opt.budgets - 1));
  for (double budget : res.budgets_w) {
    double best = NAN;
    for (size_t i = 0; i < truth.modes.size(); ++i)
      if (truth.power_w[i] <= budget && !(truth.time_ms[i] >= best)) best = truth.time_ms[i];
    truth.optimum_ms.push_back(best);
  }

  // Reference model, fitted once.
  auto t0 = Clock::now();
  predict::PerfModel base = predict::fit_model(ref_spec, ref.rows, opt.fit, ref.source);
  res.fit_s = std::chrono::duration<double>(Clock::now() - t0).count();
  res.ref_modes = static_cast<size_t>(base.info.modes);
  auto fine_tunes = [](const std::string& m) {
    return m == "powertrain" || m == "head" || m == "head+ft" || m == "freeze" || m == "ensemble";
  };
  std::optional<predict::PerfModel> mlp_base;
  if (opt.use_mlp_fit && std::any_of(methods.begin(), methods.end(), fine_tunes)) {
    t0 = Clock::now();
    mlp_base = predict::fit_model(ref_spec, ref.rows, opt.mlp_fit, ref.source);
    res.mlp_fit_s = std::chrono::duration<double>(Clock::now() - t0).count();
  }

  ConfirmOptions confirm = opt.confirm;
  if (confirm.tolerance <= 0) confirm.tolerance = res.violation_tolerance / 2;  // within the noise of one run
  // A repeated measurement of a mode of NEW: its value with fresh noise of the size of its standard error.
  std::mt19937_64 noise_rng(opt.seed ^ 0xC0FFEEULL);
  std::map<device::PowerMode, size_t> index_of;
  for (size_t i = 0; i < truth.modes.size(); ++i) index_of[truth.modes[i]] = i;
  MeasureFn remeasure = [&](const device::PowerMode& m) {
    size_t i = index_of.at(m);
    std::normal_distribution<double> z(0.0, 1.0);
    return MeasuredPoint{truth.time_ms[i] * (1 + truth.time_rel_se[i] * z(noise_rng)),
                         truth.power_w[i] * (1 + truth.power_rel_se[i] * z(noise_rng))};
  };

  const size_t total = methods.size() * opt.samples.size() * static_cast<size_t>(opt.repeats);
  size_t done = 0;
  // Index rows of NEW by mode for sampling.
  std::map<device::PowerMode, std::vector<const profile::ProfileRow*>> rows_by_mode;
  for (const auto& r : fresh.rows) rows_by_mode[r.mode].push_back(&r);
  for (const auto& method : methods) {
    for (int samples : opt.samples) {
      EvalCell cell;
      cell.method = method;
      cell.samples = samples;
      Tally tally;
      double seconds = 0, sampling_seconds = 0;
      double confirm_measurements = 0;
      int confirm_count = 0;
      for (int rep = 0; rep < opt.repeats; ++rep) {
        if (opt.progress) opt.progress(done, total, fmt::format("{} x{} #{}", method, samples, rep + 1));
        // The same sample for every method at a given (samples, repeat).
        uint64_t seed = opt.seed * 1000003ULL + static_cast<uint64_t>(samples) * 101ULL + static_cast<uint64_t>(rep);
        std::vector<profile::ProfileRow> rows;
        auto ts = Clock::now();
        if (opt.sampling == "adaptive") {  // chosen step by step; "measuring" a mode = taking NEW's rows of it
          predict::AdaptiveOptions ao = opt.adaptive;
          ao.total = static_cast<size_t>(samples);
          ao.seed = seed;
          for (;;) {
            std::vector<device::PowerMode> next = predict::next_adaptive_modes(base, new_spec, truth.modes, rows, ao);
            if (next.empty()) break;
            for (const auto& m : next)
              for (const auto* r : rows_by_mode[m]) rows.push_back(*r);
          }
        } else {
          for (const auto& m : predict::choose_modes(truth.modes, static_cast<size_t>(samples), opt.sampling, seed))
            for (const auto* r : rows_by_mode[m]) rows.push_back(*r);
        }
        sampling_seconds += std::chrono::duration<double>(Clock::now() - ts).count();
        predict::TransferOptions to = opt.transfer;
        to.method = method;
        to.train.seed = seed;
        auto t1 = Clock::now();
        const predict::PerfModel& from = mlp_base && fine_tunes(method) ? *mlp_base : base;
        predict::PerfModel model = predict::transfer_model(from, new_spec, rows, to, fresh.source);
        seconds += std::chrono::duration<double>(Clock::now() - t1).count();
        predict::Predictions p = model.predict(new_spec, truth.modes, opt.caution.sd_multiplier > 0);
        double et = 0, ep = 0;
        for (size_t i = 0; i < truth.modes.size(); ++i) {
          et += std::abs(p.time_ms[i] / truth.time_ms[i] - 1.0);
          ep += std::abs(p.power_w[i] / truth.power_w[i] - 1.0);
        }
        cell.mape_time_pct.push_back(100.0 * et / static_cast<double>(truth.modes.size()));
        cell.mape_power_pct.push_back(100.0 * ep / static_cast<double>(truth.modes.size()));
        // The confirmation may also answer with a mode of the transfer's own profile (measured already, free).
        // Its "measurement" there is, like a confirmation's, NEW's value with fresh noise of its standard error
        // (NEW's row itself is what the recommendation is judged on).
        ConfirmOptions confirm_b = confirm;
        if (opt.confirm_uses_profile && opt.confirm.measurements > 0) {
          std::set<size_t> seen;
          for (const auto& r : rows) {
            size_t i = index_of.at(r.mode);
            if (seen.insert(i).second) confirm_b.known.push_back({i, remeasure(r.mode)});
          }
        }
        for (size_t b = 0; b < res.budgets_w.size(); ++b) {
          std::optional<size_t> pick;
          if (opt.confirm.measurements > 0) {
            auto c = confirm_recommendation(truth.modes, p, res.budgets_w[b], Objective::time, remeasure, confirm_b);
            if (c) {
              pick = c->index;
              confirm_measurements += static_cast<double>(c->profiled.size());
            }
            ++confirm_count;
          } else if (auto r = best_within_budget(truth.modes, p, res.budgets_w[b], Objective::time, opt.caution)) {
            pick = r->index;
          }
          tally.add(truth, b, res.budgets_w[b], pick, res.violation_tolerance);
        }
        ++done;
      }
      cell.median_mape_time_pct = median_of(cell.mape_time_pct);
      cell.median_mape_power_pct = median_of(cell.mape_power_pct);
      cell.mean_transfer_s = seconds / opt.repeats;
      cell.mean_sampling_s = sampling_seconds / opt.repeats;
      cell.mean_confirm_measurements = confirm_count ? confirm_measurements / confirm_count : 0.0;
      tally.fill(cell);
      res.cells.push_back(std::move(cell));
    }
  }

  // Baseline: the best nvpmodel preset within the budget, chosen on NEW's true power.
  EvalCell preset;
  preset.method = "nvpmodel-preset";
  Tally tally;
  std::vector<size_t> preset_rows;
  for (const auto& pm : preset_modes(new_spec))
    if (auto i = snap_to_profile(pm.mode, truth)) preset_rows.push_back(*i);
  for (size_t b = 0; b < res.budgets_w.size(); ++b) {
    std::optional<size_t> best;
    for (size_t i : preset_rows)
      if (truth.power_w[i] <= res.budgets_w[b] && (!best || truth.time_ms[i] < truth.time_ms[*best])) best = i;
    tally.add(truth, b, res.budgets_w[b], best, res.violation_tolerance);
  }
  tally.fill(preset);
  res.cells.push_back(std::move(preset));
  if (opt.progress) opt.progress(total, total, "done");
  return res;
}

nlohmann::json to_json(const TransferEvalResult& r) {
  nlohmann::json cells = nlohmann::json::array();
  for (const auto& c : r.cells)
    cells.push_back({{"method", c.method},
                     {"samples", c.samples},
                     {"mape_time_pct", c.mape_time_pct.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.median_mape_time_pct)},
                     {"mape_power_pct", c.mape_power_pct.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.median_mape_power_pct)},
                     {"mape_time_pct_repeats", c.mape_time_pct},
                     {"mape_power_pct_repeats", c.mape_power_pct},
                     {"recommendations", c.recommendations},
                     {"no_recommendation", c.no_recommendation},
                     {"mean_gap_pct", c.mean_gap_pct},
                     {"max_gap_pct", c.max_gap_pct},
                     {"within_5pct", c.within_5pct},
                     {"violations", c.violations},
                     {"mean_confirm_measurements", c.mean_confirm_measurements},
                     {"violations_any", c.violations_any},
                     {"max_violation_pct", c.max_violation_pct},
                     {"mean_transfer_s", c.mean_transfer_s},
                     {"mean_sampling_s", c.mean_sampling_s},
                     {"per_budget", [&] {
                        nlohmann::json a = nlohmann::json::array();
                        for (const auto& b : c.per_budget)
                          a.push_back({{"budget_w", b.budget_w},
                                       {"optimum_ms", std::isnan(b.optimum_ms) ? nlohmann::json(nullptr) : nlohmann::json(b.optimum_ms)},
                                       {"recommendations", b.recommendations},
                                       {"no_recommendation", b.no_recommendation},
                                       {"violations", b.violations},
                                       {"mean_gap_pct", b.mean_gap_pct},
                                       {"max_gap_pct", b.max_gap_pct},
                                       {"within_5pct", b.within_5pct}});
                        return a;
                      }()}});
  return {{"reference", {{"source", r.ref_source}, {"label", r.ref_label}, {"modes", r.ref_modes}, {"fit_s", r.fit_s},
                         {"published_fit_s", r.mlp_fit_s}}},
          {"new", {{"source", r.new_source}, {"label", r.new_label}, {"modes", r.new_modes}, {"provenance", r.provenance}}},
          {"budgets_w", r.budgets_w},
          {"violation_tolerance", r.violation_tolerance},
          {"sampling", r.sampling},
          {"results", cells}};
}

}  // namespace modewise::optimize
