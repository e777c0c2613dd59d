#include "modewise/cosched/powertrain.h"

#include <algorithm>
#include <random>

#include "cosched/plan_util.h"
#include "modewise/cosched/surrogate.h"
#include "modewise/util/error.h"

namespace modewise::cosched {

PowertrainPlanner::PowertrainPlanner(ProfileOracle& oracle, int modes, uint64_t seed) : oracle_(oracle) {
  const ModeLattice& lat = oracle.lattice();
  std::vector<size_t> idx = lat.available_indices();
  std::mt19937_64 rng(seed ^ 0x9077);
  std::shuffle(idx.begin(), idx.end(), rng);
  idx.resize(std::min(idx.size(), static_cast<size_t>(std::max(2, modes))));
  for (size_t i : idx) oracle.measure(i);

  const auto& measured = oracle.measured_modes();
  Eigen::MatrixXd y(measured.size(), 2 + 2 * oracle.workloads().infer_batch_sizes.size());
  for (size_t r = 0; r < measured.size(); ++r) y.row(r) = Surrogate::log_targets(*oracle.find(measured[r])).transpose();
  Surrogate model(lat);
  model.fit(measured, y);
  Eigen::MatrixXd mean, sd;
  model.predict_all(mean, sd);
  predicted_.resize(lat.size());
  for (size_t i : lat.available_indices())
    predicted_[i] = oracle.measured(i) ? *oracle.find(i) : Surrogate::from_log_targets(mean.row(i).transpose());
}

Plan PowertrainPlanner::answer(const Budget& budget) const {
  Choice best;
  bool best_ok = false, any = false;
  for (size_t i : oracle_.lattice().available_indices()) {
    bool ok;
    Choice c = best_at_mode(predicted_[i], i, oracle_.workloads(), budget, Margins{}, &ok);
    if (!any || better(c, ok, best, best_ok, budget)) best = c, best_ok = ok, any = true;
  }
  Plan p = detail::make_plan(oracle_, best, best_ok, budget);
  p.predicted = !oracle_.measured(best.mode_index);
  return p;
}

}  // namespace modewise::cosched
