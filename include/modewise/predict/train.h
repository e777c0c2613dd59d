// Learning performance models from profiles.
//   fit:      a reference model from a large profile (PowerTrain's MLPs, or a baseline).
//   transfer: a model for a new workload or device from 10-50 profiled modes and a reference model.
// Methods (names are the --method values):
//   fit      mlp | linear | poly | gbt
//   transfer gp | residual | powertrain | head | head+ft | freeze | ensemble | scratch | linear | poly | gbt
// See docs/PREDICT.md for what each does and how the default was chosen.
#pragma once
#include <string>
#include <vector>

#include "modewise/device/device_spec.h"
#include "modewise/predict/mlp.h"
#include "modewise/predict/model.h"
#include "modewise/profile/profile.h"

namespace modewise::predict {

inline constexpr int kMinFitModes = 50;       // a reference model needs a large profile
inline constexpr int kMinTransferModes = 10;  // the fewest modes a transfer accepts

struct GbtOptions {
  // auto: XGBoost (libxgboost, loaded at run time) when it is installed, else the built-in trees; xgboost: require
  // it; builtin: modewise's own. Either way the trees are stored in the model file and evaluated by modewise.
  std::string engine = "auto";
  int trees = 300;
  int max_depth = 4;
  double learning_rate = 0.1;
  int min_leaf = 3;
};

struct FitOptions {
  std::string method = "mlp";
  FeatureSet features;              // physical; "raw" for the published 4-input network
  MlpArch arch;                     // 24-24-12; MlpArch::powertrain() for the published network
  TrainOptions train = [] {         // small networks keep improving for hundreds of epochs (~2 s on 1,100 modes)
    TrainOptions t;
    t.epochs = 800;
    t.patience = 100;
    return t;
  }();
  int ensemble = 1;                 // mlp: networks averaged over seeds
  int poly_degree = 2;              // poly
  GbtOptions gbt;
};

struct TransferOptions {
  std::string method = "gp";
  TrainOptions train = [] {          // fine-tuning; 50 modes -> 2 mini-batches per epoch
    TrainOptions t;
    t.epochs = 200;
    t.val_fraction = 0;              // the few modes are too precious to hold out
    return t;
  }();
  int ensemble = 5;                 // ensemble methods: fine-tuned networks averaged
  FeatureSet correction_features{"log", 4};  // gp, residual: inputs of the time correction
  // gp, residual: inputs of the power correction. Raw clocks beat log clocks on all six emulated workloads
  // (median power MAPE at 50 modes 1.16-2.10% against 1.34-2.42%; docs/PREDICT.md): dynamic power grows
  // with the clock itself (f x V^2), not with its logarithm.
  FeatureSet power_correction_features{"raw", 4};
  double gp_nu_time = 1.5, gp_nu_power = 2.5;  // gp: Matern smoothness of the time and power corrections
  // gp: offset of the correction: "none" (the reference's prediction), "bottleneck" (the structural prior of
  // bottleneck.h fitted to the profiled modes) or "auto" (per target, the one with the lower leave-one-out error,
  // the prior refitted without each left-out mode, and consistent with the plain correction: train.cpp)
  std::string prior = "auto";
  int correction_degree = 2;        // residual: polynomial degree of the ridge correction (1..3)
  FeatureSet scratch_features;      // scratch, linear, poly, gbt baselines
  int poly_degree = 2;              // poly baseline
  MlpArch scratch_arch = MlpArch::powertrain();  // scratch baseline: the published network from scratch
  GbtOptions gbt;
};

// The published PowerTrain reference: 4 raw inputs, 256-128-64 with dropout 0.4/0.3, Adam 1e-3, 100 epochs,
// batch 32 (early stopping on a 20% validation split added).
FitOptions published_fit_options();

const std::vector<std::string>& fit_method_names();
const std::vector<std::string>& transfer_method_names();
std::string transfer_method_help();  // one line per method

// The modes and log targets of profile rows; throws Error for non-positive or non-finite time or power.
struct TrainingSet {
  std::vector<device::PowerMode> modes;
  Eigen::VectorXd log_time, log_power;
  int distinct_modes = 0;
  std::string provenance;  // common provenance of the rows ("mixed" when they differ, "unknown" when absent)
};
TrainingSet make_training_set(const std::vector<profile::ProfileRow>& rows, const std::string& source);

// Throws Error when rows are for another device than `spec`, or too few distinct modes.
PerfModel fit_model(const device::DeviceSpec& spec, const std::vector<profile::ProfileRow>& rows,
                    const FitOptions& opt, const std::string& source = "");
// `spec` is the new device (may differ from base.info.device: a cross-device transfer).
PerfModel transfer_model(const PerfModel& base, const device::DeviceSpec& spec,
                         const std::vector<profile::ProfileRow>& rows, const TransferOptions& opt,
                         const std::string& source = "");

}  // namespace modewise::predict
