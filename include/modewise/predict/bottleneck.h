// A structural ("bottleneck") prior for the gp transfer: a handful of positive parameters fitted to the few
// profiled modes of the new workload, used as the offset of the Gaussian-process correction so that the GP only
// corrects what the structure misses.
//
// Time per minibatch (ms), clocks in GHz:
//   launch = a_launch / f_cpu                                  (host launch work, one Python thread)
//   gpu    = max(a_compute / f_gpu, a_memory / f_emc) + max(a_compute2 / f_gpu, a_memory2 / f_emc)
//            + a_kernel / f_gpu + a_fixed                     (two kernel classes on a roofline, per-kernel cost)
//   step   = max(launch, gpu) + rho * min(launch, gpu)         (rho in [0, 1]: imperfect overlap)
//   loader = a_loader / (f_cpu * min(workers, cores - 1))      (DataLoader workers in parallel)
//   time   = max(step, loader)
// fitted by multi-start Levenberg-Marquardt on the squared log error (log-parameterized, so positive).
// Power (W): a non-negative least-squares fit on physically meaningful bases: a constant, the reference model's
// power, the memory clock, and dynamic terms (CPU cores busy x f_cpu^k, GPU busy fraction x f_gpu^k for
// k = 1, 3 as V^2 f proxies, 1/time for energy per minibatch), the busy fractions from the time prior's
// components over the predicted time.
// Caveat: the project's emulator computes time as such a max of host, GPU and loader terms too, so this prior
// is favoured on emulated data (docs/PREDICT.md).
#pragma once
#include <array>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json_fwd.hpp>

#include "modewise/device/device_spec.h"
#include "modewise/device/power_mode.h"
#include "modewise/predict/target_model.h"

namespace modewise::predict {

struct BottleneckTime {
  static constexpr int kParams = 9;  // log a_launch, a_compute, a_memory, a_kernel, a_fixed, logit rho, log a_loader,
                                    // log a_compute2, a_memory2
  int workers = 4;
  std::array<double, kParams> p{};
  struct Parts {
    double launch_ms, gpu_ms, loader_ms, time_ms, usable_workers;
  };
  Parts parts(const device::PowerMode& m) const;
  Eigen::VectorXd predict_log(const std::vector<device::PowerMode>& modes) const;
  // Fits p to the modes' log times (deterministic multi-start); rms_log: the fit's root mean square log error.
  static BottleneckTime fit(const std::vector<device::PowerMode>& modes, const Eigen::VectorXd& log_time, int workers,
                            double* rms_log = nullptr);
  // Leave-one-out refits for an honest check of the prior's extrapolation: column i holds the log times at every
  // mode of the prior refitted (as `fit`, from the same fixed starts) without mode i. n fits: ~0.1-0.3 s at n = 20.
  static Eigen::MatrixXd loo_predict_log(const std::vector<device::PowerMode>& modes, const Eigen::VectorXd& log_time,
                                         int workers);
  static std::vector<std::string> param_names();
};

// Relative voltage against the relative clock x = f / f_top: a floor, then linear from the knee to 1 at x = 1.
struct Voltage {
  double floor = 0.7, knee = 0.4;
  double at(double x) const;
};
// The power prior: P = coef . bases, with bases (bottleneck_power_basis_names): a static term, CPU idle
// (cores x V, cores x V^2 f), GPU idle (V, V^2 f), the memory clock, CPU dynamic (V^2 f x busy cores from the time
// prior's launch and loader parts), GPU dynamic (V^2 f x busy fraction, V^2 / time), energy per minibatch (1 / time).
constexpr int kPowerBases = 10;
constexpr int kPowerIdleBases = 6;  // the first six: the same on a device whatever the workload
struct PowerShape {
  Voltage cpu, gpu;
  Eigen::VectorXd coef;  // kPowerBases, non-negative
  double fit_rms = 0;    // relative root mean square error of the fit
};
Eigen::MatrixXd bottleneck_power_bases(const BottleneckTime& t, const PowerShape& shape,
                                       const device::DeviceSpec& spec, const std::vector<device::PowerMode>& modes,
                                       const Eigen::VectorXd& log_time);
std::vector<std::string> bottleneck_power_basis_names();
// Voltage curves (a grid search) and coefficients (NNLS, relative error) fitted to (usually the reference's)
// power; t: the time prior of the same data.
PowerShape fit_power_shape(const BottleneckTime& t, const device::DeviceSpec& spec,
                           const std::vector<device::PowerMode>& modes, const Eigen::VectorXd& log_time,
                           const Eigen::VectorXd& log_power);
struct PowerPrior {
  PowerShape shape;
};
// Non-negative least squares min |W (A^T c - y)| over c >= 0 (A: bases x n), rows weighted by w (Lawson-Hanson).
Eigen::VectorXd nnls(const Eigen::MatrixXd& a, const Eigen::VectorXd& y, const Eigen::VectorXd& w);

// log(y) = prior(mode) + GP correction: the gp target with offset signal "prior_time" or "prior_power",
// set from the prior before the correction runs. Power reads the signals "time" and "base_power".
class StructuredTarget : public TargetModel {
 public:
  std::string target = "time";  // "time" or "power"
  BottleneckTime time_prior;    // for power: the time prior whose parts give the busy fractions
  PowerPrior power;             // power only
  std::unique_ptr<GpTarget> correction;

  StructuredTarget() = default;
  StructuredTarget(const StructuredTarget& o);
  std::string kind() const override { return "bottleneck+gp"; }
  std::string signal_name() const { return "prior_" + target; }
  Eigen::VectorXd prior_log(FeatureCache& fc) const;
  Eigen::VectorXd predict_log(FeatureCache& fc) const override;
  bool predict_log_sd(FeatureCache& fc, Eigen::VectorXd& sd) const override;
  nlohmann::json to_json() const override;
  TargetModelPtr clone() const override { return std::make_unique<StructuredTarget>(*this); }
  std::vector<std::string> signals_used() const override;
  static std::unique_ptr<StructuredTarget> from_json(const nlohmann::json& j, const std::string& where);
};

}  // namespace modewise::predict
