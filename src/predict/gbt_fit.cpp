// Gradient-boosted regression trees (squared loss, exact greedy splits): the tree baseline, built in so that
// model files stay self-contained and no extra library is required.
// With libxgboost installed, XGBoost (loaded at run time through its C API, so it is an optional dependency)
// trains the trees instead, and its trees are converted into the same node arrays.
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <string>
#include <type_traits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "modewise/util/error.h"
#include "predict/fitters.h"

namespace modewise::predict::detail {

namespace {

// The few functions of XGBoost's C API (xgboost/c_api.h, stable since 1.0) that training needs.
struct XgbApi {
  using Handle = void*;
  using ULong = uint64_t;
  int (*dmatrix_from_mat)(const float*, ULong, ULong, float, Handle*) = nullptr;
  int (*dmatrix_set_float_info)(Handle, const char*, const float*, ULong) = nullptr;
  int (*dmatrix_free)(Handle) = nullptr;
  int (*booster_create)(const Handle[], ULong, Handle*) = nullptr;
  int (*booster_set_param)(Handle, const char*, const char*) = nullptr;
  int (*booster_update)(Handle, int, Handle) = nullptr;
  int (*booster_save_buffer)(Handle, const char*, ULong*, const char**) = nullptr;
  int (*booster_free)(Handle) = nullptr;
  const char* (*last_error)() = nullptr;
  bool ok = false;

  static const XgbApi& get() {
    static const XgbApi api = [] {
      XgbApi a;
      // MODEWISE_NO_XGBOOST=1: use the built-in trees even where libxgboost is installed (tests, comparisons)
      if (const char* off = std::getenv("MODEWISE_NO_XGBOOST"); off && *off && std::string(off) != "0") return a;
      void* lib = nullptr;
      for (const char* name : {"libxgboost.so", "libxgboost.so.0", "libxgboost.dylib"})
        if ((lib = dlopen(name, RTLD_NOW | RTLD_LOCAL))) break;
      if (!lib) return a;
      auto sym = [&](auto& fn, const char* name) {
        fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, name));
        return fn != nullptr;
      };
      a.ok = sym(a.dmatrix_from_mat, "XGDMatrixCreateFromMat") &&
             sym(a.dmatrix_set_float_info, "XGDMatrixSetFloatInfo") && sym(a.dmatrix_free, "XGDMatrixFree") &&
             sym(a.booster_create, "XGBoosterCreate") && sym(a.booster_set_param, "XGBoosterSetParam") &&
             sym(a.booster_update, "XGBoosterUpdateOneIter") &&
             sym(a.booster_save_buffer, "XGBoosterSaveModelToBuffer") && sym(a.booster_free, "XGBoosterFree") &&
             sym(a.last_error, "XGBGetLastError");
      return a;
    }();
    return api;
  }
};

void xgb_check(const XgbApi& api, int rc, const char* what) {
  if (rc != 0) throw Error("XGBoost: {} failed: {}", what, api.last_error ? api.last_error() : "unknown error");
}

// XGBoost's squared-error boosting with the same depth, learning rate, tree count and minimum leaf size; its
// JSON model's trees become RegressionTrees (XGBoost goes left when x < threshold, modewise when x <= threshold:
// the threshold moves down to the next smaller double).
GbtTarget fit_with_xgboost(const XgbApi& api, const Eigen::MatrixXd& x, const Eigen::VectorXd& log_y,
                           const GbtOptions& opt) {
  const auto n = static_cast<XgbApi::ULong>(x.cols()), d = static_cast<XgbApi::ULong>(x.rows());
  Eigen::MatrixXf rows = x.transpose().cast<float>();  // column-major n x d -> copy as row-major below
  std::vector<float> data(static_cast<size_t>(n * d));
  for (XgbApi::ULong i = 0; i < n; ++i)
    for (XgbApi::ULong k = 0; k < d; ++k) data[i * d + k] = rows(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k));
  std::vector<float> label(log_y.data(), log_y.data() + log_y.size());
  const double base = log_y.mean();
  XgbApi::Handle dm = nullptr, booster = nullptr;
  struct Guard {
    const XgbApi& api;
    XgbApi::Handle& dm;
    XgbApi::Handle& booster;
    ~Guard() {
      if (booster) api.booster_free(booster);
      if (dm) api.dmatrix_free(dm);
    }
  } guard{api, dm, booster};
  xgb_check(api, api.dmatrix_from_mat(data.data(), n, d, std::numeric_limits<float>::quiet_NaN(), &dm), "DMatrix");
  xgb_check(api, api.dmatrix_set_float_info(dm, "label", label.data(), n), "labels");
  xgb_check(api, api.booster_create(&dm, 1, &booster), "booster");
  const std::vector<std::pair<std::string, std::string>> params{
      {"objective", "reg:squarederror"}, {"tree_method", "exact"}, {"nthread", "1"}, {"verbosity", "0"},
      {"seed", "1"}, {"max_depth", std::to_string(opt.max_depth)}, {"eta", fmt::format("{}", opt.learning_rate)},
      {"min_child_weight", std::to_string(opt.min_leaf)}, {"base_score", fmt::format("{}", base)}};
  for (const auto& [k, v] : params) xgb_check(api, api.booster_set_param(booster, k.c_str(), v.c_str()), k.c_str());
  for (int it = 0; it < opt.trees; ++it) xgb_check(api, api.booster_update(booster, it, dm), "training round");
  XgbApi::ULong len = 0;
  const char* buf = nullptr;
  xgb_check(api, api.booster_save_buffer(booster, R"({"format": "json"})", &len, &buf), "saving the model");
  nlohmann::json j = nlohmann::json::parse(std::string(buf, static_cast<size_t>(len)));
  GbtTarget t;
  t.engine = "xgboost";
  const auto& learner = j.at("learner");
  const auto& bs = learner.at("learner_model_param").at("base_score");
  t.base = bs.is_string() ? std::stod(bs.get<std::string>()) : bs.get<double>();
  for (const auto& jt : learner.at("gradient_booster").at("model").at("trees")) {
    auto left = jt.at("left_children").get<std::vector<int>>();
    auto right = jt.at("right_children").get<std::vector<int>>();
    auto split = jt.at("split_indices").get<std::vector<int>>();
    auto cond = jt.at("split_conditions").get<std::vector<double>>();
    MW_CHECK(left.size() == right.size() && left.size() == split.size() && left.size() == cond.size());
    RegressionTree tree;
    for (size_t i = 0; i < left.size(); ++i) {
      const bool leaf = left[i] < 0;
      tree.feature.push_back(leaf ? -1 : split[i]);
      tree.left.push_back(leaf ? -1 : left[i]);
      tree.right.push_back(leaf ? -1 : right[i]);
      tree.threshold.push_back(leaf ? 0.0 : std::nextafter(static_cast<double>(static_cast<float>(cond[i])), -INFINITY));
      tree.value.push_back(leaf ? cond[i] : 0.0);
    }
    t.trees.push_back(std::move(tree));
  }
  return t;
}

struct TreeBuilder {
  const Eigen::MatrixXd& x;  // features x n
  const Eigen::VectorXd& r;  // residuals
  const GbtOptions& opt;
  RegressionTree tree;

  int build(std::vector<int>& idx, int depth) {
    const int node = static_cast<int>(tree.feature.size());
    tree.feature.push_back(-1);
    tree.threshold.push_back(0);
    tree.left.push_back(-1);
    tree.right.push_back(-1);
    double sum = 0;
    for (int i : idx) sum += r(i);
    const double n = static_cast<double>(idx.size());
    tree.value.push_back(opt.learning_rate * sum / n);
    if (depth >= opt.max_depth || static_cast<int>(idx.size()) < 2 * opt.min_leaf) return node;
    // Best split by squared-error reduction: maximize sl^2/nl + sr^2/nr.
    double best_gain = sum * sum / n + 1e-12;
    int best_f = -1;
    double best_thr = 0;
    std::vector<int> sorted = idx;
    for (Eigen::Index f = 0; f < x.rows(); ++f) {
      std::sort(sorted.begin(), sorted.end(), [&](int a, int b) { return x(f, a) < x(f, b); });
      double sl = 0;
      for (size_t k = 0; k + 1 < sorted.size(); ++k) {
        sl += r(sorted[k]);
        const int nl = static_cast<int>(k + 1), nr = static_cast<int>(sorted.size()) - nl;
        if (nl < opt.min_leaf || nr < opt.min_leaf) continue;
        const double a = x(f, sorted[k]), b = x(f, sorted[k + 1]);
        if (!(a < b)) continue;
        const double sr = sum - sl;
        const double gain = sl * sl / nl + sr * sr / nr;
        if (gain > best_gain) {
          best_gain = gain;
          best_f = static_cast<int>(f);
          best_thr = 0.5 * (a + b);
        }
      }
    }
    if (best_f < 0) return node;
    std::vector<int> li, ri;
    for (int i : idx) (x(best_f, i) <= best_thr ? li : ri).push_back(i);
    tree.feature[static_cast<size_t>(node)] = best_f;
    tree.threshold[static_cast<size_t>(node)] = best_thr;
    int l = build(li, depth + 1);
    tree.left[static_cast<size_t>(node)] = l;
    int rr = build(ri, depth + 1);
    tree.right[static_cast<size_t>(node)] = rr;
    return node;
  }
};

}  // namespace

bool xgboost_available() { return XgbApi::get().ok; }

GbtTarget fit_gbt_target(FeatureCache& fc, const Eigen::VectorXd& log_y, const FeatureSet& fs, const GbtOptions& opt) {
  MW_CHECK(opt.trees >= 0 && opt.max_depth >= 1 && opt.min_leaf >= 1 && log_y.size() > 0);
  if (opt.engine != "auto" && opt.engine != "xgboost" && opt.engine != "builtin")
    throw UsageError("gbt engine must be auto, xgboost or builtin, found '{}'", opt.engine);
  const Eigen::MatrixXd& x = fc.get(fs);
  if (opt.engine != "builtin") {
    const XgbApi& api = XgbApi::get();
    if (api.ok) {
      GbtTarget t = fit_with_xgboost(api, x, log_y, opt);
      t.features = fs;
      return t;
    }
    if (opt.engine == "xgboost")
      throw Error("gbt engine 'xgboost': libxgboost.so could not be loaded (install libxgboost-dev)");
  }
  GbtTarget t;
  t.features = fs;
  t.base = log_y.mean();
  Eigen::VectorXd pred = Eigen::VectorXd::Constant(log_y.size(), t.base);
  std::vector<int> all(static_cast<size_t>(log_y.size()));
  std::iota(all.begin(), all.end(), 0);
  for (int k = 0; k < opt.trees; ++k) {
    Eigen::VectorXd resid = log_y - pred;
    TreeBuilder b{x, resid, opt, {}};
    std::vector<int> idx = all;
    b.build(idx, 0);
    for (Eigen::Index c = 0; c < x.cols(); ++c) pred(c) += b.tree.eval(x.col(c).data());
    t.trees.push_back(std::move(b.tree));
  }
  return t;
}

}  // namespace modewise::predict::detail
