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

// Ridge regression on a polynomial expansion; the penalty is chosen by exact leave-one-out error.
RidgeTarget fit_ridge_target(FeatureCache& fc, const Eigen::VectorXd& log_y, const FeatureSet& fs, int degree);

GbtTarget fit_gbt_target(FeatureCache& fc, const Eigen::VectorXd& log_y, const FeatureSet& fs, const GbtOptions& opt);

}  // namespace modewise::predict::detail
