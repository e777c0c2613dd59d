#include "modewise/predict/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "modewise/profile/campaign.h"
#include "modewise/util/error.h"

namespace modewise::predict {

const std::vector<std::string>& sampling_names() {
  static const std::vector<std::string> n{"random", "spread"};
  return n;
}

Eigen::MatrixXd standardized_log_modes(const std::vector<device::PowerMode>& c) {
  const Eigen::Index m = static_cast<Eigen::Index>(c.size());
  Eigen::MatrixXd z(4, m);
  for (Eigen::Index i = 0; i < m; ++i) {
    const auto& p = c[static_cast<size_t>(i)];
    z.col(i) << std::log(std::max(p.cores, 1)), std::log(p.cpu_mhz), std::log(p.gpu_mhz), std::log(p.emc_mhz);
  }
  if (m == 0) return z;
  for (Eigen::Index r = 0; r < 4; ++r) {
    double mean = z.row(r).mean();
    double sd = std::sqrt((z.row(r).array() - mean).square().mean());
    z.row(r) = (z.row(r).array() - mean) / (sd > 1e-12 ? sd : 1.0);
  }
  return z;
}

namespace {

// Greedy farthest-point selection: indices of up to n candidates, in the order chosen.
std::vector<size_t> farthest_points(const Eigen::MatrixXd& z, size_t n, const std::vector<size_t>& fixed,
                                    size_t start) {
  const Eigen::Index m = z.cols();
  std::vector<bool> taken(static_cast<size_t>(m), false);
  Eigen::VectorXd dmin = Eigen::VectorXd::Constant(m, std::numeric_limits<double>::infinity());
  auto take = [&](size_t i) {
    taken[i] = true;
    dmin = dmin.cwiseMin((z.colwise() - z.col(static_cast<Eigen::Index>(i))).colwise().squaredNorm().transpose());
  };
  for (size_t i : fixed) take(i);
  std::vector<size_t> out;
  if (fixed.empty() && n > 0 && m > 0) {
    // Two opposite corners of the box first (every axis' minimum and maximum), the pair picked by the seeded
    // start: the corner on the start's side of each axis' midpoint, then the opposite one (nearest candidates).
    // Cores and CPU clock take the same side, so that the fewest cores at the lowest CPU clock (where workloads
    // turn CPU-bound) is always one of the two.
    const Eigen::VectorXd lo = z.rowwise().minCoeff(), hi = z.rowwise().maxCoeff();
    Eigen::VectorXd corner(z.rows());
    for (Eigen::Index r = 0; r < z.rows(); ++r) {
      const Eigen::Index side_of = r == 1 ? 0 : r;  // row 0: log cores, row 1: log CPU clock
      corner(r) = z(side_of, static_cast<Eigen::Index>(start)) <= 0.5 * (lo(side_of) + hi(side_of)) ? lo(r) : hi(r);
    }
    Eigen::Index a = 0;
    (z.colwise() - corner).colwise().squaredNorm().minCoeff(&a);
    take(static_cast<size_t>(a));
    out.push_back(static_cast<size_t>(a));
    if (out.size() < n) {
      Eigen::Index b = 0;
      (z.colwise() - (lo + hi - corner)).colwise().squaredNorm().minCoeff(&b);
      if (!taken[static_cast<size_t>(b)]) {
        take(static_cast<size_t>(b));
        out.push_back(static_cast<size_t>(b));
      }
    }
  }
  while (out.size() < n) {
    Eigen::Index best = -1;
    for (Eigen::Index i = 0; i < m; ++i)  // farthest from everything chosen (first on ties: deterministic)
      if (!taken[static_cast<size_t>(i)] && (best < 0 || dmin(i) > dmin(best))) best = i;
    if (best < 0) break;
    take(static_cast<size_t>(best));
    out.push_back(static_cast<size_t>(best));
  }
  return out;
}

size_t seeded_start(const std::vector<device::PowerMode>& c, uint64_t seed) {
  device::PowerMode first = profile::sample_modes(c, 1, seed).front();
  return static_cast<size_t>(std::find(c.begin(), c.end(), first) - c.begin());
}

std::vector<device::PowerMode> spread(const std::vector<device::PowerMode>& c, size_t n, uint64_t seed) {
  std::vector<size_t> idx = farthest_points(standardized_log_modes(c), n, {}, seeded_start(c, seed));
  std::vector<bool> chosen(c.size(), false);
  for (size_t i : idx) chosen[i] = true;
  std::vector<device::PowerMode> out;
  for (size_t i = 0; i < c.size(); ++i)
    if (chosen[i]) out.push_back(c[i]);
  return out;
}

}  // namespace

std::vector<device::PowerMode> spread_more(const std::vector<device::PowerMode>& candidates, size_t n,
                                           const std::vector<device::PowerMode>& fixed, uint64_t seed) {
  if (candidates.empty() || n == 0) return {};
  std::unordered_map<device::PowerMode, size_t, device::PowerModeHash> index;
  for (size_t i = 0; i < candidates.size(); ++i) index.emplace(candidates[i], i);
  std::vector<size_t> fixed_idx;
  for (const auto& m : fixed)
    if (auto it = index.find(m); it != index.end()) fixed_idx.push_back(it->second);
  std::vector<size_t> idx =
      farthest_points(standardized_log_modes(candidates), n, fixed_idx, seeded_start(candidates, seed));
  std::vector<device::PowerMode> out;
  for (size_t i : idx) out.push_back(candidates[i]);
  return out;
}

std::vector<device::PowerMode> choose_modes(const std::vector<device::PowerMode>& candidates, size_t n,
                                            const std::string& method, uint64_t seed) {
  if (n > candidates.size())
    throw UsageError("cannot choose {} modes from {} candidates", n, candidates.size());
  if (method == "random") return profile::sample_modes(candidates, n, seed);
  if (method == "spread") return n == 0 ? std::vector<device::PowerMode>{} : spread(candidates, n, seed);
  throw UsageError("unknown sampling '{}' (expected {})", method, fmt::join(sampling_names(), ", "));
}

}  // namespace modewise::predict
