// Fitting the leaf target models (internal to the predict module).
#pragma once
#include <vector>

#include "modewise/device/device_spec.h"
#include "modewise/predict/target_model.h"
#include "modewise/predict/train.h"

namespace modewise::predict::detail {

MlpTarget fit_mlp_target(FeatureCache& fc, const Eigen::VectorXd& log_y, const FeatureSet& fs, const MlpArch& arch,
                         const TrainOptions& opt);

// Fine-tune a copy of `base` on new data: with new_head the output layer is re-initialized and the target
// rescaled to the new data (PowerTrain's transfer); layers before first_trainable_layer stay frozen.
MlpTarget finetune_mlp_target(const MlpTarget& base, FeatureCache& fc, const Eigen::VectorXd& log_y, bool new_head,
                              const TrainOptions& opt);

// Ridge regression of y on the rows of x (terms x n) with an unpenalized intercept; the penalty is chosen
// from a log grid by the exact leave-one-out error.
struct RidgeFit {
  double intercept = 0;
  Eigen::VectorXd w;
  double lambda = 0;
  double loo_mse = 0;
};
RidgeFit ridge_loo(const Eigen::MatrixXd& x, const Eigen::VectorXd& y);

// PowerTrain's new output layer, solved in closed form: ridge regression of the new target on the base
// network's last hidden layer (the "linear probe"); the target is rescaled to the new data.
MlpTarget ridge_head(const MlpTarget& base, FeatureCache& fc, const Eigen::VectorXd& log_y);

// Ridge regression on a polynomial expansion; the penalty is chosen by exact leave-one-out error.
RidgeTarget fit_ridge_target(FeatureCache& fc, const Eigen::VectorXd& log_y, const CorrectionInputs& in, int degree);

struct GpOptions {
  double nu = 2.5;                                // Matern smoothness: 1.5 or 2.5
  int iterations = 200;                           // Adam steps per start
  double learning_rate = 0.1;                     // on log hyperparameters
  std::vector<double> start_lengths = {1.0, 3.0};  // initial length scales (one start each)
  double min_noise_var = 1e-8;                    // lower bound of the noise variance (standardized target)
};

// Gaussian-process correction: log(y) - offset regressed on the inputs.
GpTarget fit_gp_target(FeatureCache& fc, const Eigen::VectorXd& log_y, const CorrectionInputs& in, const GpOptions& opt);

// Whether libxgboost can be loaded (the gbt engine "auto" then uses it).
bool xgboost_available();
GbtTarget fit_gbt_target(FeatureCache& fc, const Eigen::VectorXd& log_y, const FeatureSet& fs, const GbtOptions& opt);

}  // namespace modewise::predict::detail
