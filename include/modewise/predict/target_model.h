// One predicted quantity (time per minibatch or board power) as a function of the power mode, in log space.
// Leaves learn from features: an MLP, ridge regression on a polynomial expansion, gradient-boosted trees.
// Composites combine other target models: residual (a frozen base model plus a learned correction of its
// log ratio) and ensemble (the mean of its members' logs). Every kind round-trips through JSON.
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
  virtual std::string kind() const = 0;  // "mlp", "ridge", "gbt", "residual", "ensemble"
  // log(target) for every mode of the cache.
  virtual Eigen::VectorXd predict_log(FeatureCache& features) const = 0;
  virtual nlohmann::json to_json() const = 0;
  virtual std::unique_ptr<TargetModel> clone() const = 0;
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

class RidgeTarget : public TargetModel {
 public:
  FeatureSet features;
  Scaler input;
  int degree = 1;          // 1: linear; 2: plus squares and pairwise products; 3: plus cubes
  double lambda = 1e-3;    // ridge penalty used when fitting (kept for the record)
  Eigen::VectorXd coef;    // intercept first, then the expanded terms

  std::string kind() const override { return "ridge"; }
  Eigen::VectorXd predict_log(FeatureCache& fc) const override;
  nlohmann::json to_json() const override;
  TargetModelPtr clone() const override { return std::make_unique<RidgeTarget>(*this); }
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

  std::string kind() const override { return "gbt"; }
  Eigen::VectorXd predict_log(FeatureCache& fc) const override;
  nlohmann::json to_json() const override;
  TargetModelPtr clone() const override { return std::make_unique<GbtTarget>(*this); }
  static std::unique_ptr<GbtTarget> from_json(const nlohmann::json& j, const std::string& where);
};

class ResidualTarget : public TargetModel {
 public:
  TargetModelPtr base;        // frozen
  TargetModelPtr correction;  // learns log(y) - base log prediction

  std::string kind() const override { return "residual"; }
  Eigen::VectorXd predict_log(FeatureCache& fc) const override;
  nlohmann::json to_json() const override;
  TargetModelPtr clone() const override;
};

class EnsembleTarget : public TargetModel {
 public:
  std::vector<TargetModelPtr> members;

  std::string kind() const override { return "ensemble"; }
  Eigen::VectorXd predict_log(FeatureCache& fc) const override;
  nlohmann::json to_json() const override;
  TargetModelPtr clone() const override;
};

}  // namespace modewise::predict
