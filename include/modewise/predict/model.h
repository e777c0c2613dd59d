// A performance model of one workload on one device: time per minibatch and board power for any power mode.
// Saved as a versioned JSON file holding the device, the input scaling inside each target model, and the
// provenance of the data it learned from.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "modewise/device/device_spec.h"
#include "modewise/device/power_mode.h"
#include "modewise/predict/target_model.h"

namespace modewise::predict {

inline constexpr int kModelFormatVersion = 1;
inline constexpr const char* kModelFormat = "modewise-model";

// The box of modes a model learned from (each axis' minimum and maximum); outside it predictions extrapolate.
struct ModeRange {
  int cores_min = 0, cores_max = 0;
  double cpu_min_mhz = 0, cpu_max_mhz = 0, gpu_min_mhz = 0, gpu_max_mhz = 0, emc_min_mhz = 0, emc_max_mhz = 0;
  static ModeRange of(const std::vector<device::PowerMode>& modes);
  bool contains(const device::PowerMode& m) const;
  std::string describe() const;  // "cores 2-12, CPU 268.8-2201.6 MHz, GPU ..., EMC ..."
  bool empty() const { return cores_max == 0; }
};

struct ModelInfo {
  std::string device;           // DeviceSpec::name the model predicts for
  std::string workload, task;   // from the profile ("" when unknown)
  int batch_size = 0;
  std::string method;           // "mlp", "powertrain", "residual", ...
  std::string provenance;       // of the training data: measured / emulated / replayed / mixed / unknown
  std::string profile;          // source file of the training data
  int modes = 0;                // distinct modes it learned from
  ModeRange range;              // of those modes
  std::string base;             // for transfers: "<workload> on <device> (<base file>)"
  std::string created_by;       // "modewise 0.1.0 transfer"
  uint64_t seed = 0;
};

struct Predictions {
  std::vector<double> time_ms, power_w;
  // Where the model can tell (GP corrections, ensembles): the standard deviation of log(power), i.e. the
  // relative uncertainty of power_w; empty otherwise.
  std::vector<double> power_log_sd;
  size_t size() const { return time_ms.size(); }
  double energy_j(size_t i) const { return time_ms[i] / 1000.0 * power_w[i]; }
};

// Prediction order: the base model (if any) gives the signals "base_time" and "base_power" (its log
// predictions for the same modes on this model's device), then `time` gives "time", then `power`.
class PerfModel {
 public:
  ModelInfo info;
  TargetModelPtr time, power;              // both predict log values
  std::shared_ptr<const PerfModel> base;   // the reference model a transfer corrects (null for a reference)

  PerfModel() = default;
  PerfModel(const PerfModel& o);
  PerfModel& operator=(const PerfModel& o);
  PerfModel(PerfModel&&) = default;
  PerfModel& operator=(PerfModel&&) = default;

  // Throws Error when `spec` is not the model's device ("model for another device").
  void check_device(const device::DeviceSpec& spec) const;
  Predictions predict(const device::DeviceSpec& spec, const std::vector<device::PowerMode>& modes,
                      bool with_uncertainty = false) const;
  // Log predictions without the device check (a base model evaluated on its transfer's device).
  void predict_log(const device::DeviceSpec& spec, const std::vector<device::PowerMode>& modes,
                   Eigen::VectorXd& log_time, Eigen::VectorXd& log_power, Eigen::VectorXd* power_log_sd = nullptr) const;
  // Fills the signals a transfer's correction models read ("base_time", "base_power").
  void set_base_signals(FeatureCache& fc) const;

  nlohmann::json to_json() const;
  static PerfModel from_json(const nlohmann::json& j, const std::string& source);
};

// How many of `modes` lie outside the range the model learned from.
size_t count_outside(const PerfModel& model, const std::vector<device::PowerMode>& modes);

void save_model(const PerfModel& model, const std::string& path);
// Throws Error naming the file and what is wrong: not JSON, not a modewise model, unsupported version,
// missing or malformed fields.
PerfModel load_model(const std::string& path);

}  // namespace modewise::predict
