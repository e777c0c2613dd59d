#include "modewise/optimize/confirm.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "modewise/util/error.h"

namespace modewise::optimize {
namespace {

// Log coordinates of a mode, scaled to [0, 1] over the candidate set, for "nearest measured mode".
std::vector<std::array<double, 4>> scaled_coordinates(const std::vector<device::PowerMode>& modes) {
  std::vector<std::array<double, 4>> x;
  for (const auto& m : modes)
    x.push_back({std::log(std::max(1, m.cores)), std::log(std::max(1.0, m.cpu_mhz)), std::log(std::max(1.0, m.gpu_mhz)),
                 std::log(std::max(1.0, m.emc_mhz))});
  for (size_t d = 0; d < 4; ++d) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& p : x) lo = std::min(lo, p[d]), hi = std::max(hi, p[d]);
    for (auto& p : x) p[d] = hi > lo ? (p[d] - lo) / (hi - lo) : 0.0;
  }
  return x;
}

}  // namespace

std::optional<ConfirmedRecommendation> confirm_recommendation(const std::vector<device::PowerMode>& modes,
                                                              const predict::Predictions& pred, double budget_w,
                                                              Objective objective, const MeasureFn& measure,
                                                              const ConfirmOptions& o) {
  MW_CHECK(modes.size() == pred.size());
  if (o.measurements <= 0 || !measure || modes.empty()) return std::nullopt;
  const auto x = scaled_coordinates(modes);
  const double limit = budget_w * (1 + o.tolerance);

  ConfirmedRecommendation r;
  r.budget_w = budget_w;
  std::vector<char> done(modes.size(), 0);
  // Every measured mode (known first, then profiled): its index, measurement and measured / predicted ratios.
  std::vector<size_t> anchor;
  std::vector<MeasuredPoint> anchor_m;
  std::vector<double> time_ratio, power_ratio;
  auto add_anchor = [&](size_t i, const MeasuredPoint& m) {
    done[i] = 1;
    anchor.push_back(i);
    anchor_m.push_back(m);
    time_ratio.push_back(pred.time_ms[i] > 0 ? m.time_ms / pred.time_ms[i] : 1.0);
    power_ratio.push_back(pred.power_w[i] > 0 ? m.power_w / pred.power_w[i] : 1.0);
  };
  for (const auto& [i, m] : o.known) {
    if (i >= modes.size()) throw Error("confirm: a known measurement's mode index {} is out of range (0-{})", i, modes.size() - 1);
    if (!done[i]) add_anchor(i, m);
  }
  // Predictions corrected by the ratios at the nearest profiled mode: the model's errors are smooth, so the
  // error next to a measured mode is mostly the error measured there.
  auto corrected = [&](size_t i) {
    double best_d = std::numeric_limits<double>::infinity();
    double ct = 1, cp = 1;
    for (size_t k = 0; k < anchor.size(); ++k) {
      const auto& a = x[i];
      const auto& b = x[anchor[k]];
      double d = 0;
      for (size_t j = 0; j < 4; ++j) d += (a[j] - b[j]) * (a[j] - b[j]);
      if (d < best_d) best_d = d, ct = time_ratio[k], cp = power_ratio[k];
    }
    return MeasuredPoint{pred.time_ms[i] * ct, pred.power_w[i] * cp};
  };
  auto score = [&](const MeasuredPoint& m) { return objective == Objective::time ? m.time_ms : m.energy_j(); };
  std::optional<size_t> best;  // index into anchor of the best measured within the budget
  auto consider = [&](size_t k) {
    const MeasuredPoint& m = anchor_m[k];
    if (m.power_w <= limit && (!best || score(m) < score(anchor_m[*best]) ||
                               (score(m) == score(anchor_m[*best]) && m.power_w < anchor_m[*best].power_w)))
      best = k;
  };
  for (size_t k = 0; k < anchor.size(); ++k) consider(k);

  for (int step = 0; step < o.measurements; ++step) {
    // the best candidate by corrected prediction that is expected within the budget
    std::optional<size_t> next;
    MeasuredPoint next_pred;
    for (size_t i = 0; i < modes.size(); ++i) {
      if (done[i]) continue;
      MeasuredPoint c = corrected(i);
      if (!(c.power_w <= budget_w * (1 + o.power_explore))) continue;
      if (!next || score(c) < score(next_pred) || (score(c) == score(next_pred) && c.power_w < next_pred.power_w))
        next = i, next_pred = c;
    }
    if (!next && !best) {  // nothing expected within the budget yet: try the lowest corrected power
      for (size_t i = 0; i < modes.size(); ++i) {
        if (done[i]) continue;
        MeasuredPoint c = corrected(i);
        if (!next || c.power_w < next_pred.power_w) next = i, next_pred = c;
      }
    }
    if (!next) break;
    // stop when even the expectation cannot beat what is already measured within the budget
    if (best && !(score(next_pred) < score(anchor_m[*best]) * (1 + o.explore))) break;
    MeasuredPoint m = measure(modes[*next]);
    r.profiled.push_back(*next);
    r.measurements.push_back(m);
    add_anchor(*next, m);
    consider(anchor.size() - 1);
  }
  if (!best) return std::nullopt;
  r.index = anchor[*best];
  r.mode = modes[r.index];
  r.measured = anchor_m[*best];
  r.predicted_time_ms = pred.time_ms[r.index];
  r.predicted_power_w = pred.power_w[r.index];
  return r;
}

}  // namespace modewise::optimize
