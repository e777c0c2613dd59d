// GMD: gradient-descent search over the mode lattice for one budget, at most max_modes profiled modes.
// Time falls and power rises with every knob (cores, CPU, GPU, EMC clocks), so training throughput peaks at
// the top corner and the optimum sits where the power budget binds. GMD:
//  1. Profiles the top corner (every axis at its highest level). When its best batch size meets the power
//     budget there, nothing is faster: done.
//  2. Profiles one level down along each axis: the finite differences are the gradient of log time and power
//     along every axis (the informative corners).
//  3. Descends: a local model of the lattice (cosched/additive.h: additive per-axis level effects with a
//     smoothness prior, so the measured gradient extrapolates as a line search along each axis, plus weak
//     pairwise interactions) is refitted on every profiled mode; the next mode is the best predicted
//     (mode, batch size). While nothing feasible is known the prediction is inflated by 5% per consecutive
//     miss, aiming inside the predicted boundary. Continues until max_modes are profiled.
// The batch size is chosen exactly at every profiled mode. The answer is the best profiled (mode, batch
// size), checked against measured values. With noise the search stops `repeats` measurements early (2 of 15);
//  4. Local fit (local_fit() below, cosched/gmd_local.h): one of them measures a neighbour of the candidate
//     answer, the other re-measures the candidate; every measured mode's values are fitted with its measured
//     neighbours (a local linear model in log space that averages their noise) and the answer is checked
//     against those fitted values with safety margins from the fit's (inflated) propagated sd.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cosched/additive.h"
#include "cosched/gmd_local.h"
#include "cosched/plan_util.h"
#include "modewise/cosched/planner.h"
#include "modewise/util/error.h"

namespace modewise::cosched {

namespace {

constexpr int kAxes = ModeLattice::kAxes;
// Predicted time and power are inflated by this factor per consecutive miss while no feasible mode is known
// (tuned on the emulator: 0.02 to 0.08 all work, 0.05 best).
constexpr double kCaution = 0.05;
// With noise, of the measurements left after the search (`repeats`), this many go to a neighbour of the candidate
// answer, the rest re-measure the candidate; the local fit's propagated sd is inflated by kFitSdInflation (capped
// at the measured average's sd). Tuned on the 9 tuning pairs (docs/COSCHED.md, "GMD's local fit"): 1 neighbour
// beat 0, 2 and all; inflation 1.6 beat 1, 1.2 and 1.4 (larger values change nothing: the cap binds).
constexpr int kLocalNeighbours = 1;
constexpr double kFitSdInflation = 1.6;

class Gmd {
 public:
  Gmd(ProfileOracle& oracle, const Budget& budget, int max_modes, const Margins& margins, int repeats)
      : o_(oracle), lat_(oracle.lattice()), w_(oracle.workloads()), budget_(budget), margins_(margins),
        max_modes_(max_modes), search_limit_(margins.none() ? max_modes : std::max(1, max_modes - std::max(0, repeats))) {}

  // The search, then (with noise) the rest of the measurement budget re-measures the candidate answer.
  Plan run() {
    Plan p = search();
    if (margins_.none()) return p;
    // The opt-in smoothing (Margins::smooth_min_modes) replaces the local fit: its estimates, re-measurements.
    if (margins_.smooth_min_modes > 0) return confirm_by_remeasuring(o_, budget_, margins_, max_modes_ - o_.measurements());
    return local_fit();
  }

 private:
  Plan search();
  Plan local_fit();
  void refit();
  // The descent model's best choice at an unmeasured mode (predictions inflated by `caution`).
  Choice predicted(size_t i, double caution, bool* ok);
  // Measurements count against the budget (re-measurements included); the search leaves `repeats` of them.
  bool room() const { return o_.measurements() < search_limit_; }
  // Profile a mode (if inside the lattice, available and within budget); returns whether it is feasible.
  bool probe(const ModeLattice::Coords& c);
  Plan answer() const { return detail::make_plan(o_, best_, best_ok_, budget_); }

  ProfileOracle& o_;
  const ModeLattice& lat_;
  const Workloads& w_;
  Budget budget_;
  Margins margins_;
  int max_modes_;
  int search_limit_;
  Choice best_;
  bool best_ok_ = false, any_ = false;
  detail::AdditiveModel time_model_{lat_, true}, power_model_{lat_, false};
  Eigen::MatrixXd yt_, yp_;
  ModeProfile pred_;
};

void Gmd::refit() {
  const size_t nb = w_.infer_batch_sizes.size();
  const auto& measured = o_.measured_modes();
  yt_.resize(measured.size(), 1 + nb);
  yp_.resize(measured.size(), 1 + nb);
  for (size_t r = 0; r < measured.size(); ++r) {
    const ModeProfile& m = *o_.find(measured[r]);
    yt_(r, 0) = std::log(m.train.time_ms), yp_(r, 0) = m.train.power_w;
    for (size_t k = 0; k < nb; ++k) yt_(r, 1 + k) = std::log(m.infer[k].time_ms), yp_(r, 1 + k) = m.infer[k].power_w;
  }
  time_model_.fit(measured, yt_);
  power_model_.fit(measured, yp_);
}

Choice Gmd::predicted(size_t i, double caution, bool* ok) {
  const size_t nb = w_.infer_batch_sizes.size();
  pred_.infer.resize(nb);
  pred_.train = {caution * std::exp(time_model_.predict_one(i, 0)), caution * std::max(0.1, power_model_.predict_one(i, 0))};
  for (size_t k = 0; k < nb; ++k) {
    const auto t = static_cast<Eigen::Index>(1 + k);
    pred_.infer[k] = {caution * std::exp(time_model_.predict_one(i, t)),
                      caution * std::max(0.1, power_model_.predict_one(i, t))};
  }
  return best_at_mode(pred_, i, w_, budget_, margins_, ok);
}

// With noise, after the search (detail::answer_by_local_fit): the first kLocalNeighbours of the remaining
// measurements go to an unmeasured neighbour of the candidate answer, preferring one that completes a pair along an
// axis (so the fit at the candidate averages three measurements), then the best predicted by the descent model (it
// may become the answer: exploration); the rest re-measure the candidate.
Plan Gmd::local_fit() {
  auto pick_neighbour = [&](size_t a) {
    refit();
    size_t next = lat_.size();
    Choice next_c;
    bool next_ok = false, next_pair = false;
    for (size_t i : detail::lattice_neighbours(lat_, a)) {
      if (o_.measured(i)) continue;
      const bool pair = detail::completes_pair(o_, a, i);
      bool ok;
      Choice c = predicted(i, 1.0, &ok);
      if (next == lat_.size() || (pair && !next_pair) || (pair == next_pair && better(c, ok, next_c, next_ok, budget_)))
        next = i, next_c = c, next_ok = ok, next_pair = pair;
    }
    return next;
  };
  return detail::answer_by_local_fit(o_, budget_, margins_, max_modes_ - o_.measurements(), kLocalNeighbours,
                                     kFitSdInflation, pick_neighbour);
}

bool Gmd::probe(const ModeLattice::Coords& c) {
  if (!lat_.contains(c)) return false;
  const size_t i = lat_.index(c);
  if (!lat_.available(i) || (!o_.measured(i) && !room())) return false;
  bool ok;
  Choice choice = best_at_mode(o_.measure(i), i, w_, budget_, margins_, &ok);
  if (!any_ || better(choice, ok, best_, best_ok_, budget_)) best_ = choice, best_ok_ = ok, any_ = true;
  return ok;
}

Plan Gmd::search() {
  const std::vector<size_t> avail = lat_.available_indices();
  size_t top = avail.back();
  for (size_t i : avail) {
    auto c = lat_.coords(i), t = lat_.coords(top);
    if (c[0] + c[1] + c[2] + c[3] > t[0] + t[1] + t[2] + t[3]) top = i;
  }
  const ModeLattice::Coords x = lat_.coords(top);
  probe(x);
  {  // Done when the fastest batch size that meets latency also meets power at the top corner.
    const ModeProfile& p = *o_.find(top);
    double relaxed = 0;
    bool latency_possible = false;
    for (size_t k = 0; k < w_.infer_batch_sizes.size(); ++k) {
      Outcome out = evaluate(p.train, p.infer[k], w_.train_batch_size, w_.infer_batch_sizes[k], budget_.arrival_rate_per_s);
      const auto [lat_margin, pow_margin] = relative_margins(margins_, p.train, p.infer[k], out);
      Violation v = check(out, budget_, lat_margin, pow_margin);
      if (v.latency_excess_ms > 0 || v.duty_excess > 0) continue;
      latency_possible = true;
      relaxed = std::max(relaxed, out.train_throughput);
    }
    if (!latency_possible) return answer();  // slower modes only add latency
    if (best_ok_ && best_.outcome.train_throughput >= relaxed * (1 - 1e-9)) return answer();
  }
  for (int a = 0; a < kAxes; ++a) {  // the gradient: one level down along each axis
    auto y = x;
    --y[a];
    probe(y);
  }
  int misses = 0;  // consecutive infeasible probes while nothing feasible is known
  std::vector<std::pair<double, size_t>> bounds;
  while (room()) {
    refit();
    const double caution = best_ok_ ? 1.0 : 1.0 + kCaution * (1 + misses);
    // Training alone bounds the throughput (B_T / t_T): visit candidates by that bound, best first, and stop
    // once the bound cannot beat the best predicted feasible candidate.
    bounds.clear();
    for (size_t i : avail)
      if (!o_.measured(i))
        bounds.emplace_back(w_.train_batch_size / (caution * std::exp(time_model_.predict_one(i, 0)) / 1000.0), i);
    std::sort(bounds.begin(), bounds.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    size_t next = lat_.size();
    Choice next_c;
    bool next_ok = false;
    for (const auto& [bound, i] : bounds) {
      if (next_ok && bound <= next_c.outcome.train_throughput) break;
      bool ok;
      Choice c = predicted(i, caution, &ok);
      if (next == lat_.size() || better(c, ok, next_c, next_ok, budget_)) next = i, next_c = c, next_ok = ok;
    }
    if (next == lat_.size()) break;
    const bool ok = probe(lat_.coords(next));
    misses = (!ok && !best_ok_) ? misses + 1 : 0;
  }
  return answer();
}

}  // namespace

Plan plan_gmd(ProfileOracle& oracle, const Budget& budget, int max_modes, const Margins& margins, int repeats) {
  const int limit = std::max(1, std::min<int>(max_modes, static_cast<int>(oracle.lattice().available_count())));
  return Gmd(oracle, budget, limit, margins, repeats).run();
}

}  // namespace modewise::cosched
