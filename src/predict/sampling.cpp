#include "modewise/predict/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Core>
#include <fmt/format.h>

#include "modewise/profile/campaign.h"
#include "modewise/util/error.h"

namespace modewise::predict {

const std::vector<std::string>& sampling_names() {
  static const std::vector<std::string> n{"random", "spread"};
  return n;
}

namespace {

std::vector<device::PowerMode> spread(const std::vector<device::PowerMode>& c, size_t n, uint64_t seed) {
  const Eigen::Index m = static_cast<Eigen::Index>(c.size());
  Eigen::MatrixXd z(4, m);
  for (Eigen::Index i = 0; i < m; ++i) {
    const auto& p = c[static_cast<size_t>(i)];
    z.col(i) << std::log(std::max(p.cores, 1)), std::log(p.cpu_mhz), std::log(p.gpu_mhz), std::log(p.emc_mhz);
  }
  for (Eigen::Index r = 0; r < 4; ++r) {
    double mean = z.row(r).mean();
    double sd = std::sqrt((z.row(r).array() - mean).square().mean());
    z.row(r) = (z.row(r).array() - mean) / (sd > 0 ? sd : 1.0);
  }
  // Seeded start: one mode drawn by the same sampler as "random".
  device::PowerMode first = profile::sample_modes(c, 1, seed).front();
  Eigen::Index start = static_cast<Eigen::Index>(std::find(c.begin(), c.end(), first) - c.begin());
  std::vector<bool> chosen(c.size(), false);
  Eigen::VectorXd dmin = Eigen::VectorXd::Constant(m, std::numeric_limits<double>::infinity());
  Eigen::Index next = start;
  for (size_t k = 0; k < n; ++k) {
    chosen[static_cast<size_t>(next)] = true;
    dmin = dmin.cwiseMin((z.colwise() - z.col(next)).colwise().squaredNorm().transpose());
    Eigen::Index best = -1;
    for (Eigen::Index i = 0; i < m; ++i)  // farthest from everything chosen (first on ties: deterministic)
      if (!chosen[static_cast<size_t>(i)] && (best < 0 || dmin(i) > dmin(best))) best = i;
    if (best < 0) break;
    next = best;
  }
  std::vector<device::PowerMode> out;
  for (size_t i = 0; i < c.size(); ++i)
    if (chosen[i]) out.push_back(c[i]);
  return out;
}

}  // namespace

std::vector<device::PowerMode> choose_modes(const std::vector<device::PowerMode>& candidates, size_t n,
                                            const std::string& method, uint64_t seed) {
  if (n > candidates.size())
    throw UsageError("cannot choose {} modes from {} candidates", n, candidates.size());
  if (method == "random") return profile::sample_modes(candidates, n, seed);
  if (method == "spread") return n == 0 ? std::vector<device::PowerMode>{} : spread(candidates, n, seed);
  throw UsageError("unknown sampling '{}' (expected {})", method, fmt::join(sampling_names(), ", "));
}

}  // namespace modewise::predict
