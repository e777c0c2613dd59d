// One predicted quantity (time per minibatch or board power) as a function of the power mode, in log space.
// Leaves learn from features: an MLP, ridge regression on a polynomial expansion, gradient-boosted trees,
// Gaussian-process (kernel) regression. Ridge and GP leaves may also take signals (the log predictions of the
// reference model, or of the time model) as inputs, and add one signal as an offset: a residual correction
// log(y) = log(y_base) + f(features, signals). An ensemble is the mean of its members' logs.
// Every kind round-trips through JSON.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json_fwd.hpp>

#include "modewise/predict/features.h"
#include "modewise/predict/mlp.h"

namespace modewise::predict {

class TargetModel {
 public:
  virtual ~TargetModel() = default;
  virtual std::string kind() const = 0;  // "mlp", "ridge", "gbt", "gp", "ensemble"
  // log(target) for every mode of the cache.
  virtual Eigen::VectorXd predict_log(FeatureCache& features) const = 0;
  virtual nlohmann::json to_json() const = 0;
  virtual std::unique_ptr<TargetModel> clone() const = 0;
  // Names of the signals it reads (inputs and offset), for checking that a model file is complete.
  virtual std::vector<std::string> signals_used() const { return {}; }
  // Standard deviation of log(target) where the model can estimate its own uncertainty (GP posterior,
  // ensemble spread); false when it cannot.
  virtual bool predict_log_sd(FeatureCache& /*features*/, Eigen::VectorXd& /*sd*/) const { return false; }
};

using TargetModelPtr = std::unique_ptr<TargetModel>;

// Reads any kind; throws Error naming `where` (e.g. "model.json: time") and the offending field.
TargetModelPtr target_model_from_json(const nlohmann::json& j, const std::string& where);

// A standardized target: log values mapped to zero mean, unit variance for training.
struct TargetScale {
  double mean = 0, sd = 1;
  static TargetScale fit(const Eigen::VectorXd& log_y);
};

class MlpTarget : public TargetModel {
 public:
  FeatureSet features;
  Scaler input;
  TargetScale target;
  Mlp net;

  std::string kind() const override { return "mlp"; }
  Eigen::VectorXd predict_log(FeatureCache& fc) const override;
  nlohmann::json to_json() const override;
  TargetModelPtr clone() const override { return std::make_unique<MlpTarget>(*this); }
  static std::unique_ptr<MlpTarget> from_json(const nlohmann::json& j, const std::string& where);
  // Standardized inputs of the cached modes, as the network sees them.
  Eigen::MatrixXf standardized_inputs(FeatureCache& fc) const;
};

// Inputs of a correction model: features, then signals, standardized together; plus an optional offset signal.
struct CorrectionInputs {
  FeatureSet features;
  std::vector<std::string> signals;  // appended to the features as inputs
  std::string offset;                // added to the output ("" for none)

  size_t size() const { return feature_names(features).size() + signals.size(); }
  Eigen::MatrixXd gather(FeatureCache& fc) const;  // (features + signals) x modes
  Eigen::VectorXd offset_values(FeatureCache& fc) const;  // zeros without an offset
  std::vector<std::string> used() const;
};
nlohmann::json to_json(const CorrectionInputs& in);
CorrectionInputs correction_inputs_from_json(const nlohmann::json& j, const std::string& where);

class RidgeTarget : public TargetModel {
 public:
  CorrectionInputs inputs;
  Scaler input;
  int degree = 1;          // 1: linear; 2: plus squares and pairwise products; 3: plus cubes
  double lambda = 1e-3;    // ridge penalty used when fitting (kept for the record)
  Eigen::VectorXd coef;    // intercept first, then the expanded terms

  std::string kind() const override { return "ridge"; }
  Eigen::VectorXd predict_log(FeatureCache& fc) const override;
  nlohmann::json to_json() const override;
  TargetModelPtr clone() const override { return std::make_unique<RidgeTarget>(*this); }
  std::vector<std::string> signals_used() const override { return inputs.used(); }
  static std::unique_ptr<RidgeTarget> from_json(const nlohmann::json& j, const std::string& where);
  // The polynomial expansion (terms x N, without the intercept) of standardized inputs.
  static Eigen::MatrixXd expand(const Eigen::MatrixXd& z, int degree);
};

struct RegressionTree {
  // Node i: leaf when feature[i] < 0 (value[i] is the output), else go left when x[feature] <= threshold.
  std::vector<int> feature, left, right;
  std::vector<double> threshold, value;
  double eval(const double* x) const;
};

class GbtTarget : public TargetModel {
 public:
  FeatureSet features;
  double base = 0;  // initial prediction (mean log target)
  std::vector<RegressionTree> trees;  // leaf values already include the learning rate
  std::string engine = "builtin";     // what trained the trees: "builtin" (modewise) or "xgboost" (libxgboost)

  std::string kind() const override { return "gbt"; }
  Eigen::VectorXd predict_log(FeatureCache& fc) const override;
  nlohmann::json to_json() const override;
  TargetModelPtr clone() const override { return std::make_unique<GbtTarget>(*this); }
  static std::unique_ptr<GbtTarget> from_json(const nlohmann::json& j, const std::string& where);
};

// Gaussian-process regression (the posterior mean) with kernel
//   k(a, b) = s_m * Matern_nu(|a - b| / lengths) + s_l * (sigma0^2 + a.b)  (+ noise on the training diagonal)
// on standardized inputs, nu = 1.5 or 2.5; hyperparameters maximize the log marginal likelihood.
struct GpKernel {
  double nu = 2.5;
  double matern_var = 1, linear_var = 0.1, sigma0 = 1, noise_var = 1e-4;
  Eigen::VectorXd lengths;  // one per input (ARD)
};

class GpTarget : public TargetModel {
 public:
  CorrectionInputs inputs;
  Scaler input;
  TargetScale target;      // of log(y) - offset
  GpKernel kernel;
  Eigen::MatrixXd train;   // standardized training inputs (inputs x n)
  Eigen::VectorXd alpha;   // K^-1 y (standardized)
  double log_marginal_likelihood = 0;  // at the fitted hyperparameters (for the record)
  // Calibration of predict_log_sd: the root mean square of the leave-one-out residuals over their predicted
  // standard deviations (1 for a well calibrated GP, more when it is overconfident).
  double sd_scale = 1;
  // Root mean square of the closed-form leave-one-out residuals of log(y) at the fit (not saved; 0 when loaded).
  double loo_rmse_log = 0;

  std::string kind() const override { return "gp"; }
  Eigen::VectorXd predict_log(FeatureCache& fc) const override;
  nlohmann::json to_json() const override;
  TargetModelPtr clone() const override { return std::make_unique<GpTarget>(*this); }
  std::vector<std::string> signals_used() const override { return inputs.used(); }
  bool predict_log_sd(FeatureCache& fc, Eigen::VectorXd& sd) const override;
  static std::unique_ptr<GpTarget> from_json(const nlohmann::json& j, const std::string& where);
  // k(a_i, b_j) for standardized inputs (without the noise term).
  static Eigen::MatrixXd kernel_matrix(const GpKernel& k, const Eigen::MatrixXd& a, const Eigen::MatrixXd& b);
};

class EnsembleTarget : public TargetModel {
 public:
  std::vector<TargetModelPtr> members;

  std::string kind() const override { return "ensemble"; }
  Eigen::VectorXd predict_log(FeatureCache& fc) const override;
  bool predict_log_sd(FeatureCache& fc, Eigen::VectorXd& sd) const override;  // spread of the members
  nlohmann::json to_json() const override;
  TargetModelPtr clone() const override;
  std::vector<std::string> signals_used() const override;
};

}  // namespace modewise::predict
