#include "cosched/gmd_local.h"

#include <algorithm>
#include <cmath>

#include <Eigen/Dense>

#include "cosched/plan_util.h"
#include "modewise/cosched/surrogate.h"
#include "modewise/util/error.h"

namespace modewise::cosched::detail {

std::vector<size_t> lattice_neighbours(const ModeLattice& lat, size_t center) {
  std::vector<size_t> out;
  const ModeLattice::Coords c = lat.coords(center);
  for (int a = 0; a < ModeLattice::kAxes; ++a)
    for (int step : {-1, 1}) {
      ModeLattice::Coords n = c;
      n[a] += step;
      if (!lat.contains(n)) continue;
      const size_t i = lat.index(n);
      if (lat.available(i)) out.push_back(i);
    }
  return out;
}

bool completes_pair(const ProfileOracle& oracle, size_t center, size_t neighbour) {
  const ModeLattice& lat = oracle.lattice();
  const auto c = lat.coords(center);
  auto opposite = lat.coords(neighbour);
  for (int ax = 0; ax < ModeLattice::kAxes; ++ax) opposite[ax] = 2 * c[ax] - opposite[ax];
  return lat.contains(opposite) && oracle.measured(lat.index(opposite));
}

ModeEstimate local_fit_estimate(const ProfileOracle& o, const Margins& m, size_t mode, double sd_inflation) {
  MW_CHECK(o.measured(mode));
  ModeEstimate e;
  e.mode_index = mode;
  e.profile = *o.find(mode);
  const Eigen::VectorXd own = Surrogate::log_targets(e.profile);
  const Eigen::Index T = own.size();
  const int n_own = o.times_measured(mode);
  e.rel_sd.assign(static_cast<size_t>(T), 0.0);
  if (m.none()) return e;
  for (Eigen::Index t = 0; t < T; ++t) e.rel_sd[t] = (t % 2 == 0 ? m.time_rel_sd : m.power_rel_sd) / std::sqrt(double(n_own));

  // Rows: the mode, then its measured neighbours; columns: intercept, then one slope per axis with a neighbour.
  const ModeLattice& lat = o.lattice();
  const ModeLattice::Coords c = lat.coords(mode);
  std::vector<size_t> rows{mode};
  bool any_pair = false;
  for (size_t i : lattice_neighbours(lat, mode))
    if (o.measured(i)) rows.push_back(i);
  std::vector<int> axis_col(ModeLattice::kAxes, -1);
  int cols = 1;
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto rc = lat.coords(rows[r]);
    for (int a = 0; a < ModeLattice::kAxes; ++a)
      if (rc[a] != c[a]) {
        if (axis_col[a] < 0) axis_col[a] = cols++;
        else any_pair = true;  // a second neighbour along this axis: the other side
      }
  }
  if (!any_pair) return e;  // every slope fits its one neighbour exactly: the fit equals the measurement

  const Eigen::Index n = static_cast<Eigen::Index>(rows.size());
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(n, cols), Y(n, T);
  Eigen::VectorXd w(n);
  for (Eigen::Index r = 0; r < n; ++r) {
    const size_t i = rows[static_cast<size_t>(r)];
    const auto rc = lat.coords(i);
    X(r, 0) = 1;
    for (int a = 0; a < ModeLattice::kAxes; ++a)
      if (rc[a] != c[a]) X(r, axis_col[a]) = std::log(lat.value(a, rc[a]) / lat.value(a, c[a]));
    Y.row(r) = Surrogate::log_targets(*o.find(i)).transpose();
    w[r] = o.times_measured(i);
  }
  const Eigen::MatrixXd XtW = X.transpose() * w.asDiagonal();
  const Eigen::MatrixXd inv = (XtW * X).inverse();
  const double h = inv(0, 0);  // variance of the intercept, in units of one measurement's
  if (!(h > 0) || h >= (1.0 - 1e-9) / n_own) return e;
  const Eigen::VectorXd fitted = (inv * XtW * Y).row(0).transpose();
  e.profile = Surrogate::from_log_targets(fitted);
  for (Eigen::Index t = 0; t < T; ++t) {
    const double s = (t % 2 == 0 ? m.time_rel_sd : m.power_rel_sd);
    e.rel_sd[t] = std::min(s / std::sqrt(double(n_own)), sd_inflation * s * std::sqrt(h));
  }
  return e;
}

std::vector<ModeEstimate> local_fit_estimates(const ProfileOracle& o, const Margins& m, double sd_inflation) {
  std::vector<ModeEstimate> out;
  out.reserve(o.measured_modes().size());
  for (size_t i : o.measured_modes()) out.push_back(local_fit_estimate(o, m, i, sd_inflation));
  return out;
}

Plan answer_by_local_fit(ProfileOracle& o, const Budget& budget, const Margins& margins, int left, int neighbours,
                         double sd_inflation, const std::function<size_t(size_t candidate)>& pick_neighbour) {
  auto estimates = [&] { return local_fit_estimates(o, margins, sd_inflation); };
  int neighbours_done = 0;
  for (int r = 0; r < left; ++r) {
    const std::vector<ModeEstimate> now = estimates();
    const Plan cand = plan_from_estimates(o, after_one_more_measurement(now, margins), budget, margins.z);
    const size_t a = cand.choice.mode_index;
    const size_t next = neighbours_done < neighbours ? pick_neighbour(a) : o.lattice().size();
    if (next != o.lattice().size()) {
      o.measure(next);
      ++neighbours_done;
      continue;
    }
    if (!cand.feasible && !is_near_miss(now, cand.choice, o.workloads(), budget)) break;
    o.remeasure(a);
  }
  return plan_from_estimates(o, estimates(), budget, margins.z);
}

}  // namespace modewise::cosched::detail
