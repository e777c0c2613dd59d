// Model inputs computed from a power mode. Two feature sets:
//   raw       cores, cpu_mhz, gpu_mhz, emc_mhz: the 4 inputs of the published PowerTrain MLPs.
//   log       log cores, log clocks and log(min(cores, workers) x CPU clock): power laws become linear
//             (compute-bound time ~ 1/f is a line of slope -1), used by the kernel (GP) corrections.
//   physical  raw plus physically informed terms: inverse clocks (time of clock-bound work), the device's
//             peak FP32 throughput and DRAM bandwidth (roofline terms, so transfers across devices see the
//             hardware), DataLoader parallelism min(cores, workers) x CPU clock, and DVFS power proxies.
// Features are computed per device (the roofline terms use its spec) and standardized by the model.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json_fwd.hpp>

#include "modewise/device/device_spec.h"
#include "modewise/device/power_mode.h"

namespace modewise::predict {

struct FeatureSet {
  std::string name = "physical";  // "raw", "log" or "physical"
  int workers = 4;                 // DataLoader workers assumed by the min(cores, workers) term

  bool operator==(const FeatureSet&) const = default;
};

// Known feature set names; throws UsageError for others.
const std::vector<std::string>& feature_set_names();
void check_feature_set(const std::string& name);
// Names of the columns of a feature set ("cores", "inv_cpu_ghz", ...).
std::vector<std::string> feature_names(const FeatureSet& fs);

// Raw features: one column per mode, one row per feature.
Eigen::MatrixXd compute_features(const FeatureSet& fs, const device::DeviceSpec& spec,
                                 const std::vector<device::PowerMode>& modes);

// Feature matrices of one (device, modes) pair, computed once per feature set and shared by all the parts
// of a model that use it; plus named signals, the log predictions of other models for the same modes
// ("base_time", "base_power": the reference model; "time": this model's time, an input of its power).
class FeatureCache {
 public:
  FeatureCache(const device::DeviceSpec& spec, const std::vector<device::PowerMode>& modes)
      : spec_(spec), modes_(modes) {}
  const Eigen::MatrixXd& get(const FeatureSet& fs);
  const std::vector<device::PowerMode>& modes() const { return modes_; }
  void set_signal(const std::string& name, Eigen::VectorXd values);
  // Throws Error when the signal has not been set (a model that needs a base model it does not have).
  const Eigen::VectorXd& signal(const std::string& name) const;
  bool has_signal(const std::string& name) const { return signals_.count(name) > 0; }
  const device::DeviceSpec& spec() const { return spec_; }

 private:
  const device::DeviceSpec& spec_;
  const std::vector<device::PowerMode>& modes_;
  std::map<std::pair<std::string, int>, Eigen::MatrixXd> cache_;
  std::map<std::string, Eigen::VectorXd> signals_;
};

// Per-row standardization (x - mean) / sd; sd of a constant row is taken as 1.
struct Scaler {
  Eigen::VectorXd mean, sd;
  static Scaler fit(const Eigen::MatrixXd& x);
  Eigen::MatrixXd apply(const Eigen::MatrixXd& x) const;
  size_t size() const { return static_cast<size_t>(mean.size()); }
};

nlohmann::json to_json(const FeatureSet& fs);
FeatureSet feature_set_from_json(const nlohmann::json& j, const std::string& where);
nlohmann::json to_json(const Scaler& s);
Scaler scaler_from_json(const nlohmann::json& j, const std::string& where, size_t expected_size);

}  // namespace modewise::predict
