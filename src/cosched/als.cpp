#include "modewise/cosched/als.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <Eigen/Core>

#include "cosched/gmd_local.h"
#include "cosched/plan_util.h"
#include "modewise/cosched/surrogate.h"
#include "modewise/util/error.h"

namespace modewise::cosched {

std::vector<Budget> scenarios_around(const Budget& b, int count, uint64_t seed) {
  std::vector<Budget> s{b};
  std::mt19937_64 rng(seed ^ 0xA15);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  while (static_cast<int>(s.size()) < count)
    s.push_back({b.arrival_rate_per_s * (1 + 0.20 * u(rng)), b.latency_ms * (1 + 0.25 * u(rng)),
                 b.power_w * (1 + 0.15 * u(rng))});
  return s;
}

std::vector<Budget> scenarios_in_box(const BudgetBox& box, int count, uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0xB0C5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto logu = [&](double lo, double hi) { return lo * std::pow(hi / lo, u(rng)); };
  std::vector<Budget> s;
  for (int k = 0; k < count; ++k)
    s.push_back({logu(box.rate_lo, box.rate_hi), logu(box.latency_lo_ms, box.latency_hi_ms),
                 logu(box.power_lo_w, box.power_hi_w)});
  return s;
}

AlsPlanner::AlsPlanner(ProfileOracle& oracle, std::vector<Budget> scenarios, AlsOptions options, Margins margins)
    : oracle_(oracle), scenarios_(std::move(scenarios)), options_(options), margins_(margins) {
  MW_CHECK(!scenarios_.empty());
}

namespace {

// Best feasible throughput at one mode for one budget (0 when nothing is feasible).
double best_throughput(const ModeProfile& p, const Workloads& w, const Budget& budget, const Margins& m) {
  double best = 0;
  for (size_t k = 0; k < w.infer_batch_sizes.size(); ++k) {
    Outcome o = evaluate(p.train, p.infer[k], w.train_batch_size, w.infer_batch_sizes[k], budget.arrival_rate_per_s);
    if (o.train_throughput <= best) continue;
    const auto [lat_margin, pow_margin] = relative_margins(m, p.train, p.infer[k], o);
    if (check(o, budget, lat_margin, pow_margin).ok()) best = o.train_throughput;
  }
  return best;
}

// Space-filling start: the top corner, then greedy maximin distance in normalized lattice coordinates.
std::vector<size_t> initial_design(const ModeLattice& lat, int count, uint64_t seed) {
  std::vector<size_t> avail = lat.available_indices();
  std::mt19937_64 rng(seed ^ 0x1D5);
  std::shuffle(avail.begin(), avail.end(), rng);
  auto norm = [&](size_t i) {
    auto c = lat.coords(i);
    std::array<double, 4> x{};
    for (int a = 0; a < 4; ++a) x[a] = lat.levels(a) > 1 ? c[a] / double(lat.levels(a) - 1) : 0.0;
    return x;
  };
  size_t top = avail.front();
  double top_sum = -1;
  for (size_t i : avail) {
    auto x = norm(i);
    double s = x[0] + x[1] + x[2] + x[3];
    if (s > top_sum) top_sum = s, top = i;
  }
  std::vector<size_t> chosen{top};
  std::vector<double> dist(avail.size(), 1e9);
  while (static_cast<int>(chosen.size()) < std::min<int>(count, static_cast<int>(avail.size()))) {
    auto xc = norm(chosen.back());
    size_t best = 0;
    double best_d = -1;
    for (size_t k = 0; k < avail.size(); ++k) {
      auto x = norm(avail[k]);
      double d = 0;
      for (int a = 0; a < 4; ++a) d += (x[a] - xc[a]) * (x[a] - xc[a]);
      dist[k] = std::min(dist[k], d);
      if (dist[k] > best_d) best_d = dist[k], best = k;
    }
    chosen.push_back(avail[best]);
  }
  return chosen;
}

// With noise, after the new modes of the refinement: `left` measurements for the candidate answer's local fit
// (detail::answer_by_local_fit, as GMD's; docs/COSCHED.md, "ALS's local fit"). The first `neighbours` go to an
// unmeasured lattice neighbour of the candidate that completes a pair along an axis (its opposite neighbour is
// measured, so the fit at the candidate averages three measurements), the one whose final-surrogate prediction is
// best first; when no neighbour completes a pair, and after those, the candidate is re-measured.
Plan confirm_by_local_fit(ProfileOracle& o, const Budget& budget, const Margins& margins, const ProfileTable& predicted,
                          int left, int neighbours, double inflation) {
  const ModeLattice& lat = o.lattice();
  auto pick_neighbour = [&](size_t a) {
    size_t next = lat.size();
    Choice next_c;
    bool next_ok = false;
    for (size_t i : detail::lattice_neighbours(lat, a)) {
      if (o.measured(i) || predicted[i].infer.empty() || !detail::completes_pair(o, a, i)) continue;
      bool ok;
      Choice c = best_at_mode(predicted[i], i, o.workloads(), budget, margins, &ok);
      if (next == lat.size() || better(c, ok, next_c, next_ok, budget)) next = i, next_c = c, next_ok = ok;
    }
    return next;
  };
  return detail::answer_by_local_fit(o, budget, margins, left, neighbours, inflation, pick_neighbour);
}

}  // namespace

void AlsPlanner::profile() {
  const ModeLattice& lat = oracle_.lattice();
  const Workloads& w = oracle_.workloads();
  const int max_modes = std::min<int>(std::max(1, options_.max_modes - std::max(0, refine())),
                                      static_cast<int>(lat.available_count()));
  for (size_t i : initial_design(lat, std::min(options_.initial_modes, max_modes), options_.seed))
    oracle_.measure(i);

  Surrogate model(lat);
  Eigen::MatrixXd mean, sd_all;
  const size_t S = scenarios_.size();
  std::vector<size_t> candidates;
  while (oracle_.profiled_modes() < max_modes) {
    const auto& measured = oracle_.measured_modes();
    Eigen::MatrixXd y(measured.size(), 2 + 2 * w.infer_batch_sizes.size());
    for (size_t r = 0; r < measured.size(); ++r) y.row(r) = Surrogate::log_targets(*oracle_.find(measured[r])).transpose();
    model.fit(measured, y);
    model.predict_all(mean, sd_all);

    std::vector<double> incumbent(S, 0.0);
    for (size_t s = 0; s < S; ++s)
      for (size_t i : measured)
        incumbent[s] = std::max(incumbent[s], best_throughput(*oracle_.find(i), w, scenarios_[s], margins_));

    candidates.clear();
    for (size_t i : lat.available_indices())
      if (!oracle_.measured(i)) candidates.push_back(i);
    if (candidates.empty()) break;
    // Optimistic and expected throughput of every candidate under every scenario.
    std::vector<double> optimistic(candidates.size() * S), expected(candidates.size() * S);
    for (size_t c = 0; c < candidates.size(); ++c) {
      const size_t i = candidates[c];
      Eigen::VectorXd mu = mean.row(i).transpose(), sd = sd_all.row(i).transpose();
      ModeProfile opt = Surrogate::from_log_targets(mu - options_.optimism * sd);
      ModeProfile exp = Surrogate::from_log_targets(mu);
      for (size_t s = 0; s < S; ++s) {
        optimistic[c * S + s] = best_throughput(opt, w, scenarios_[s], margins_);
        expected[c * S + s] = best_throughput(exp, w, scenarios_[s], margins_);
      }
    }
    const int picks = std::min(options_.batch, max_modes - oracle_.profiled_modes());
    std::vector<bool> taken(candidates.size(), false);
    int picked = 0;
    for (; picked < picks; ++picked) {
      size_t best = 0;
      double best_gain = 0;
      for (size_t c = 0; c < candidates.size(); ++c) {
        if (taken[c]) continue;
        double gain = 0;
        for (size_t s = 0; s < S; ++s) {
          const double o = optimistic[c * S + s];
          if (o > incumbent[s]) gain += (o - incumbent[s]) / o;  // relative improvement in (0, 1]
        }
        if (gain > best_gain) best_gain = gain, best = c;
      }
      if (best_gain <= 0) break;
      taken[best] = true;
      oracle_.measure(candidates[best]);
      for (size_t s = 0; s < S; ++s) incumbent[s] = std::max(incumbent[s], expected[best * S + s]);  // believer
    }
    if (picked == 0) break;  // nothing is predicted to improve any scenario: stop profiling early
  }

  const auto& measured = oracle_.measured_modes();
  // The final surrogate, for the budget-specific refinement.
  predicted_.assign(lat.size(), ModeProfile{});
  if (measured.size() >= 2 && refine() > 0) {
    Eigen::MatrixXd y(measured.size(), 2 + 2 * w.infer_batch_sizes.size());
    for (size_t r = 0; r < measured.size(); ++r) y.row(r) = Surrogate::log_targets(*oracle_.find(measured[r])).transpose();
    model.fit(measured, y);
    model.predict_all(mean, sd_all);
    for (size_t i : lat.available_indices()) predicted_[i] = Surrogate::from_log_targets(mean.row(i).transpose());
  }
  shared_estimates_ = estimate_measured(oracle_, margins_);
  // Pareto-optimal profiled modes.
  pareto_.clear();
  auto dominates = [](const ModeProfile& a, const ModeProfile& b) {
    bool strict = false;
    auto le = [&](double x, double y) {
      if (x < y) strict = true;
      return x <= y;
    };
    if (!le(a.train.time_ms, b.train.time_ms) || !le(a.train.power_w, b.train.power_w)) return false;
    for (size_t k = 0; k < a.infer.size(); ++k)
      if (!le(a.infer[k].time_ms, b.infer[k].time_ms) || !le(a.infer[k].power_w, b.infer[k].power_w)) return false;
    return strict;
  };
  for (size_t i : measured) {
    bool dominated = false;
    for (size_t j : measured)
      if (j != i && dominates(*oracle_.find(j), *oracle_.find(i))) {
        dominated = true;
        break;
      }
    if (!dominated) pareto_.push_back(i);
  }
}

Plan AlsPlanner::answer(const Budget& budget) const {
  Plan plan = shared_estimates_.empty() ? plan_from_measured(oracle_, budget, margins_)
                                         : plan_from_estimates(oracle_, shared_estimates_, budget,
                                                               margins_.none() ? 0.0 : margins_.z);
  const bool noisy = !margins_.none();
  const int budget_left = std::min(refine(), options_.max_modes - oracle_.measurements());
  const int repeats = noisy ? std::min(budget_left, std::max(0, options_.repeats)) : 0;
  const int room = budget_left - repeats;  // new modes for this budget
  if (predicted_.empty() || budget_left <= 0) return plan;
  if (room <= 0) {
    ProfileOracle local = oracle_;
    return confirm_by_remeasuring(local, budget, margins_, repeats);
  }
  // Unprofiled modes ranked by their predicted best choice: predicted feasible and faster than the
  // incumbent first; while nothing feasible is profiled, the ones predicted closest to feasible.
  const Workloads& w = oracle_.workloads();
  struct Ranked {
    Choice c;
    bool ok;
  };
  std::vector<Ranked> ranked;
  const double incumbent = plan.feasible ? plan.choice.outcome.train_throughput : 0.0;
  for (size_t i : oracle_.lattice().available_indices()) {
    if (oracle_.measured(i) || predicted_[i].infer.empty()) continue;
    Ranked r;
    r.c = best_at_mode(predicted_[i], i, w, budget, margins_, &r.ok);
    if (r.ok || !plan.feasible) ranked.push_back(r);
  }
  std::sort(ranked.begin(), ranked.end(),
            [&](const Ranked& a, const Ranked& b) { return better(a.c, a.ok, b.c, b.ok, budget); });
  ProfileOracle local = oracle_;
  double best = incumbent;
  for (size_t k = 0; k < ranked.size() && k < static_cast<size_t>(room); ++k) {
    if (best > 0 && !ranked[k].ok) break;
    const ModeProfile& m = local.measure(ranked[k].c.mode_index);
    best = std::max(best, best_throughput(m, w, budget, margins_));
  }
  if (noisy) {
    const int left = options_.max_modes - local.measurements();
    // The opt-in smoothing (Margins::smooth_min_modes) keeps its re-measurements, as measured; so does
    // fit_sd_inflation <= 0 (the answer from the raw averages, before session 6).
    if (options_.fit_sd_inflation > 0 && margins_.smooth_min_modes <= 0)
      return confirm_by_local_fit(local, budget, margins_, predicted_, left, options_.local_fit_neighbours,
                                  options_.fit_sd_inflation);
    return confirm_by_remeasuring(local, budget, margins_, left);
  }
  return local.profiled_modes() == oracle_.profiled_modes() ? plan : plan_from_measured(local, budget, margins_);
}

}  // namespace modewise::cosched
