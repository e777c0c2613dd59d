#include "modewise/predict/mlp.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "modewise/util/error.h"
#include "modewise/util/strings.h"
#include "predict/json_util.h"

namespace modewise::predict {

MlpArch MlpArch::parse(const std::string& hidden, const std::string& dropout) {
  MlpArch a;
  try {
    a.hidden = util::parse_int_list(hidden, "--hidden");
    a.dropout = dropout.empty() ? std::vector<double>{} : util::parse_double_list(dropout, "--dropout");
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
  for (int h : a.hidden)
    if (h < 1 || h > 4096) throw UsageError("--hidden: layer sizes must be 1..4096, found {}", h);
  for (double d : a.dropout)
    if (d < 0 || d >= 1) throw UsageError("--dropout: rates must be in [0, 1), found {}", d);
  if (a.dropout.size() > a.hidden.size())
    throw UsageError("--dropout: {} rates for {} hidden layers", a.dropout.size(), a.hidden.size());
  return a;
}

std::string MlpArch::describe() const {
  return fmt::format("{} (dropout {})", fmt::join(hidden, "-"), dropout.empty() ? "none" : fmt::format("{}", fmt::join(dropout, ",")));
}

template <typename T>
BasicMlp<T>::BasicMlp(int inputs, const MlpArch& arch, uint64_t seed) : dropout_(arch.dropout) {
  MW_CHECK(inputs > 0);
  int prev = inputs;
  std::vector<int> sizes = arch.hidden;
  sizes.push_back(1);
  for (int s : sizes) {
    layers_.push_back(Layer{Matrix::Zero(s, prev), Vector::Zero(s)});
    prev = s;
  }
  dropout_.resize(arch.hidden.size(), 0.0);
  for (size_t l = 0; l < layers_.size(); ++l) reinit_layer(l, seed + 7919 * l);
}

template <typename T>
size_t BasicMlp<T>::parameter_count() const {
  size_t n = 0;
  for (const auto& l : layers_) n += static_cast<size_t>(l.w.size() + l.b.size());
  return n;
}

template <typename T>
void BasicMlp<T>::reinit_layer(size_t index, uint64_t seed) {
  MW_CHECK(index < layers_.size());
  auto& l = layers_[index];
  std::mt19937_64 rng(seed);
  // He initialization for ReLU layers; the linear output layer gets Glorot-like scaling.
  double fan_in = static_cast<double>(l.w.cols());
  double sd = index + 1 < layers_.size() ? std::sqrt(2.0 / fan_in) : std::sqrt(1.0 / fan_in);
  std::normal_distribution<double> normal(0.0, sd);
  for (Eigen::Index i = 0; i < l.w.size(); ++i) l.w.data()[i] = static_cast<T>(normal(rng));
  l.b.setZero();
}

template <typename T>
typename BasicMlp<T>::RowVector BasicMlp<T>::predict(const Matrix& x) const {
  MW_CHECK(!layers_.empty() && x.rows() == layers_.front().w.cols());
  // Blocks of columns keep each block's activations in cache from layer to layer.
  constexpr Eigen::Index kBlock = 512;
  RowVector out(x.cols());
  Matrix a, z;
  for (Eigen::Index start = 0; start < x.cols(); start += kBlock) {
    const Eigen::Index n = std::min(kBlock, x.cols() - start);
    a = x.middleCols(start, n);
    for (size_t l = 0; l < layers_.size(); ++l) {
      z.noalias() = layers_[l].w * a;
      z.colwise() += layers_[l].b;
      if (l + 1 < layers_.size()) z = z.cwiseMax(T(0));
      a.swap(z);
    }
    out.segment(start, n) = a.row(0);
  }
  return out;
}

template <typename T>
typename BasicMlp<T>::Matrix BasicMlp<T>::last_hidden(const Matrix& x) const {
  MW_CHECK(layers_.size() >= 2 && x.rows() == layers_.front().w.cols());
  Matrix a = x;
  for (size_t l = 0; l + 1 < layers_.size(); ++l) {
    Matrix z = layers_[l].w * a;
    z.colwise() += layers_[l].b;
    a = z.cwiseMax(T(0));
  }
  return a;
}

template <typename T>
T BasicMlp<T>::loss(const Matrix& x, const RowVector& y) const {
  return (predict(x) - y).squaredNorm() / static_cast<T>(y.size());
}

template <typename T>
T BasicMlp<T>::loss_and_gradient(const Matrix& x, const RowVector& y, std::vector<Layer>& grad,
                                 std::mt19937_64* rng) const {
  const size_t L = layers_.size();
  const Eigen::Index n = x.cols();
  MW_CHECK(L > 0 && y.size() == n && x.rows() == layers_.front().w.cols());
  // Forward, keeping each layer's input activation and (for hidden layers) the ReLU x dropout mask.
  std::vector<Matrix> inputs(L), masks(L > 0 ? L - 1 : 0);
  Matrix a = x;
  for (size_t l = 0; l < L; ++l) {
    inputs[l] = a;
    Matrix z = layers_[l].w * a;
    z.colwise() += layers_[l].b;
    if (l + 1 < L) {
      Matrix mask = (z.array() > T(0)).template cast<T>();
      double p = l < dropout_.size() ? dropout_[l] : 0.0;
      if (rng && p > 0) {
        std::bernoulli_distribution keep(1.0 - p);
        const T scale = static_cast<T>(1.0 / (1.0 - p));
        for (Eigen::Index i = 0; i < mask.size(); ++i) mask.data()[i] *= keep(*rng) ? scale : T(0);
      }
      z = z.cwiseProduct(mask);
      masks[l] = std::move(mask);
    }
    a.swap(z);
  }
  RowVector err = a.row(0) - y;
  T loss = err.squaredNorm() / static_cast<T>(n);
  // Backward.
  grad.resize(L);
  Matrix delta = err * (T(2) / static_cast<T>(n));  // dLoss/dOutput, (1 x n)
  for (size_t l = L; l-- > 0;) {
    grad[l].w.noalias() = delta * inputs[l].transpose();
    grad[l].b = delta.rowwise().sum();
    if (l == 0) break;
    Matrix back = layers_[l].w.transpose() * delta;
    delta = back.cwiseProduct(masks[l - 1]);
  }
  return loss;
}

template <typename T>
nlohmann::json BasicMlp<T>::to_json() const {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : layers_) {
    std::vector<double> w(static_cast<size_t>(l.w.size()));
    for (Eigen::Index r = 0, k = 0; r < l.w.rows(); ++r)  // row-major in the file: one output unit at a time
      for (Eigen::Index c = 0; c < l.w.cols(); ++c) w[static_cast<size_t>(k++)] = static_cast<double>(l.w(r, c));
    std::vector<double> b(l.b.data(), l.b.data() + l.b.size());
    layers.push_back({{"out", l.w.rows()}, {"in", l.w.cols()}, {"w", w}, {"b", b}});
  }
  return {{"layers", layers}, {"dropout", dropout_}};
}

template <typename T>
BasicMlp<T> BasicMlp<T>::from_json(const nlohmann::json& j, const std::string& where) {
  BasicMlp<T> net;
  const auto& layers = detail::field(j, "layers", where);
  if (!layers.is_array() || layers.empty()) throw Error("{}.layers: expected a non-empty array", where);
  Eigen::Index prev = -1;
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string w_where = fmt::format("{}.layers[{}]", where, i);
    int out = detail::integer(layers[i], "out", w_where), in = detail::integer(layers[i], "in", w_where);
    if (out < 1 || in < 1) throw Error("{}: layer sizes must be positive", w_where);
    if (prev >= 0 && in != prev) throw Error("{}: expected {} inputs (the previous layer's outputs), found {}", w_where, prev, in);
    if (i + 1 == layers.size() && out != 1) throw Error("{}: the output layer must have 1 output, found {}", w_where, out);
    auto w = detail::numbers(layers[i], "w", w_where, static_cast<size_t>(out) * in);
    auto b = detail::numbers(layers[i], "b", w_where, static_cast<size_t>(out));
    Layer l{Matrix(out, in), Vector(out)};
    for (int r = 0, k = 0; r < out; ++r)
      for (int c = 0; c < in; ++c) l.w(r, c) = static_cast<T>(w[static_cast<size_t>(k++)]);
    for (int r = 0; r < out; ++r) l.b(r) = static_cast<T>(b[static_cast<size_t>(r)]);
    net.layers_.push_back(std::move(l));
    prev = out;
  }
  net.dropout_ = detail::numbers(j, "dropout", where, size_t(-1));
  net.dropout_.resize(net.layers_.size() - 1, 0.0);
  return net;
}

template class BasicMlp<float>;
template class BasicMlp<double>;

namespace {

struct AdamState {
  std::vector<Mlp::Layer> m, v;
  long step = 0;
};

void adam_step(Mlp& net, const std::vector<Mlp::Layer>& grad, AdamState& s, const TrainOptions& opt) {
  constexpr float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  ++s.step;
  const float lr = static_cast<float>(opt.learning_rate);
  const float c1 = 1.0f / (1.0f - std::pow(b1, static_cast<float>(s.step)));
  const float c2 = 1.0f / (1.0f - std::pow(b2, static_cast<float>(s.step)));
  const float wd = static_cast<float>(opt.weight_decay);
  auto& layers = net.layers();
  for (size_t l = static_cast<size_t>(std::max(0, opt.first_trainable_layer)); l < layers.size(); ++l) {
    auto update = [&](auto& param, const auto& g_raw, auto& m, auto& v) {
      auto g = (g_raw.array() + wd * param.array()).eval();
      m.array() = b1 * m.array() + (1 - b1) * g;
      v.array() = b2 * v.array() + (1 - b2) * g.square();
      param.array() -= lr * (m.array() * c1) / ((v.array() * c2).sqrt() + eps);
    };
    update(layers[l].w, grad[l].w, s.m[l].w, s.v[l].w);
    update(layers[l].b, grad[l].b, s.m[l].b, s.v[l].b);
  }
}

}  // namespace

TrainReport train_mlp(Mlp& net, const Eigen::MatrixXf& x, const Eigen::RowVectorXf& y, const TrainOptions& opt) {
  MW_CHECK(x.cols() == y.size() && x.cols() > 0 && opt.batch_size > 0 && opt.epochs >= 0);
  std::mt19937_64 rng(opt.seed);
  std::vector<int> order(static_cast<size_t>(x.cols()));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  size_t n_val = opt.val_fraction > 0 ? static_cast<size_t>(std::floor(opt.val_fraction * order.size())) : 0;
  if (order.size() - n_val < 1) n_val = 0;
  std::vector<int> val(order.end() - static_cast<long>(n_val), order.end());
  std::vector<int> train(order.begin(), order.end() - static_cast<long>(n_val));
  Eigen::MatrixXf x_val = x(Eigen::all, val);
  Eigen::RowVectorXf y_val = y(Eigen::all, val);

  AdamState adam;
  for (const auto& l : net.layers()) {
    adam.m.push_back({Eigen::MatrixXf::Zero(l.w.rows(), l.w.cols()), Eigen::VectorXf::Zero(l.b.size())});
    adam.v.push_back(adam.m.back());
  }
  TrainReport rep;
  std::vector<Mlp::Layer> grad, best = net.layers();
  double best_val = INFINITY;
  int since_best = 0;
  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    std::shuffle(train.begin(), train.end(), rng);
    double sum = 0;
    for (size_t start = 0; start < train.size(); start += static_cast<size_t>(opt.batch_size)) {
      size_t end = std::min(train.size(), start + static_cast<size_t>(opt.batch_size));
      std::vector<int> idx(train.begin() + static_cast<long>(start), train.begin() + static_cast<long>(end));
      Eigen::MatrixXf xb = x(Eigen::all, idx);
      Eigen::RowVectorXf yb = y(Eigen::all, idx);
      sum += net.loss_and_gradient(xb, yb, grad, &rng) * static_cast<double>(idx.size());
      adam_step(net, grad, adam, opt);
    }
    rep.epochs_run = epoch;
    rep.train_loss = sum / static_cast<double>(train.size());
    double v = n_val ? net.loss(x_val, y_val) : rep.train_loss;
    if (v < best_val) {
      best_val = v;
      rep.best_epoch = epoch;
      if (n_val) best = net.layers();
      since_best = 0;
    } else if (opt.patience > 0 && ++since_best >= opt.patience) {
      break;
    }
  }
  if (n_val && rep.best_epoch > 0) net.layers() = best;
  rep.val_loss = best_val;
  return rep;
}

}  // namespace modewise::predict
