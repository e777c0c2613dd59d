// Adaptive choice of the modes to profile (docs/PREDICT.md, "Adaptive sampling"):
//   1. the first batch is a spread (maximin) design over the candidates, seeded;
//   2. after it, each step transfers the base model to the rows measured so far and scores every unmeasured
//      candidate by the transfer's uncertainty (standard deviation of log time and log power), weighted up on and
//      near the predicted time/power Pareto front, and picks a batch greedily with a diversity factor that falls
//      to 0 at measured and already chosen modes.
// Everything is a deterministic function of the arguments (ties go to the first candidate).
#include "modewise/predict/adaptive_sampling.h"
#include "modewise/predict/bottleneck.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include <Eigen/Cholesky>
#include <unordered_set>

#include "modewise/predict/features.h"
#include "modewise/predict/sampling.h"
#include "modewise/predict/target_model.h"
#include "modewise/util/error.h"

namespace modewise::predict {

namespace {

using ModeSet = std::unordered_set<device::PowerMode, device::PowerModeHash>;

void check_options(const std::vector<device::PowerMode>& candidates, const AdaptiveOptions& o) {
  if (o.total == 0 || o.initial == 0 || o.batch == 0)
    throw UsageError("adaptive sampling: total, initial and batch must be at least 1");
  if (o.total > candidates.size()) throw UsageError("adaptive:{}: only {} candidate modes", o.total, candidates.size());
  if (!(o.power_weight >= 0) || !(o.front_weight >= 0) || !(o.front_band > 0) || !(o.diversity > 0))
    throw UsageError("adaptive sampling: power_weight and front_weight must be >= 0, front_band and diversity > 0");
  if (o.score != "imse" && o.score != "sd")
    throw UsageError("adaptive sampling: unknown score '{}' (expected imse or sd)", o.score);
  if (o.first_batch != "spread" && o.first_batch != "random" && o.first_batch != "prior")
    throw UsageError("adaptive sampling: unknown first batch '{}' (expected prior, spread or random)", o.first_batch);
  if (!(o.prior_length > 0)) throw UsageError("adaptive sampling: prior_length must be > 0");
  if (o.pool == 0 || o.reference == 0) throw UsageError("adaptive sampling: pool and reference must be at least 1");
}

std::vector<device::PowerMode> modes_of(const std::vector<profile::ProfileRow>& rows) {
  std::vector<device::PowerMode> m;
  m.reserve(rows.size());
  for (const auto& r : rows) m.push_back(r.mode);
  return m;
}

// Weight 1 + front_weight * exp(-gap / band), gap = log time above the lowest predicted log time at no more
// predicted power (0 on the predicted Pareto front).
std::vector<double> front_weights(const Eigen::VectorXd& lt, const Eigen::VectorXd& lp, double weight, double band) {
  const size_t n = static_cast<size_t>(lt.size());
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    auto ia = static_cast<Eigen::Index>(a), ib = static_cast<Eigen::Index>(b);
    return lp(ia) < lp(ib) || (lp(ia) == lp(ib) && lt(ia) < lt(ib));
  });
  std::vector<double> w(n, 1.0);
  double best = INFINITY;
  for (size_t i : order) {
    double t = lt(static_cast<Eigen::Index>(i));
    best = std::min(best, t);
    w[i] = 1.0 + weight * std::exp(-(t - best) / band);
  }
  return w;
}


// The posterior covariance of one Gaussian-process correction between candidates (standardized units; times
// `scale2` for log units): cov(a, b) = k(a, b) - v_a . v_b with v = L^-1 k(train, .).
struct GpPosterior {
  const GpTarget* gp = nullptr;
  Eigen::MatrixXd z, v;  // inputs (d x m) and L^-1 k(train, z) (n x m) of every candidate
  double scale2 = 1;

  static std::optional<GpPosterior> of(const TargetModel& t, FeatureCache& fc) {
    const auto* g = dynamic_cast<const GpTarget*>(&t);
    if (const auto* st = dynamic_cast<const StructuredTarget*>(&t)) {  // the gp correction of a bottleneck prior
      fc.set_signal(st->signal_name(), st->prior_log(fc));
      g = st->correction.get();
    }
    if (!g) return std::nullopt;
    return at(*g, g->input.apply(g->inputs.gather(fc)));
  }
  // The posterior of `g` (its kernel and training inputs) at inputs z.
  static std::optional<GpPosterior> at(const GpTarget& gp, Eigen::MatrixXd z) {
    const GpTarget* g = &gp;
    GpPosterior p;
    p.gp = g;
    p.z = std::move(z);
    Eigen::MatrixXd kt = GpTarget::kernel_matrix(g->kernel, g->train, g->train);
    kt.diagonal().array() += g->kernel.noise_var + 1e-10;
    Eigen::LLT<Eigen::MatrixXd> llt(kt);
    if (llt.info() != Eigen::Success) return std::nullopt;
    p.v = llt.matrixL().solve(GpTarget::kernel_matrix(g->kernel, g->train, p.z));
    p.scale2 = std::pow(g->target.sd * g->sd_scale, 2);
    return p;
  }
  Eigen::MatrixXd cols(const Eigen::MatrixXd& x, const std::vector<size_t>& idx) const {
    Eigen::MatrixXd out(x.rows(), static_cast<Eigen::Index>(idx.size()));
    for (size_t j = 0; j < idx.size(); ++j) out.col(static_cast<Eigen::Index>(j)) = x.col(static_cast<Eigen::Index>(idx[j]));
    return out;
  }
  Eigen::MatrixXd cov(const std::vector<size_t>& a, const std::vector<size_t>& b) const {
    Eigen::MatrixXd va = cols(v, a), vb = cols(v, b);
    return GpTarget::kernel_matrix(gp->kernel, cols(z, a), cols(z, b)) - va.transpose() * vb;
  }
};

// Greedy batch by integrated variance reduction: each pick is the pool candidate whose measurement would most
// reduce the front-weighted sum of the posterior variances of log time and log power over the reference
// candidates; the posteriors are then updated as if it had been measured (a GP's variance does not depend on
// the measured value), so the next pick goes where uncertainty is left.
std::vector<size_t> integrated_variance_batch(const std::vector<GpPosterior>& gps, const std::vector<double>& gp_weight,
                                              const std::vector<size_t>& pool, const std::vector<size_t>& reference,
                                              const std::vector<double>& ref_weight, size_t want) {
  struct State {
    Eigen::MatrixXd kcr, kcc;
    double noise = 0, weight = 0;
  };
  std::vector<State> st;
  Eigen::RowVectorXd w(static_cast<Eigen::Index>(reference.size()));
  for (size_t r = 0; r < reference.size(); ++r) w(static_cast<Eigen::Index>(r)) = ref_weight[reference[r]];
  for (size_t g = 0; g < gps.size(); ++g)
    st.push_back({gps[g].cov(pool, reference), gps[g].cov(pool, pool), gps[g].gp->kernel.noise_var + 1e-10,
                  gp_weight[g] * gps[g].scale2});
  std::vector<size_t> out;
  std::vector<bool> taken(pool.size(), false);
  while (out.size() < want) {
    Eigen::VectorXd gain = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(pool.size()));
    for (const auto& s : st) {
      Eigen::VectorXd num = s.kcr.array().square().matrix() * w.transpose();
      gain += s.weight * (num.array() / (s.kcc.diagonal().array().max(0.0) + s.noise)).matrix();
    }
    Eigen::Index best = -1;
    for (Eigen::Index c = 0; c < gain.size(); ++c)
      if (!taken[static_cast<size_t>(c)] && std::isfinite(gain(c)) && (best < 0 || gain(c) > gain(best))) best = c;
    if (best < 0) break;
    taken[static_cast<size_t>(best)] = true;
    out.push_back(pool[static_cast<size_t>(best)]);
    for (auto& s : st) {
      const double denom = std::max(s.kcc(best, best), 0.0) + s.noise;
      Eigen::VectorXd kc = s.kcc.col(best);
      Eigen::RowVectorXd kr = s.kcr.row(best);
      s.kcr.noalias() -= kc * kr / denom;
      s.kcc.noalias() -= kc * kc.transpose() / denom;
    }
  }
  return out;
}

// The first batch without a model: two opposite corners of the spread design (every axis' extremes), then greedy
// integrated variance reduction under a prior Gaussian process (Matern 5/2, length `prior_length` in the
// standardized log space of spread sampling) over the candidates: points that leave the least prior uncertainty
// over the whole grid, which puts fewer of them on its boundary than maximin does.
std::vector<device::PowerMode> prior_design(const std::vector<device::PowerMode>& candidates, size_t n,
                                            const AdaptiveOptions& o) {
  std::vector<device::PowerMode> out = spread_more(candidates, std::min<size_t>(2, n), {}, o.seed);
  if (out.size() >= n) return out;
  const Eigen::MatrixXd z = standardized_log_modes(candidates);
  std::vector<size_t> fixed;
  for (const auto& m : out)
    fixed.push_back(static_cast<size_t>(std::find(candidates.begin(), candidates.end(), m) - candidates.begin()));
  GpTarget prior;
  prior.kernel.nu = 2.5;
  prior.kernel.matern_var = 1;
  prior.kernel.linear_var = 0;
  prior.kernel.sigma0 = 0;
  prior.kernel.noise_var = 1e-4;
  prior.kernel.lengths = Eigen::VectorXd::Constant(z.rows(), o.prior_length);
  prior.train.resize(z.rows(), static_cast<Eigen::Index>(fixed.size()));
  for (size_t j = 0; j < fixed.size(); ++j) prior.train.col(static_cast<Eigen::Index>(j)) = z.col(static_cast<Eigen::Index>(fixed[j]));
  auto post = GpPosterior::at(prior, z);
  if (!post) return spread_more(candidates, n, {}, o.seed);
  std::vector<bool> is_fixed(candidates.size(), false);
  for (size_t i : fixed) is_fixed[i] = true;
  const size_t stride = std::max<size_t>(1, (candidates.size() + o.reference - 1) / o.reference);
  std::vector<size_t> pool, reference;
  for (size_t i = 0; i < candidates.size(); ++i)
    if (!is_fixed[i] && (i % stride == 0 || candidates.size() <= 2 * o.reference)) pool.push_back(i);
  for (size_t i = 0; i < candidates.size(); i += stride) reference.push_back(i);
  std::vector<double> ones(candidates.size(), 1.0);
  for (size_t i : integrated_variance_batch({*post}, {1.0}, pool, reference, ones, n - out.size()))
    out.push_back(candidates[i]);
  return out;
}

// One step's transfer and its predictions over the candidates.
struct Step {
  PerfModel model;
  Eigen::VectorXd lt, lp, tsd, psd;
  std::vector<double> front;
};

Step transfer_step(const PerfModel& base, const device::DeviceSpec& spec,
                   const std::vector<device::PowerMode>& candidates, const std::vector<profile::ProfileRow>& measured,
                   const AdaptiveOptions& options, FeatureCache& fc) {
  TransferOptions to = options.transfer;
  to.train.seed = options.seed;
  Step s;
  s.model = transfer_model(base, spec, measured, to, "adaptive sampling");
  s.model.set_base_signals(fc);
  s.lt = s.model.time->predict_log(fc);
  fc.set_signal("time", s.lt);
  s.lp = s.model.power->predict_log(fc);
  if (!s.model.time->predict_log_sd(fc, s.tsd)) s.tsd = Eigen::VectorXd::Zero(s.lt.size());
  if (!s.model.power->predict_log_sd(fc, s.psd)) s.psd = Eigen::VectorXd::Zero(s.lp.size());
  s.front = front_weights(s.lt, s.lp, options.front_weight, options.front_band);
  (void)candidates;
  return s;
}

// Greedy picks by value x diversity factor 1 - exp(-d^2 / (2 r^2)), d the distance in the spread space to the
// nearest measured or already picked mode (r^2 = diversity x the median such squared distance before picking).
std::vector<size_t> diverse_picks(const std::vector<device::PowerMode>& candidates, const std::vector<size_t>& left,
                                  const std::vector<bool>& is_done, const std::vector<double>& value, size_t want,
                                  double diversity) {
  const Eigen::MatrixXd z = standardized_log_modes(candidates);
  Eigen::VectorXd dmin = Eigen::VectorXd::Constant(z.cols(), INFINITY);
  auto near = [&](Eigen::Index j) { dmin = dmin.cwiseMin((z.colwise() - z.col(j)).colwise().squaredNorm().transpose()); };
  for (size_t i = 0; i < candidates.size(); ++i)
    if (is_done[i]) near(static_cast<Eigen::Index>(i));
  std::vector<double> d;
  for (size_t i : left)
    if (std::isfinite(dmin(static_cast<Eigen::Index>(i)))) d.push_back(dmin(static_cast<Eigen::Index>(i)));
  double r2 = 1.0;
  if (!d.empty()) {
    std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2), d.end());
    r2 = std::max(diversity * d[d.size() / 2], 1e-9);
  }
  std::vector<size_t> out;
  std::vector<bool> chosen(candidates.size(), false);
  while (out.size() < want) {
    size_t best = candidates.size();
    double best_score = -1;
    for (size_t i : left) {
      if (chosen[i] || is_done[i]) continue;
      double di = dmin(static_cast<Eigen::Index>(i));
      double score = value[i] * (std::isfinite(di) ? -std::expm1(-di / (2 * r2)) : 1.0);
      if (score > best_score) {
        best_score = score;
        best = i;
      }
    }
    if (best == candidates.size()) break;
    chosen[best] = true;
    out.push_back(best);
    near(static_cast<Eigen::Index>(best));
  }
  return out;
}

// Model disagreement (prior "auto"): the candidates where the transfer with the reference as offset (--prior
// none) and with the bottleneck prior disagree most, front-weighted, with diversity. The GP's variance cannot
// see where the prior's structure is wrong (its parameters are taken as exact); measuring where the two offsets
// disagree decides between them, and the honest leave-one-out check of `auto` then sees the evidence.
std::vector<size_t> disagreement_picks(const PerfModel& base, const device::DeviceSpec& spec,
                                       const std::vector<device::PowerMode>& candidates,
                                       const std::vector<profile::ProfileRow>& measured, const AdaptiveOptions& options,
                                       const std::vector<size_t>& left, const std::vector<bool>& is_done,
                                       const std::vector<double>& front, size_t want) {
  if (want == 0) return {};
  Eigen::VectorXd lt[2], lp[2];
  const char* priors[2] = {"none", "bottleneck"};
  for (int k = 0; k < 2; ++k) {
    TransferOptions to = options.transfer;
    to.train.seed = options.seed;
    to.prior = priors[k];
    FeatureCache fc(spec, candidates);
    PerfModel m = transfer_model(base, spec, measured, to, "adaptive sampling");
    m.set_base_signals(fc);
    lt[k] = m.time->predict_log(fc);
    fc.set_signal("time", lt[k]);
    lp[k] = m.power->predict_log(fc);
  }
  std::vector<double> value(candidates.size(), 0.0);
  for (size_t i : left) {
    auto e = static_cast<Eigen::Index>(i);
    double u = std::hypot(lt[0](e) - lt[1](e), options.power_weight * (lp[0](e) - lp[1](e)));
    value[i] = std::isfinite(u) ? u * front[i] : 0.0;
  }
  return diverse_picks(candidates, left, is_done, value, want, options.diversity);
}

}  // namespace

AdaptiveScores adaptive_scores(const PerfModel& base, const device::DeviceSpec& spec,
                               const std::vector<device::PowerMode>& candidates,
                               const std::vector<profile::ProfileRow>& measured, const AdaptiveOptions& options) {
  FeatureCache fc(spec, candidates);
  Step st = transfer_step(base, spec, candidates, measured, options, fc);
  AdaptiveScores s;
  s.time_log_sd.assign(st.tsd.data(), st.tsd.data() + st.tsd.size());
  s.power_log_sd.assign(st.psd.data(), st.psd.data() + st.psd.size());
  s.front_weight = st.front;
  return s;
}

std::vector<device::PowerMode> next_adaptive_modes(const PerfModel& base, const device::DeviceSpec& spec,
                                                   const std::vector<device::PowerMode>& candidates,
                                                   const std::vector<profile::ProfileRow>& measured,
                                                   const AdaptiveOptions& options) {
  check_options(candidates, options);
  ModeSet done;
  for (const auto& r : measured) done.insert(r.mode);
  if (done.size() >= options.total) return {};
  const size_t remaining = options.total - done.size();
  std::vector<size_t> left;  // indices of unmeasured candidates (first occurrence)
  {
    ModeSet seen = done;
    for (size_t i = 0; i < candidates.size(); ++i)
      if (seen.insert(candidates[i]).second) left.push_back(i);
  }
  if (left.empty()) return {};
  const std::vector<device::PowerMode> done_modes = modes_of(measured);

  // Phase 1: the spread design of the first batch (at least kMinTransferModes modes, so that a transfer works).
  const size_t first = std::min(options.total, std::max(options.initial, static_cast<size_t>(kMinTransferModes)));
  auto spread_continuation = [&](size_t want) {
    return spread_more(candidates, std::min({want, remaining, left.size()}), done_modes, options.seed);
  };
  if (done.size() < first) {
    // Resuming the first batch: the rest of the same design when every measured mode belongs to it, so a killed
    // campaign measures exactly the modes it would have; otherwise a continuation from the measured modes.
    std::vector<device::PowerMode> design = options.first_batch == "random"   ? choose_modes(candidates, first, "random", options.seed)
                                            : options.first_batch == "spread" ? spread_more(candidates, first, {}, options.seed)
                                                                              : prior_design(candidates, first, options);
    ModeSet in_design(design.begin(), design.end());
    bool all_in = std::all_of(done.begin(), done.end(), [&](const auto& m) { return in_design.count(m) > 0; });
    if (!all_in) return spread_continuation(first - done.size());
    std::vector<device::PowerMode> out;
    for (const auto& m : design)
      if (!done.count(m) && out.size() < std::min(first - done.size(), remaining)) out.push_back(m);
    return out;
  }

  // Phase 2: transfer to the rows so far and score the unmeasured candidates.
  const size_t want = std::min({options.batch, remaining, left.size()});
  FeatureCache fc(spec, candidates);
  std::optional<Step> step;
  try {
    step = transfer_step(base, spec, candidates, measured, options, fc);
  } catch (const UsageError&) {
    throw;
  } catch (const Error&) {  // the transfer failed on these rows (e.g. degenerate data): keep filling the space
    return spread_continuation(want);
  }
  const Step& sc = *step;

  // A share of the batch where the two offsets disagree (prior auto with the gp transfer).
  std::vector<size_t> picked;
  std::vector<bool> is_done(candidates.size(), false);
  for (size_t i = 0; i < candidates.size(); ++i)
    if (done.count(candidates[i])) is_done[i] = true;
  if (options.transfer.method == "gp" && options.transfer.prior == "auto" && options.disagreement_share > 0) {
    const size_t k = std::min(want, static_cast<size_t>(std::lround(options.disagreement_share * static_cast<double>(want))));
    try {
      picked = disagreement_picks(base, spec, candidates, measured, options, left, is_done, sc.front, k);
    } catch (const UsageError&) {
      throw;
    } catch (const Error&) {
      picked.clear();
    }
  }
  if (!picked.empty()) {
    std::vector<size_t> rest;
    for (size_t i : picked) is_done[i] = true;
    for (size_t i : left)
      if (!is_done[i]) rest.push_back(i);
    left = rest;
    for (size_t i : picked) done.insert(candidates[i]);
  }
  const size_t want_rest = want - picked.size();
  auto with_picked = [&](std::vector<device::PowerMode> out) {
    for (size_t i : picked) out.push_back(candidates[i]);
    return out;
  };
  if (want_rest == 0 || left.empty()) return with_picked({});

  if (options.score == "imse") {
    std::vector<GpPosterior> gps;
    std::vector<double> gp_weight;
    if (auto p = GpPosterior::of(*sc.model.time, fc)) {
      gps.push_back(std::move(*p));
      gp_weight.push_back(1.0);
    }
    if (auto p = GpPosterior::of(*sc.model.power, fc)) {
      gps.push_back(std::move(*p));
      gp_weight.push_back(options.power_weight);
    }
    if (!gps.empty()) {
      // Pool: the most uncertain unmeasured modes (front-weighted variance) plus an even stride over the rest.
      std::vector<size_t> by_var = left;
      auto var_of = [&](size_t i) {
        auto e = static_cast<Eigen::Index>(i);
        return (sc.tsd(e) * sc.tsd(e) + options.power_weight * sc.psd(e) * sc.psd(e)) * sc.front[i];
      };
      std::stable_sort(by_var.begin(), by_var.end(), [&](size_t a, size_t b) { return var_of(a) > var_of(b); });
      std::vector<size_t> pool;
      std::vector<bool> in_pool(candidates.size(), false);
      for (size_t k = 0; k < by_var.size() && pool.size() < options.pool; ++k) {
        pool.push_back(by_var[k]);
        in_pool[by_var[k]] = true;
      }
      const size_t stride = std::max<size_t>(1, left.size() / std::max<size_t>(1, options.pool));
      for (size_t k = 0; k < left.size(); k += stride)
        if (!in_pool[left[k]]) {
          pool.push_back(left[k]);
          in_pool[left[k]] = true;
        }
      std::vector<size_t> reference;
      const size_t rstride = std::max<size_t>(1, (candidates.size() + options.reference - 1) / options.reference);
      for (size_t i = 0; i < candidates.size(); i += rstride) reference.push_back(i);
      std::vector<device::PowerMode> out;
      for (size_t i : integrated_variance_batch(gps, gp_weight, pool, reference, sc.front, want_rest))
        out.push_back(candidates[i]);
      return with_picked(out);
    }
  }

  std::vector<double> value(candidates.size(), 0.0);
  double vmax = 0;
  for (size_t i : left) {
    auto e = static_cast<Eigen::Index>(i);
    double u = std::hypot(sc.tsd(e), options.power_weight * sc.psd(e));
    value[i] = std::isfinite(u) ? u * sc.front[i] : 0.0;
    vmax = std::max(vmax, value[i]);
  }
  if (!(vmax > 0))  // no uncertainty from this transfer method: front weight and diversity alone
    for (size_t i : left) value[i] = sc.front[i];

  // Diversity against the measured modes and the disagreement picks (both in is_done), as for those picks.
  std::vector<device::PowerMode> out;
  for (size_t i : diverse_picks(candidates, left, is_done, value, want_rest, options.diversity))
    out.push_back(candidates[i]);
  return with_picked(out);
}

}  // namespace modewise::predict
