#include "modewise/predict/train.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include <Eigen/Cholesky>
#include <fmt/format.h>

#include "modewise/device/grid.h"
#include "modewise/predict/bottleneck.h"
#include "modewise/util/error.h"
#include "predict/fitters.h"

namespace modewise::predict {

const std::vector<std::string>& fit_method_names() {
  static const std::vector<std::string> names{"mlp", "linear", "poly", "gbt"};
  return names;
}

const std::vector<std::string>& transfer_method_names() {
  static const std::vector<std::string> names{"gp", "residual", "powertrain", "head", "head+ft", "freeze",
                                              "ensemble", "scratch", "linear", "poly", "gbt"};
  return names;
}

std::string transfer_method_help() {
  return "gp: the reference model, frozen, times a Gaussian-process correction on log clocks and its prediction;\n"
         "    power also sees the new time prediction (default)\n"
         "residual: as gp with a quadratic ridge-regression correction\n"
         "powertrain: published transfer: new output layer, fine-tune the whole network\n"
         "head: new output layer solved by ridge regression on the last hidden layer, nothing else trained\n"
         "head+ft: head, then fine-tune the whole network\n"
         "freeze: new output layer, fine-tune only the last two layers\n"
         "ensemble: powertrain over several seeds, averaged\n"
         "scratch: the reference architecture trained from scratch on the few modes (baseline)\n"
         "linear, poly, gbt: linear / quadratic ridge regression, boosted trees (XGBoost when libxgboost is\n"
         "    installed) on the few modes (baselines)";
}

FitOptions published_fit_options() {
  FitOptions f;
  f.features.name = "raw";
  f.arch = MlpArch::powertrain();
  f.train = TrainOptions{};  // 100 epochs, batch 32, Adam 1e-3
  f.train.patience = 20;
  return f;
}

TrainingSet make_training_set(const std::vector<profile::ProfileRow>& rows, const std::string& source) {
  TrainingSet ts;
  std::set<device::PowerMode> distinct;
  std::set<std::string> prov;
  ts.log_time.resize(static_cast<Eigen::Index>(rows.size()));
  ts.log_power.resize(static_cast<Eigen::Index>(rows.size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (!(r.time_ms > 0) || !std::isfinite(r.time_ms) || !(r.power_w > 0) || !std::isfinite(r.power_w))
      throw Error("{}: mode {}: time_ms and power_w must be positive and finite, found {} and {}",
                  source.empty() ? "profile" : source, r.mode.key(), r.time_ms, r.power_w);
    ts.modes.push_back(r.mode);
    ts.log_time(static_cast<Eigen::Index>(i)) = std::log(r.time_ms);
    ts.log_power(static_cast<Eigen::Index>(i)) = std::log(r.power_w);
    distinct.insert(r.mode);
    prov.insert(r.provenance.empty() ? "unknown" : r.provenance);
  }
  ts.distinct_modes = static_cast<int>(distinct.size());
  // One value (profile.h): emulated and "replayed (emulated)" rows give "emulated"; several origins "mixed".
  ts.provenance = prov.empty() ? "unknown" : profile::combine_provenance({prov.begin(), prov.end()});
  return ts;
}

namespace {

void check_rows(const device::DeviceSpec& spec, const std::vector<profile::ProfileRow>& rows, const TrainingSet& ts,
                int min_modes, const std::string& what, const std::string& source) {
  const std::string src = source.empty() ? "the profile" : source;
  for (const auto& r : rows)
    if (!r.device.empty() && r.device != spec.name)
      throw Error("{}: rows are for device '{}', expected '{}'", src, r.device, spec.name);
  if (ts.distinct_modes < min_modes)
    throw Error("{}: too few modes to {}: {} distinct modes, need at least {}", src, what, ts.distinct_modes,
                min_modes);
}

void fill_info(ModelInfo& info, const device::DeviceSpec& spec, const std::vector<profile::ProfileRow>& rows,
               const TrainingSet& ts, const std::string& method, const std::string& source, uint64_t seed) {
  info.device = spec.name;
  info.workload = rows.front().workload;
  info.task = rows.front().task;
  info.batch_size = rows.front().batch_size;
  info.method = method;
  info.provenance = ts.provenance;
  info.profile = source;
  info.modes = ts.distinct_modes;
  info.range = ModeRange::of(ts.modes);
  info.seed = seed;
}

TargetModelPtr fit_target(FeatureCache& fc, const Eigen::VectorXd& log_y, const FitOptions& opt, uint64_t seed) {
  if (opt.method == "mlp") {
    auto one = [&](uint64_t s) {
      TrainOptions t = opt.train;
      t.seed = s;
      return std::make_unique<MlpTarget>(detail::fit_mlp_target(fc, log_y, opt.features, opt.arch, t));
    };
    if (opt.ensemble <= 1) return one(seed);
    auto e = std::make_unique<EnsembleTarget>();
    for (int k = 0; k < opt.ensemble; ++k) e->members.push_back(one(seed + 1000003ULL * static_cast<uint64_t>(k)));
    return e;
  }
  if (opt.method == "linear" || opt.method == "poly") {
    CorrectionInputs in;
    in.features = opt.features;
    return std::make_unique<RidgeTarget>(
        detail::fit_ridge_target(fc, log_y, in, opt.method == "linear" ? 1 : opt.poly_degree));
  }
  if (opt.method == "gbt") return std::make_unique<GbtTarget>(detail::fit_gbt_target(fc, log_y, opt.features, opt.gbt));
  throw UsageError("unknown fit method '{}' (expected {})", opt.method, fmt::join(fit_method_names(), ", "));
}

// The MLPs of a reference target: itself, or the members of an ensemble of MLPs.
std::vector<const MlpTarget*> mlp_parts(const TargetModel& t) {
  if (auto* m = dynamic_cast<const MlpTarget*>(&t)) return {m};
  std::vector<const MlpTarget*> out;
  if (auto* e = dynamic_cast<const EnsembleTarget*>(&t))
    for (const auto& m : e->members)
      if (auto* mm = dynamic_cast<const MlpTarget*>(m.get())) out.push_back(mm);
  return out;
}

TargetModelPtr finetuned_ensemble(const std::vector<const MlpTarget*>& parts, FeatureCache& fc,
                                  const Eigen::VectorXd& log_y, const TransferOptions& opt, int first_trainable,
                                  int members, uint64_t seed) {
  auto one = [&](int k) {
    TrainOptions t = opt.train;
    t.seed = seed + 7777ULL * static_cast<uint64_t>(k);
    t.first_trainable_layer = first_trainable;
    const MlpTarget& base = *parts[static_cast<size_t>(k) % parts.size()];
    if (opt.method == "head") return std::make_unique<MlpTarget>(detail::ridge_head(base, fc, log_y));
    if (opt.method == "head+ft") {
      MlpTarget probed = detail::ridge_head(base, fc, log_y);
      return std::make_unique<MlpTarget>(detail::finetune_mlp_target(probed, fc, log_y, false, t));
    }
    return std::make_unique<MlpTarget>(detail::finetune_mlp_target(base, fc, log_y, true, t));
  };
  if (members <= 1) return one(0);
  auto e = std::make_unique<EnsembleTarget>();
  for (int k = 0; k < members; ++k) e->members.push_back(one(k));
  return e;
}

bool is_correction_method(const std::string& m) { return m == "gp" || m == "residual"; }

// What the bottleneck priors need besides the new profile: its measured log times, and the power shape (voltage
// curves, idle coefficients) fitted to the reference model's predictions on its own device.
struct PriorContext {
  Eigen::VectorXd measured_log_time;
  std::optional<PowerShape> reference_power;
  bool same_device = false;
  // prior "auto": up to ~600 modes of the new device's grid with the reference's predictions (base signals; for
  // power also "time", the chosen time model's), where the two candidate corrections are compared.
  std::vector<device::PowerMode> grid;
  std::unique_ptr<FeatureCache> grid_fc;
};

// Up to ~600 modes of the device's powertrain (else full) grid, an even stride.
std::vector<device::PowerMode> comparison_grid(const device::DeviceSpec& spec) {
  const auto names = device::grid_names(spec);
  const bool pt = std::find(names.begin(), names.end(), "powertrain") != names.end();
  const auto all = device::grid_modes(spec, pt ? "powertrain" : "full");
  const size_t stride = std::max<size_t>(1, all.size() / 600);
  std::vector<device::PowerMode> modes;
  for (size_t i = 0; i < all.size(); i += stride) modes.push_back(all[i]);
  return modes;
}

// The reference's power shape, from its predictions at up to ~600 modes of its device's powertrain (else full)
// grid; none when its device is not a built-in one and not the new device.
std::optional<PowerShape> reference_power_shape(const PerfModel& base, const device::DeviceSpec& spec, int workers) {
  device::DeviceSpec ref_spec;
  if (base.info.device == spec.name) {
    ref_spec = spec;
  } else {
    try {
      ref_spec = device::builtin_device(base.info.device);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  const std::vector<device::PowerMode> modes = comparison_grid(ref_spec);
  Eigen::VectorXd lt, lp;
  base.predict_log(ref_spec, modes, lt, lp);
  BottleneckTime bt = BottleneckTime::fit(modes, lt, workers);
  PowerShape s = fit_power_shape(bt, ref_spec, modes, lt, lp);
  return s;
}

// The power prior of the new workload: on the reference's device its idle part is the reference's and only the
// dynamic coefficients are fitted; on another device all coefficients, with the reference's voltage curves.
// Mode `left_out` (when >= 0) takes no part in the fit (leave-one-out).
PowerShape new_power_shape(const PriorContext& ctx, const BottleneckTime& t, FeatureCache& fc,
                           const Eigen::VectorXd& log_y, Eigen::Index left_out = -1) {
  PowerShape s = *ctx.reference_power;
  Eigen::MatrixXd b = bottleneck_power_bases(t, s, fc.spec(), fc.modes(), fc.signal("time"));
  const Eigen::VectorXd y = log_y.array().exp().matrix();
  Eigen::VectorXd w = y.cwiseInverse();
  if (left_out >= 0) w(left_out) = 0;
  if (ctx.same_device) {
    const Eigen::VectorXd idle = b.topRows(kPowerIdleBases).transpose() * s.coef.head(kPowerIdleBases);
    s.coef.tail(kPowerBases - kPowerIdleBases) = nnls(b.bottomRows(kPowerBases - kPowerIdleBases), y - idle, w);
  } else {
    s.coef = nnls(b, y, w);
  }
  Eigen::VectorXd fit = b.transpose() * s.coef;
  s.fit_rms = std::sqrt((fit.cwiseQuotient(y).array() - 1).square().mean());
  return s;
}

// The honest leave-one-out error of prior + gp (root mean square, log units): for each profiled mode i the prior
// is refitted without it (column i of prior_loo: that prior's log prediction at every profiled mode), and the gp,
// with its fitted hyperparameters, predicts mode i from the other modes' residuals against that prior; in closed
// form the error is (K^-1 r)_i / (K^-1)_ii. The gp's own closed-form check (loo_rmse_log) keeps the prior fitted
// to mode i, which hides how badly the prior extrapolates.
constexpr double kConsistency = 3.5;

double structured_loo_rmse(const GpTarget& gp, const Eigen::VectorXd& log_y, const Eigen::MatrixXd& prior_loo) {
  const Eigen::Index n = log_y.size();
  Eigen::MatrixXd k = GpTarget::kernel_matrix(gp.kernel, gp.train, gp.train);
  k.diagonal().array() += gp.kernel.noise_var + 1e-10;
  Eigen::LLT<Eigen::MatrixXd> llt(k);
  if (llt.info() != Eigen::Success) return INFINITY;
  const Eigen::MatrixXd kinv = llt.solve(Eigen::MatrixXd::Identity(n, n));
  double sum_sq = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::VectorXd r = ((log_y - prior_loo.col(i)).array() - gp.target.mean) / gp.target.sd;
    const double e = gp.target.sd * kinv.row(i).dot(r) / kinv(i, i);
    sum_sq += e * e;
  }
  const double rmse = std::sqrt(sum_sq / static_cast<double>(n));
  return std::isfinite(rmse) ? rmse : INFINITY;
}

// A correction of the base model's log prediction of `target` ("time" or "power"). With the prior "bottleneck"
// the offset is the bottleneck prior (bottleneck.h) fitted to the profiled modes instead; with "auto" both are
// fitted and the one with the lower leave-one-out error wins (structured_loo_rmse: the prior refitted without
// the left-out mode; no unmeasured mode is seen).
TargetModelPtr correction_target(FeatureCache& fc, const Eigen::VectorXd& log_y, const TransferOptions& opt,
                                 const std::string& target, const PriorContext& ctx) {
  CorrectionInputs in;
  in.features = target == "power" ? opt.power_correction_features : opt.correction_features;
  in.offset = "base_" + target;
  in.signals = {"base_" + target};
  if (target == "power") in.signals.push_back("time");
  if (opt.method != "gp") return std::make_unique<RidgeTarget>(detail::fit_ridge_target(fc, log_y, in, opt.correction_degree));
  detail::GpOptions g;
  g.nu = target == "power" ? opt.gp_nu_power : opt.gp_nu_time;
  std::string prior = opt.prior;
  if (prior != "none" && prior != "bottleneck" && prior != "auto")
    throw UsageError("unknown transfer prior '{}' (expected none, bottleneck or auto)", prior);
  if (target == "power" && !ctx.reference_power) prior = "none";
  std::unique_ptr<GpTarget> plain;
  if (prior != "bottleneck") plain = std::make_unique<GpTarget>(detail::fit_gp_target(fc, log_y, in, g));
  if (prior == "none") return plain;
  auto st = std::make_unique<StructuredTarget>();
  st->target = target;
  st->time_prior = BottleneckTime::fit(fc.modes(), ctx.measured_log_time, in.features.workers);
  if (target == "power") st->power.shape = new_power_shape(ctx, st->time_prior, fc, log_y);
  fc.set_signal(st->signal_name(), st->prior_log(fc));
  CorrectionInputs sin = in;
  sin.offset = st->signal_name();
  st->correction = std::make_unique<GpTarget>(detail::fit_gp_target(fc, log_y, sin, g));
  if (!plain) return st;
  // auto: the lower honest leave-one-out error wins (the prior refitted without the left-out mode).
  Eigen::MatrixXd prior_loo;
  if (target == "time") {
    prior_loo = BottleneckTime::loo_predict_log(fc.modes(), ctx.measured_log_time, in.features.workers);
  } else {
    const Eigen::Index n = log_y.size();
    prior_loo.resize(n, n);
    StructuredTarget loo = *st;
    for (Eigen::Index i = 0; i < n; ++i) {
      loo.power.shape = new_power_shape(ctx, st->time_prior, fc, log_y, i);
      prior_loo.col(i) = loo.prior_log(fc);
    }
  }
  const double honest = structured_loo_rmse(*st->correction, log_y, prior_loo);
  double d = 0;
  if (ctx.grid_fc) {
    Eigen::VectorXd a = plain->predict_log(*ctx.grid_fc), b = st->predict_log(*ctx.grid_fc);
    d = std::sqrt((a - b).squaredNorm() / static_cast<double>(a.size()));
  }
  // Consistency with the reference: where the data cannot tell (no profiled mode in a regime), the two offsets
  // may disagree; a structured fit whose root mean square disagreement with the plain correction over the grid
  // exceeds kConsistency x the plain correction's own leave-one-out error claims a structure the data did not
  // show, and the excess counts as its error.
  const double st_err = std::max(honest, d - (kConsistency - 1) * plain->loo_rmse_log);
  if (plain->loo_rmse_log <= st_err) return plain;
  return st;
}

TargetModelPtr transfer_target(const TargetModel& base, FeatureCache& fc, const Eigen::VectorXd& log_y,
                               const TransferOptions& opt, uint64_t seed, const std::string& target,
                               const PriorContext& ctx) {
  const std::string& m = opt.method;
  if (is_correction_method(m)) return correction_target(fc, log_y, opt, target, ctx);
  if (m == "powertrain" || m == "head" || m == "head+ft" || m == "freeze" || m == "ensemble") {
    auto parts = mlp_parts(base);
    if (parts.empty())
      throw UsageError("transfer method '{}' fine-tunes an MLP, but the reference model's {} model is '{}' "
                       "(use --method gp or residual, or a reference fitted with --method mlp)",
                       m, target, base.kind());
    const int depth = static_cast<int>(parts.front()->net.depth());
    const int first = m == "freeze" ? std::max(0, depth - 2) : 0;
    const int members = m == "ensemble" ? std::max(1, opt.ensemble) : 1;
    return finetuned_ensemble(parts, fc, log_y, opt, first, members, seed);
  }
  FitOptions f;
  f.features = opt.scratch_features;
  f.train = opt.train;
  if (m == "scratch") {
    f.method = "mlp";
    f.arch = opt.scratch_arch;
    return fit_target(fc, log_y, f, seed);
  }
  if (m == "linear" || m == "poly" || m == "gbt") {
    f.method = m;
    f.poly_degree = opt.poly_degree;
    f.gbt = opt.gbt;
    return fit_target(fc, log_y, f, seed);
  }
  throw UsageError("unknown transfer method '{}' (expected {})", m, fmt::join(transfer_method_names(), ", "));
}

}  // namespace

PerfModel fit_model(const device::DeviceSpec& spec, const std::vector<profile::ProfileRow>& rows,
                    const FitOptions& opt, const std::string& source) {
  check_feature_set(opt.features.name);
  TrainingSet ts = make_training_set(rows, source);
  check_rows(spec, rows, ts, kMinFitModes, "fit a reference model", source);
  PerfModel model;
  fill_info(model.info, spec, rows, ts, opt.method, source, opt.train.seed);
  FeatureCache fc(spec, ts.modes);
  model.time = fit_target(fc, ts.log_time, opt, opt.train.seed);
  model.power = fit_target(fc, ts.log_power, opt, opt.train.seed + 1);
  return model;
}

PerfModel transfer_model(const PerfModel& base, const device::DeviceSpec& spec,
                         const std::vector<profile::ProfileRow>& rows, const TransferOptions& opt,
                         const std::string& source) {
  MW_CHECK(base.time && base.power);
  check_feature_set(opt.correction_features.name);
  check_feature_set(opt.power_correction_features.name);
  check_feature_set(opt.scratch_features.name);
  if (opt.correction_degree < 1 || opt.correction_degree > 3)
    throw UsageError("correction degree must be 1, 2 or 3, found {}", opt.correction_degree);
  TrainingSet ts = make_training_set(rows, source);
  check_rows(spec, rows, ts, kMinTransferModes, "transfer", source);
  PerfModel model;
  fill_info(model.info, spec, rows, ts, opt.method, source, opt.train.seed);
  model.info.base = fmt::format("{} {} on {}{}", base.info.workload.empty() ? "model" : base.info.workload,
                                base.info.task, base.info.device,
                                base.info.profile.empty() ? "" : " (" + base.info.profile + ")");
  // Predictions of a transferred model rest on the reference model's data too (all but scratch).
  if (opt.method != "scratch")
    model.info.provenance = profile::combine_provenance({ts.provenance, base.info.provenance});
  FeatureCache fc(spec, ts.modes);
  if (is_correction_method(opt.method)) {
    model.base = std::make_shared<const PerfModel>(base);
    Eigen::VectorXd bt, bp;
    base.predict_log(spec, ts.modes, bt, bp);
    fc.set_signal("base_time", std::move(bt));
    fc.set_signal("base_power", std::move(bp));
  }
  PriorContext ctx;
  ctx.measured_log_time = ts.log_time;
  if (opt.method == "gp") {
    ctx.same_device = base.info.device == spec.name;
    if (opt.prior != "none") ctx.reference_power = reference_power_shape(base, spec, opt.power_correction_features.workers);
  }
  if (opt.method == "gp" && opt.prior == "auto") {
    ctx.grid = comparison_grid(spec);
    ctx.grid_fc = std::make_unique<FeatureCache>(spec, ctx.grid);
    Eigen::VectorXd gt, gp;
    base.predict_log(spec, ctx.grid, gt, gp);
    ctx.grid_fc->set_signal("base_time", std::move(gt));
    ctx.grid_fc->set_signal("base_power", std::move(gp));
  }
  model.time = transfer_target(*base.time, fc, ts.log_time, opt, opt.train.seed, "time", ctx);
  fc.set_signal("time", model.time->predict_log(fc));
  if (ctx.grid_fc) ctx.grid_fc->set_signal("time", model.time->predict_log(*ctx.grid_fc));
  model.power = transfer_target(*base.power, fc, ts.log_power, opt, opt.train.seed + 1, "power", ctx);
  return model;
}

}  // namespace modewise::predict
