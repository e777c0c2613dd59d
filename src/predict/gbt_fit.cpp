// Gradient-boosted regression trees (squared loss, exact greedy splits): the tree baseline, built in so that
// model files stay self-contained and no extra library is required.
#include <algorithm>
#include <numeric>

#include "modewise/util/error.h"
#include "predict/fitters.h"

namespace modewise::predict::detail {

namespace {

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

GbtTarget fit_gbt_target(FeatureCache& fc, const Eigen::VectorXd& log_y, const FeatureSet& fs, const GbtOptions& opt) {
  MW_CHECK(opt.trees >= 0 && opt.max_depth >= 1 && opt.min_leaf >= 1 && log_y.size() > 0);
  GbtTarget t;
  t.features = fs;
  const Eigen::MatrixXd& x = fc.get(fs);
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
