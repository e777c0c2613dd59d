#include "modewise/optimize/confirm.h"

#include <algorithm>
#include <cmath>

#include "modewise/util/error.h"

namespace modewise::optimize {

std::optional<ConfirmedRecommendation> confirm_recommendation(const std::vector<device::PowerMode>& modes,
                                                              const predict::Predictions& pred, double budget_w,
                                                              Objective objective, const MeasureFn& measure,
                                                              const ConfirmOptions& o) {
  MW_CHECK(modes.size() == pred.size());
  if (o.measurements <= 0 || !measure) return std::nullopt;
  const bool have_sd = pred.power_log_sd.size() == pred.size();
  std::vector<size_t> candidates;
  for (size_t i = 0; i < modes.size(); ++i) {
    double slack = o.power_slack;
    if (have_sd) slack = std::max(slack, std::expm1(o.sd_slack * pred.power_log_sd[i]));
    if (pred.power_w[i] <= budget_w * (1 + slack)) candidates.push_back(i);
  }
  if (candidates.empty()) return std::nullopt;
  auto predicted = [&](size_t i) { return objective == Objective::time ? pred.time_ms[i] : pred.energy_j(i); };
  std::stable_sort(candidates.begin(), candidates.end(), [&](size_t a, size_t b) {
    return predicted(a) < predicted(b) || (predicted(a) == predicted(b) && pred.power_w[a] < pred.power_w[b]);
  });

  ConfirmedRecommendation r;
  r.budget_w = budget_w;
  auto profile = [&](size_t i) {
    r.profiled.push_back(i);
    r.measurements.push_back(measure(modes[i]));
  };
  const size_t first = std::min(candidates.size(), static_cast<size_t>(o.measurements));
  for (size_t k = 0; k < first; ++k) profile(candidates[k]);

  const double limit = budget_w * (1 + o.tolerance);
  auto best_measured = [&]() -> std::optional<size_t> {
    std::optional<size_t> best;
    auto score = [&](size_t k) {
      return objective == Objective::time ? r.measurements[k].time_ms : r.measurements[k].energy_j();
    };
    for (size_t k = 0; k < r.measurements.size(); ++k) {
      if (!(r.measurements[k].power_w <= limit)) continue;
      if (!best || score(k) < score(*best) ||
          (score(k) == score(*best) && r.measurements[k].power_w < r.measurements[*best].power_w))
        best = k;
    }
    return best;
  };
  std::optional<size_t> best = best_measured();
  if (!best) {
    // everything profiled was over the budget: step down in predicted power among the rest
    std::vector<size_t> rest(candidates.begin() + static_cast<std::ptrdiff_t>(first), candidates.end());
    std::stable_sort(rest.begin(), rest.end(), [&](size_t a, size_t b) { return pred.power_w[a] > pred.power_w[b]; });
    double lowest_measured = r.measurements.front().power_w;
    for (const auto& m : r.measurements) lowest_measured = std::min(lowest_measured, m.power_w);
    int extra = 0;
    for (size_t i : rest) {
      if (extra >= o.measurements) break;
      if (pred.power_w[i] >= lowest_measured) continue;  // not expected to be lower than what already failed
      profile(i);
      ++extra;
      if (r.measurements.back().power_w <= limit) break;
    }
    best = best_measured();
  }
  if (!best) return std::nullopt;
  r.index = r.profiled[*best];
  r.mode = modes[r.index];
  r.measured = r.measurements[*best];
  r.predicted_time_ms = pred.time_ms[r.index];
  r.predicted_power_w = pred.power_w[r.index];
  return r;
}

}  // namespace modewise::optimize
