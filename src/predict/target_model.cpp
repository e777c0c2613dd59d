#include "modewise/predict/target_model.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "modewise/util/error.h"
#include "modewise/predict/bottleneck.h"
#include "predict/json_util.h"

namespace modewise::predict {

TargetScale TargetScale::fit(const Eigen::VectorXd& log_y) {
  MW_CHECK(log_y.size() > 0);
  TargetScale s;
  s.mean = log_y.mean();
  double sd = std::sqrt((log_y.array() - s.mean).square().mean());
  s.sd = sd > 1e-9 ? sd : 1.0;
  return s;
}

// ---- correction inputs ----

Eigen::MatrixXd CorrectionInputs::gather(FeatureCache& fc) const {
  const Eigen::MatrixXd& f = fc.get(features);
  Eigen::MatrixXd x(f.rows() + static_cast<Eigen::Index>(signals.size()), f.cols());
  x.topRows(f.rows()) = f;
  for (size_t i = 0; i < signals.size(); ++i) x.row(f.rows() + static_cast<Eigen::Index>(i)) = fc.signal(signals[i]).transpose();
  return x;
}

Eigen::VectorXd CorrectionInputs::offset_values(FeatureCache& fc) const {
  if (offset.empty()) return Eigen::VectorXd::Zero(static_cast<Eigen::Index>(fc.modes().size()));
  return fc.signal(offset);
}

std::vector<std::string> CorrectionInputs::used() const {
  std::vector<std::string> out = signals;
  if (!offset.empty() && std::find(out.begin(), out.end(), offset) == out.end()) out.push_back(offset);
  return out;
}

nlohmann::json to_json(const CorrectionInputs& in) {
  return {{"features", to_json(in.features)}, {"signals", in.signals}, {"offset", in.offset}};
}

CorrectionInputs correction_inputs_from_json(const nlohmann::json& j, const std::string& where) {
  CorrectionInputs in;
  in.features = feature_set_from_json(detail::field(j, "features", where), where + ".features");
  const auto& sig = detail::field(j, "signals", where);
  if (!sig.is_array()) throw Error("{}.signals: expected an array of names", where);
  for (const auto& s : sig) {
    if (!s.is_string()) throw Error("{}.signals: expected names, found {}", where, s.dump());
    in.signals.push_back(s.get<std::string>());
  }
  in.offset = detail::text(j, "offset", where);
  return in;
}

// ---- mlp ----

Eigen::MatrixXf MlpTarget::standardized_inputs(FeatureCache& fc) const {
  return input.apply(fc.get(features)).cast<float>();
}

Eigen::VectorXd MlpTarget::predict_log(FeatureCache& fc) const {
  Eigen::RowVectorXf out = net.predict(standardized_inputs(fc));
  return (out.cast<double>().transpose().array() * target.sd + target.mean).matrix();
}

nlohmann::json MlpTarget::to_json() const {
  return {{"kind", "mlp"},         {"features", predict::to_json(features)}, {"input", predict::to_json(input)},
          {"target_mean", target.mean}, {"target_sd", target.sd},       {"net", net.to_json()}};
}

std::unique_ptr<MlpTarget> MlpTarget::from_json(const nlohmann::json& j, const std::string& where) {
  auto t = std::make_unique<MlpTarget>();
  t->features = feature_set_from_json(detail::field(j, "features", where), where + ".features");
  size_t n = feature_names(t->features).size();
  t->input = scaler_from_json(detail::field(j, "input", where), where + ".input", n);
  t->target.mean = detail::number(j, "target_mean", where);
  t->target.sd = detail::number(j, "target_sd", where);
  if (!(t->target.sd > 0)) throw Error("{}.target_sd: expected a positive number", where);
  t->net = Mlp::from_json(detail::field(j, "net", where), where + ".net");
  if (static_cast<size_t>(t->net.inputs()) != n)
    throw Error("{}.net: the first layer takes {} inputs but feature set '{}' has {}", where, t->net.inputs(),
                t->features.name, n);
  return t;
}

// ---- ridge ----

Eigen::MatrixXd RidgeTarget::expand(const Eigen::MatrixXd& z, int degree) {
  const Eigen::Index d = z.rows(), n = z.cols();
  Eigen::Index terms = d;
  if (degree >= 2) terms += d * (d + 1) / 2;
  if (degree >= 3) terms += d;
  Eigen::MatrixXd out(terms, n);
  out.topRows(d) = z;
  Eigen::Index r = d;
  if (degree >= 2)
    for (Eigen::Index i = 0; i < d; ++i)
      for (Eigen::Index k = i; k < d; ++k) out.row(r++) = z.row(i).cwiseProduct(z.row(k));
  if (degree >= 3)
    for (Eigen::Index i = 0; i < d; ++i) out.row(r++) = z.row(i).array().cube().matrix();
  return out;
}

Eigen::VectorXd RidgeTarget::predict_log(FeatureCache& fc) const {
  Eigen::MatrixXd t = expand(input.apply(inputs.gather(fc)), degree);
  MW_CHECK(coef.size() == t.rows() + 1);
  return ((t.transpose() * coef.tail(t.rows())).array() + coef(0)).matrix() + inputs.offset_values(fc);
}

nlohmann::json RidgeTarget::to_json() const {
  return {{"kind", "ridge"},   {"inputs", predict::to_json(inputs)}, {"input", predict::to_json(input)},
          {"degree", degree},  {"lambda", lambda},
          {"coef", std::vector<double>(coef.data(), coef.data() + coef.size())}};
}

std::unique_ptr<RidgeTarget> RidgeTarget::from_json(const nlohmann::json& j, const std::string& where) {
  auto t = std::make_unique<RidgeTarget>();
  t->inputs = correction_inputs_from_json(detail::field(j, "inputs", where), where + ".inputs");
  size_t n = t->inputs.size();
  t->input = scaler_from_json(detail::field(j, "input", where), where + ".input", n);
  t->degree = detail::integer(j, "degree", where);
  if (t->degree < 1 || t->degree > 3) throw Error("{}.degree: expected 1, 2 or 3, found {}", where, t->degree);
  t->lambda = detail::number(j, "lambda", where);
  size_t terms = static_cast<size_t>(expand(Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(n), 1), t->degree).rows());
  auto c = detail::numbers(j, "coef", where, terms + 1);
  t->coef = Eigen::Map<Eigen::VectorXd>(c.data(), static_cast<Eigen::Index>(c.size()));
  return t;
}

// ---- gbt ----

double RegressionTree::eval(const double* x) const {
  int i = 0;
  while (feature[static_cast<size_t>(i)] >= 0) {
    size_t k = static_cast<size_t>(i);
    i = x[feature[k]] <= threshold[k] ? left[k] : right[k];
  }
  return value[static_cast<size_t>(i)];
}

Eigen::VectorXd GbtTarget::predict_log(FeatureCache& fc) const {
  const Eigen::MatrixXd& x = fc.get(features);
  Eigen::VectorXd out = Eigen::VectorXd::Constant(x.cols(), base);
  for (Eigen::Index c = 0; c < x.cols(); ++c) {
    const double* col = x.col(c).data();
    for (const auto& t : trees) out(c) += t.eval(col);
  }
  return out;
}

nlohmann::json GbtTarget::to_json() const {
  nlohmann::json jt = nlohmann::json::array();
  for (const auto& t : trees)
    jt.push_back({{"feature", t.feature}, {"threshold", t.threshold}, {"left", t.left}, {"right", t.right},
                  {"value", t.value}});
  return {{"kind", "gbt"}, {"features", predict::to_json(features)}, {"base", base}, {"trees", jt}, {"engine", engine}};
}

std::unique_ptr<GbtTarget> GbtTarget::from_json(const nlohmann::json& j, const std::string& where) {
  auto t = std::make_unique<GbtTarget>();
  t->features = feature_set_from_json(detail::field(j, "features", where), where + ".features");
  const int n_features = static_cast<int>(feature_names(t->features).size());
  t->base = detail::number(j, "base", where);
  if (j.contains("engine")) t->engine = detail::text(j, "engine", where);  // absent in older files
  const auto& trees = detail::field(j, "trees", where);
  if (!trees.is_array()) throw Error("{}.trees: expected an array", where);
  for (size_t i = 0; i < trees.size(); ++i) {
    std::string w = fmt::format("{}.trees[{}]", where, i);
    RegressionTree tree;
    auto ints = [&](const char* key) {
      std::vector<int> out;
      for (double v : detail::numbers(trees[i], key, w, size_t(-1))) out.push_back(static_cast<int>(v));
      return out;
    };
    tree.feature = ints("feature");
    tree.left = ints("left");
    tree.right = ints("right");
    tree.threshold = detail::numbers(trees[i], "threshold", w, tree.feature.size());
    tree.value = detail::numbers(trees[i], "value", w, tree.feature.size());
    const int nodes = static_cast<int>(tree.feature.size());
    if (nodes == 0 || tree.left.size() != tree.feature.size() || tree.right.size() != tree.feature.size())
      throw Error("{}: node arrays must be non-empty and of equal length", w);
    for (int k = 0; k < nodes; ++k) {
      size_t s = static_cast<size_t>(k);
      if (tree.feature[s] >= n_features) throw Error("{}: node {} uses feature {} of {}", w, k, tree.feature[s], n_features);
      // Children must come after their parent, which also rules out cycles.
      if (tree.feature[s] >= 0 && (tree.left[s] <= k || tree.left[s] >= nodes || tree.right[s] <= k || tree.right[s] >= nodes))
        throw Error("{}: node {} has invalid children", w, k);
    }
    t->trees.push_back(std::move(tree));
  }
  return t;
}

// ---- composites ----

Eigen::VectorXd EnsembleTarget::predict_log(FeatureCache& fc) const {
  MW_CHECK(!members.empty());
  Eigen::VectorXd sum = members.front()->predict_log(fc);
  for (size_t i = 1; i < members.size(); ++i) sum += members[i]->predict_log(fc);
  return sum / static_cast<double>(members.size());
}

nlohmann::json EnsembleTarget::to_json() const {
  nlohmann::json m = nlohmann::json::array();
  for (const auto& t : members) m.push_back(t->to_json());
  return {{"kind", "ensemble"}, {"members", m}};
}

bool EnsembleTarget::predict_log_sd(FeatureCache& fc, Eigen::VectorXd& sd) const {
  if (members.size() < 2) return false;
  Eigen::MatrixXd all(static_cast<Eigen::Index>(fc.modes().size()), static_cast<Eigen::Index>(members.size()));
  for (size_t i = 0; i < members.size(); ++i) all.col(static_cast<Eigen::Index>(i)) = members[i]->predict_log(fc);
  Eigen::VectorXd mean = all.rowwise().mean();
  sd = ((all.colwise() - mean).array().square().rowwise().sum() / static_cast<double>(members.size() - 1)).sqrt();
  return true;
}

std::vector<std::string> EnsembleTarget::signals_used() const {
  std::vector<std::string> out;
  for (const auto& m : members)
    for (auto& s : m->signals_used())
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  return out;
}

TargetModelPtr EnsembleTarget::clone() const {
  auto t = std::make_unique<EnsembleTarget>();
  for (const auto& m : members) t->members.push_back(m->clone());
  return t;
}

TargetModelPtr target_model_from_json(const nlohmann::json& j, const std::string& where) {
  std::string kind = detail::text(j, "kind", where);
  if (kind == "mlp") return MlpTarget::from_json(j, where);
  if (kind == "ridge") return RidgeTarget::from_json(j, where);
  if (kind == "gbt") return GbtTarget::from_json(j, where);
  if (kind == "gp") return GpTarget::from_json(j, where);
  if (kind == "bottleneck+gp") return StructuredTarget::from_json(j, where);
  if (kind == "ensemble") {
    const auto& m = detail::field(j, "members", where);
    if (!m.is_array() || m.empty()) throw Error("{}.members: expected a non-empty array", where);
    auto t = std::make_unique<EnsembleTarget>();
    for (size_t i = 0; i < m.size(); ++i)
      t->members.push_back(target_model_from_json(m[i], fmt::format("{}.members[{}]", where, i)));
    return t;
  }
  throw Error("{}.kind: unknown model kind '{}' (expected mlp, ridge, gbt, gp, bottleneck+gp or ensemble)", where, kind);
}

}  // namespace modewise::predict
