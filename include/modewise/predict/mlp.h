// A multilayer perceptron regressor on Eigen: dense layers with ReLU, inverted dropout on hidden layers,
// MSE loss, mini-batch Adam, early stopping on a validation split, deterministic seeds.
// Samples are columns: X is (inputs x N), targets y are (N). BasicMlp<float> is the production type;
// BasicMlp<double> exists for the finite-difference gradient check.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json_fwd.hpp>

namespace modewise::predict {

// Hidden layers of an MLP. The default is small and without dropout: with the physical features it fits a
// reference as well as PowerTrain's network (docs/PREDICT.md) and predicts 18,096 modes in a few ms;
// powertrain() is the published architecture.
struct MlpArch {
  std::vector<int> hidden = {24, 24, 12};
  std::vector<double> dropout = {};  // per hidden layer, from the first; missing entries mean 0

  static MlpArch powertrain() { return {{256, 128, 64}, {0.4, 0.3}}; }  // 4 -> 256 -> 128 -> 64 -> 1
  // "256,128,64" -> hidden sizes; throws UsageError for bad text.
  static MlpArch parse(const std::string& hidden, const std::string& dropout);
  std::string describe() const;  // "256-128-64 (dropout 0.4,0.3)"
};

struct TrainOptions {
  int epochs = 100;
  int batch_size = 32;
  double learning_rate = 1e-3;
  double weight_decay = 0;        // L2 penalty added to the gradient (decoupled from the loss value)
  double val_fraction = 0.2;      // held out for early stopping; 0 disables both
  int patience = 0;               // stop after this many epochs without validation improvement (0: never)
  int first_trainable_layer = 0;  // layers before this one are frozen
  uint64_t seed = 1;
};

struct TrainReport {
  int epochs_run = 0;
  int best_epoch = 0;
  double train_loss = 0;  // last epoch, on the standardized target
  double val_loss = 0;    // best validation loss (train loss when there is no validation split)
};

template <typename T>
class BasicMlp {
 public:
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  using RowVector = Eigen::Matrix<T, 1, Eigen::Dynamic>;

  struct Layer {
    Matrix w;  // (out x in)
    Vector b;  // (out)
  };

  BasicMlp() = default;
  // He-initialized network with `inputs` inputs, the hidden layers of `arch` and one output.
  BasicMlp(int inputs, const MlpArch& arch, uint64_t seed);

  int inputs() const { return layers_.empty() ? 0 : static_cast<int>(layers_.front().w.cols()); }
  size_t depth() const { return layers_.size(); }
  std::vector<Layer>& layers() { return layers_; }
  const std::vector<Layer>& layers() const { return layers_; }
  const std::vector<double>& dropout() const { return dropout_; }
  void set_dropout(std::vector<double> d) { dropout_ = std::move(d); }
  size_t parameter_count() const;

  // Re-initialize one layer (e.g. the output layer for a new head).
  void reinit_layer(size_t index, uint64_t seed);

  // Inference (no dropout): one output per column of x.
  RowVector predict(const Matrix& x) const;
  // Activations of the last hidden layer (the features the output layer combines linearly).
  Matrix last_hidden(const Matrix& x) const;

  // Mean squared error on (x, y) and its gradient for every layer. With `rng`, dropout is applied (training);
  // without, the network is deterministic (used by the gradient check).
  T loss_and_gradient(const Matrix& x, const RowVector& y, std::vector<Layer>& grad, std::mt19937_64* rng) const;
  T loss(const Matrix& x, const RowVector& y) const;

  nlohmann::json to_json() const;
  static BasicMlp from_json(const nlohmann::json& j, const std::string& where);

 private:
  std::vector<Layer> layers_;
  std::vector<double> dropout_;  // per hidden layer
};

using Mlp = BasicMlp<float>;

// Train with mini-batch Adam. The validation split (the last val_fraction of a seeded shuffle) drives early
// stopping; the weights of the best validation epoch are kept.
TrainReport train_mlp(Mlp& net, const Eigen::MatrixXf& x, const Eigen::RowVectorXf& y, const TrainOptions& opt);

}  // namespace modewise::predict
