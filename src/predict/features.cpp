#include "modewise/predict/features.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "modewise/util/error.h"
#include "predict/json_util.h"

namespace modewise::predict {

const std::vector<std::string>& feature_set_names() {
  static const std::vector<std::string> names{"raw", "log", "physical"};
  return names;
}

void check_feature_set(const std::string& name) {
  const auto& n = feature_set_names();
  if (std::find(n.begin(), n.end(), name) == n.end())
    throw UsageError("unknown feature set '{}' (expected {})", name, fmt::join(n, ", "));
}

std::vector<std::string> feature_names(const FeatureSet& fs) {
  check_feature_set(fs.name);
  if (fs.name == "log") return {"log_cores", "log_cpu_ghz", "log_gpu_ghz", "log_emc_ghz", "log_loader_ghz"};
  std::vector<std::string> out{"cores", "cpu_ghz", "gpu_ghz", "emc_ghz"};
  if (fs.name == "physical") {
    for (const char* n : {"inv_cpu_ghz", "inv_gpu_tflops", "inv_dram_gbps", "inv_loader_ghz", "inv_cores",
                          "cpu_power_proxy", "gpu_power_proxy", "emc_power_proxy"})
      out.push_back(n);
  }
  return out;
}

Eigen::MatrixXd compute_features(const FeatureSet& fs, const device::DeviceSpec& spec,
                                 const std::vector<device::PowerMode>& modes) {
  const size_t rows = feature_names(fs).size();
  Eigen::MatrixXd x(rows, modes.size());
  const bool physical = fs.name == "physical", log = fs.name == "log";
  for (size_t c = 0; c < modes.size(); ++c) {
    const auto& m = modes[c];
    const double cpu_ghz = m.cpu_mhz / 1000.0, gpu_ghz = m.gpu_mhz / 1000.0, emc_ghz = m.emc_mhz / 1000.0;
    auto col = x.col(static_cast<Eigen::Index>(c));
    if (log) {
      const double loaders = std::max(1, std::min(m.cores, std::max(fs.workers, 1)));
      col(0) = std::log(std::max(m.cores, 1));
      col(1) = std::log(std::max(cpu_ghz, 1e-6));
      col(2) = std::log(std::max(gpu_ghz, 1e-6));
      col(3) = std::log(std::max(emc_ghz, 1e-6));
      col(4) = std::log(loaders * std::max(cpu_ghz, 1e-6));
      continue;
    }
    col(0) = m.cores;
    col(1) = cpu_ghz;
    col(2) = gpu_ghz;
    col(3) = emc_ghz;
    if (!physical) continue;
    const double tflops = std::max(spec.peak_fp32_gflops(m.gpu_mhz) / 1000.0, 1e-6);
    const double gbps = std::max(spec.peak_dram_gbps(m.emc_mhz), 1e-6);
    const double loaders = std::max(1, std::min(m.cores, std::max(fs.workers, 1)));
    col(4) = 1.0 / std::max(cpu_ghz, 1e-6);
    col(5) = 1.0 / tflops;
    col(6) = 100.0 / gbps;
    col(7) = 1.0 / (loaders * std::max(cpu_ghz, 1e-6));
    col(8) = 1.0 / std::max(m.cores, 1);
    col(9) = m.cores * cpu_ghz * cpu_ghz;        // dynamic CPU power ~ cores x f x V^2, V rising with f
    col(10) = tflops * gpu_ghz;                  // dynamic GPU power ~ units x f x V^2
    col(11) = gbps / 100.0;                      // memory power ~ bandwidth
  }
  return x;
}

const Eigen::MatrixXd& FeatureCache::get(const FeatureSet& fs) {
  auto key = std::make_pair(fs.name, fs.workers);
  auto it = cache_.find(key);
  if (it == cache_.end()) it = cache_.emplace(key, compute_features(fs, spec_, modes_)).first;
  return it->second;
}

void FeatureCache::set_signal(const std::string& name, Eigen::VectorXd values) {
  MW_CHECK(values.size() == static_cast<Eigen::Index>(modes_.size()));
  signals_[name] = std::move(values);
}

const Eigen::VectorXd& FeatureCache::signal(const std::string& name) const {
  auto it = signals_.find(name);
  if (it == signals_.end())
    throw Error("model input '{}' is not available (a correction model saved without its base model?)", name);
  return it->second;
}

Scaler Scaler::fit(const Eigen::MatrixXd& x) {
  MW_CHECK(x.cols() > 0);
  Scaler s;
  s.mean = x.rowwise().mean();
  s.sd.resize(x.rows());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    double var = (x.row(r).array() - s.mean(r)).square().mean();
    double sd = std::sqrt(var);
    s.sd(r) = sd > 1e-12 * std::max(1.0, std::abs(s.mean(r))) ? sd : 1.0;
  }
  return s;
}

Eigen::MatrixXd Scaler::apply(const Eigen::MatrixXd& x) const {
  MW_CHECK(x.rows() == mean.size());
  return (x.colwise() - mean).array().colwise() / sd.array();
}

nlohmann::json to_json(const FeatureSet& fs) { return {{"set", fs.name}, {"workers", fs.workers}}; }

FeatureSet feature_set_from_json(const nlohmann::json& j, const std::string& where) {
  FeatureSet fs;
  fs.name = detail::text(j, "set", where);
  fs.workers = detail::integer(j, "workers", where);
  const auto& n = feature_set_names();
  if (std::find(n.begin(), n.end(), fs.name) == n.end())
    throw Error("{}.set: unknown feature set '{}' (expected {})", where, fs.name, fmt::join(n, ", "));
  return fs;
}

nlohmann::json to_json(const Scaler& s) {
  return {{"mean", std::vector<double>(s.mean.data(), s.mean.data() + s.mean.size())},
          {"sd", std::vector<double>(s.sd.data(), s.sd.data() + s.sd.size())}};
}

Scaler scaler_from_json(const nlohmann::json& j, const std::string& where, size_t expected_size) {
  Scaler s;
  auto mean = detail::numbers(j, "mean", where, expected_size);
  auto sd = detail::numbers(j, "sd", where, expected_size);
  for (double v : sd)
    if (!(v > 0)) throw Error("{}.sd: expected positive scales, found {}", where, v);
  s.mean = Eigen::Map<Eigen::VectorXd>(mean.data(), static_cast<Eigen::Index>(mean.size()));
  s.sd = Eigen::Map<Eigen::VectorXd>(sd.data(), static_cast<Eigen::Index>(sd.size()));
  return s;
}

}  // namespace modewise::predict
