// Gaussian-process regression: the kernel, prediction (posterior mean), JSON, and fitting by maximizing the
// log marginal likelihood over log hyperparameters with Adam from a few deterministic starts.
#include <cmath>

#include <Eigen/Cholesky>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "modewise/predict/target_model.h"
#include "modewise/util/error.h"
#include "predict/fitters.h"
#include "predict/json_util.h"

namespace modewise::predict {

namespace {
constexpr double kSqrt5 = 2.23606797749979;
constexpr double kSqrt3 = 1.7320508075688772;

// Matern(r) for nu = 1.5 or 2.5.
Eigen::ArrayXXd matern(const Eigen::ArrayXXd& r, double nu) {
  if (nu < 2) return (1.0 + kSqrt3 * r) * (-kSqrt3 * r).exp();
  return (1.0 + kSqrt5 * r + (5.0 / 3.0) * r.square()) * (-kSqrt5 * r).exp();
}
// d Matern / d log(length_k) = factor(r) * (a_k - b_k)^2 / length_k^2.
Eigen::ArrayXXd matern_length_factor(const Eigen::ArrayXXd& r, double nu) {
  if (nu < 2) return 3.0 * (-kSqrt3 * r).exp();
  return (5.0 / 3.0) * (1.0 + kSqrt5 * r) * (-kSqrt5 * r).exp();
}

// Squared scaled distances between the columns of a and b.
Eigen::MatrixXd scaled_sqdist(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, const Eigen::VectorXd& lengths) {
  Eigen::MatrixXd as = a.array().colwise() / lengths.array();
  Eigen::MatrixXd bs = b.array().colwise() / lengths.array();
  Eigen::MatrixXd d2 = -2.0 * as.transpose() * bs;
  d2.colwise() += as.colwise().squaredNorm().transpose();
  d2.rowwise() += bs.colwise().squaredNorm();
  return d2.cwiseMax(0.0);
}
}  // namespace

Eigen::MatrixXd GpTarget::kernel_matrix(const GpKernel& k, const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  MW_CHECK(a.rows() == b.rows() && k.lengths.size() == a.rows());
  Eigen::ArrayXXd r = scaled_sqdist(a, b, k.lengths).array().sqrt();
  Eigen::ArrayXXd m = matern(r, k.nu);
  Eigen::MatrixXd lin = (a.transpose() * b).array() + k.sigma0 * k.sigma0;
  return k.matern_var * m.matrix() + k.linear_var * lin;
}

namespace {
// sum_j k(z_i, train_j) alpha_j for every column z_i: distances in double, the kernel in float (its values
// are in [0, 1]; |alpha| stays small for these models, so the mean keeps ~6 significant digits), by blocks.
Eigen::VectorXd kernel_times(const GpKernel& k, const Eigen::MatrixXd& z, const Eigen::MatrixXd& train,
                             const Eigen::VectorXd& alpha) {
  constexpr Eigen::Index kBlock = 1024;
  const Eigen::ArrayXf inv_len = k.lengths.cast<float>().cwiseInverse().array();
  Eigen::MatrixXf ts = train.cast<float>().array().colwise() * inv_len;
  Eigen::RowVectorXf tn = ts.colwise().squaredNorm();
  Eigen::VectorXf alpha_f = alpha.cast<float>();
  Eigen::VectorXd lin_w = train * alpha;  // linear kernel: sum_j (sigma0^2 + z.t_j) alpha_j
  const double lin_c = k.sigma0 * k.sigma0 * alpha.sum();
  Eigen::VectorXd out = k.linear_var * ((z.transpose() * lin_w).array() + lin_c).matrix();
  Eigen::MatrixXf zs, d2;
  Eigen::ArrayXXf r;
  const float c = k.nu < 2 ? float(kSqrt3) : float(kSqrt5);
  for (Eigen::Index start = 0; start < z.cols(); start += kBlock) {
    const Eigen::Index n = std::min(kBlock, z.cols() - start);
    zs = z.middleCols(start, n).cast<float>().array().colwise() * inv_len;
    d2.noalias() = -2.0f * zs.transpose() * ts;
    d2.colwise() += zs.colwise().squaredNorm().transpose();
    d2.rowwise() += tn;
    r = d2.array().max(0.0f).sqrt() * c;  // c r: Matern 3/2 = (1 + cr) e^-cr, 5/2 = (1 + cr + (cr)^2 / 3) e^-cr
    if (k.nu < 2)
      r = (1.0f + r) * (-r).exp();
    else
      r = (1.0f + r + r.square() * (1.0f / 3.0f)) * (-r).exp();
    out.segment(start, n) += k.matern_var * (r.matrix() * alpha_f).cast<double>();
  }
  return out;
}
}  // namespace

Eigen::VectorXd GpTarget::predict_log(FeatureCache& fc) const {
  Eigen::MatrixXd z = input.apply(inputs.gather(fc));
  Eigen::VectorXd mean = kernel_times(kernel, z, train, alpha);
  return (mean.array() * target.sd + target.mean).matrix() + inputs.offset_values(fc);
}

bool GpTarget::predict_log_sd(FeatureCache& fc, Eigen::VectorXd& sd) const {
  Eigen::MatrixXd z = input.apply(inputs.gather(fc));
  Eigen::MatrixXd kt = kernel_matrix(kernel, train, train);
  kt.diagonal().array() += kernel.noise_var + 1e-10;
  Eigen::LLT<Eigen::MatrixXd> llt(kt);
  if (llt.info() != Eigen::Success) return false;
  Eigen::MatrixXd ks = kernel_matrix(kernel, train, z);  // n x m
  Eigen::MatrixXd v = llt.matrixL().solve(ks);
  Eigen::ArrayXd prior = kernel.matern_var + kernel.linear_var * (kernel.sigma0 * kernel.sigma0 + z.colwise().squaredNorm().array());
  Eigen::ArrayXd var = (prior - v.colwise().squaredNorm().transpose().array()).max(0.0);
  sd = (var.sqrt() * (target.sd * sd_scale)).matrix();
  return true;
}

nlohmann::json GpTarget::to_json() const {
  nlohmann::json cols = nlohmann::json::array();
  for (Eigen::Index c = 0; c < train.cols(); ++c)
    cols.push_back(std::vector<double>(train.col(c).data(), train.col(c).data() + train.rows()));
  return {{"kind", "gp"},
          {"inputs", predict::to_json(inputs)},
          {"input", predict::to_json(input)},
          {"target_mean", target.mean},
          {"target_sd", target.sd},
          {"kernel",
           {{"nu", kernel.nu},
            {"matern_var", kernel.matern_var},
            {"linear_var", kernel.linear_var},
            {"sigma0", kernel.sigma0},
            {"noise_var", kernel.noise_var},
            {"lengths", std::vector<double>(kernel.lengths.data(), kernel.lengths.data() + kernel.lengths.size())}}},
          {"train", cols},
          {"alpha", std::vector<double>(alpha.data(), alpha.data() + alpha.size())},
          {"log_marginal_likelihood", log_marginal_likelihood},
          {"sd_scale", sd_scale}};
}

std::unique_ptr<GpTarget> GpTarget::from_json(const nlohmann::json& j, const std::string& where) {
  auto t = std::make_unique<GpTarget>();
  t->inputs = correction_inputs_from_json(detail::field(j, "inputs", where), where + ".inputs");
  const size_t d = t->inputs.size();
  t->input = scaler_from_json(detail::field(j, "input", where), where + ".input", d);
  t->target.mean = detail::number(j, "target_mean", where);
  t->target.sd = detail::number(j, "target_sd", where);
  if (!(t->target.sd > 0)) throw Error("{}.target_sd: expected a positive number", where);
  const auto& k = detail::field(j, "kernel", where);
  const std::string kw = where + ".kernel";
  t->kernel.nu = detail::number(k, "nu", kw);
  if (t->kernel.nu != 1.5 && t->kernel.nu != 2.5) throw Error("{}.nu: expected 1.5 or 2.5, found {}", kw, t->kernel.nu);
  t->kernel.matern_var = detail::number(k, "matern_var", kw);
  t->kernel.linear_var = detail::number(k, "linear_var", kw);
  t->kernel.sigma0 = detail::number(k, "sigma0", kw);
  t->kernel.noise_var = detail::number(k, "noise_var", kw);
  auto lengths = detail::numbers(k, "lengths", kw, d);
  for (double l : lengths)
    if (!(l > 0)) throw Error("{}.lengths: expected positive length scales, found {}", kw, l);
  t->kernel.lengths = Eigen::Map<Eigen::VectorXd>(lengths.data(), static_cast<Eigen::Index>(d));
  const auto& cols = detail::field(j, "train", where);
  if (!cols.is_array() || cols.empty()) throw Error("{}.train: expected a non-empty array of input vectors", where);
  t->train.resize(static_cast<Eigen::Index>(d), static_cast<Eigen::Index>(cols.size()));
  for (size_t c = 0; c < cols.size(); ++c) {
    auto v = detail::numbers(cols[c], fmt::format("{}.train[{}]", where, c), d);
    for (size_t r = 0; r < d; ++r) t->train(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = v[r];
  }
  auto alpha = detail::numbers(j, "alpha", where, cols.size());
  t->alpha = Eigen::Map<Eigen::VectorXd>(alpha.data(), static_cast<Eigen::Index>(alpha.size()));
  t->log_marginal_likelihood = detail::number(j, "log_marginal_likelihood", where);
  t->sd_scale = detail::number(j, "sd_scale", where);
  if (!(t->sd_scale > 0)) throw Error("{}.sd_scale: expected a positive number, found {}", where, t->sd_scale);
  return t;
}

namespace detail {

namespace {

// Log hyperparameters: [log matern_var, log lengths..., log linear_var, log sigma0^2, log noise_var].
struct GpObjective {
  const Eigen::MatrixXd& z;  // d x n
  const Eigen::VectorXd& y;  // standardized targets
  double nu;
  std::vector<Eigen::MatrixXd> sq;  // per-dimension squared differences (n x n)

  GpObjective(const Eigen::MatrixXd& z_, const Eigen::VectorXd& y_, double nu_) : z(z_), y(y_), nu(nu_) {
    for (Eigen::Index k = 0; k < z.rows(); ++k) {
      Eigen::MatrixXd s(z.cols(), z.cols());
      for (Eigen::Index i = 0; i < z.cols(); ++i)
        for (Eigen::Index j = 0; j < z.cols(); ++j) s(i, j) = (z(k, i) - z(k, j)) * (z(k, i) - z(k, j));
      sq.push_back(std::move(s));
    }
  }

  GpKernel kernel(const Eigen::VectorXd& th) const {
    const Eigen::Index d = th.size() - 4;
    GpKernel k;
    k.nu = nu;
    k.matern_var = std::exp(th(0));
    k.lengths = th.segment(1, d).array().exp();
    k.linear_var = std::exp(th(d + 1));
    k.sigma0 = std::sqrt(std::exp(th(d + 2)));
    k.noise_var = std::exp(th(d + 3));
    return k;
  }

  // Log marginal likelihood and its gradient; -inf when K is not positive definite.
  double value(const Eigen::VectorXd& th, Eigen::VectorXd* grad, Eigen::VectorXd* alpha_out) const {
    const Eigen::Index d = z.rows(), n = z.cols();
    GpKernel k = kernel(th);
    Eigen::MatrixXd r2 = Eigen::MatrixXd::Zero(n, n);
    for (Eigen::Index i = 0; i < d; ++i) r2 += sq[static_cast<size_t>(i)] / (k.lengths(i) * k.lengths(i));
    Eigen::ArrayXXd r = r2.array().sqrt();
    Eigen::MatrixXd m = matern(r, nu).matrix();
    Eigen::MatrixXd lin = (z.transpose() * z).array() + k.sigma0 * k.sigma0;
    Eigen::MatrixXd kk = k.matern_var * m + k.linear_var * lin;
    kk.diagonal().array() += k.noise_var + 1e-10;
    Eigen::LLT<Eigen::MatrixXd> llt(kk);
    if (llt.info() != Eigen::Success) return -INFINITY;
    Eigen::VectorXd alpha = llt.solve(y);
    double logdet = 2.0 * llt.matrixL().toDenseMatrix().diagonal().array().log().sum();
    double lml = -0.5 * y.dot(alpha) - 0.5 * logdet - 0.5 * static_cast<double>(n) * std::log(2 * M_PI);
    if (alpha_out) *alpha_out = alpha;
    if (grad) {
      Eigen::MatrixXd w = alpha * alpha.transpose() - llt.solve(Eigen::MatrixXd::Identity(n, n));
      grad->resize(th.size());
      auto half_tr = [&](const Eigen::MatrixXd& dk) { return 0.5 * (w.array() * dk.array()).sum(); };
      (*grad)(0) = half_tr(k.matern_var * m);
      Eigen::ArrayXXd common = k.matern_var * matern_length_factor(r, nu);
      for (Eigen::Index i = 0; i < d; ++i)
        (*grad)(1 + i) = half_tr((common * sq[static_cast<size_t>(i)].array() / (k.lengths(i) * k.lengths(i))).matrix());
      (*grad)(d + 1) = half_tr(k.linear_var * lin);
      (*grad)(d + 2) = 0.5 * k.linear_var * k.sigma0 * k.sigma0 * w.sum();
      (*grad)(d + 3) = 0.5 * k.noise_var * w.trace();
    }
    return lml;
  }
};

}  // namespace

GpTarget fit_gp_target(FeatureCache& fc, const Eigen::VectorXd& log_y, const CorrectionInputs& in,
                       const GpOptions& opt) {
  MW_CHECK(log_y.size() > 1);
  GpTarget t;
  t.inputs = in;
  Eigen::MatrixXd x = in.gather(fc);
  t.input = Scaler::fit(x);
  t.train = t.input.apply(x);
  Eigen::VectorXd resid = log_y - in.offset_values(fc);
  t.target = TargetScale::fit(resid);
  Eigen::VectorXd y = (resid.array() - t.target.mean) / t.target.sd;
  const Eigen::Index d = t.train.rows(), p = d + 4;
  GpObjective obj(t.train, y, opt.nu);
  // Bounds on log hyperparameters (as in common GP libraries): variances 1e-5..1e5, lengths 1e-2..1e3,
  // noise variance opt.min_noise_var..1e-1.
  Eigen::VectorXd lo(p), hi(p);
  lo.setConstant(std::log(1e-5));
  hi.setConstant(std::log(1e5));
  lo.segment(1, d).setConstant(std::log(1e-2));
  hi.segment(1, d).setConstant(std::log(1e3));
  lo(d + 3) = std::log(opt.min_noise_var);
  hi(d + 3) = std::log(1e-1);
  double best = -INFINITY;
  Eigen::VectorXd best_th;
  for (double start_length : opt.start_lengths) {
    Eigen::VectorXd th(p);
    th(0) = 0;
    th.segment(1, d).setConstant(std::log(start_length));
    th(d + 1) = std::log(0.1);
    th(d + 2) = 0;
    th(d + 3) = std::log(std::max(1e-4, opt.min_noise_var));
    Eigen::VectorXd m = Eigen::VectorXd::Zero(p), v = Eigen::VectorXd::Zero(p), g;
    double run_best = -INFINITY;
    Eigen::VectorXd run_th = th;
    for (int it = 1; it <= opt.iterations; ++it) {
      double f = obj.value(th, &g, nullptr);
      if (!std::isfinite(f)) {  // step back toward the last good point with more noise
        th = run_th;
        th(d + 3) = std::min(hi(d + 3), th(d + 3) + 1.0);
        continue;
      }
      if (f > run_best) {
        run_best = f;
        run_th = th;
      }
      // Adam ascent on the log hyperparameters, learning rate decaying from lr to lr/10.
      const double lr = opt.learning_rate * (1.0 - 0.9 * static_cast<double>(it) / opt.iterations);
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g.cwiseProduct(g);
      Eigen::ArrayXd mh = m.array() / (1 - std::pow(0.9, it)), vh = v.array() / (1 - std::pow(0.999, it));
      th = (th.array() + lr * mh / (vh.sqrt() + 1e-8)).matrix().cwiseMax(lo).cwiseMin(hi);
    }
    if (run_best > best) {
      best = run_best;
      best_th = run_th;
    }
  }
  if (!std::isfinite(best)) throw Error("Gaussian-process fit failed: the kernel matrix is singular for every setting");
  t.kernel = obj.kernel(best_th);
  t.log_marginal_likelihood = obj.value(best_th, nullptr, &t.alpha);
  // Leave-one-out calibration (closed form): residual_i = alpha_i / Kinv_ii, variance_i = 1 / Kinv_ii; the
  // posterior variance of the mean excludes the noise term, so compare against variance_i - noise.
  {
    Eigen::MatrixXd k = GpTarget::kernel_matrix(t.kernel, t.train, t.train);
    k.diagonal().array() += t.kernel.noise_var + 1e-10;
    Eigen::MatrixXd kinv = k.llt().solve(Eigen::MatrixXd::Identity(k.rows(), k.cols()));
    double sum = 0, sum_sq = 0;
    for (Eigen::Index i = 0; i < k.rows(); ++i) {
      double resid = t.alpha(i) / kinv(i, i);
      double var = std::max(1.0 / kinv(i, i) - t.kernel.noise_var, 1e-12);
      sum += resid * resid / var;
      sum_sq += resid * resid;
    }
    t.loo_rmse_log = t.target.sd * std::sqrt(sum_sq / static_cast<double>(k.rows()));
    t.sd_scale = std::max(1.0, std::sqrt(sum / static_cast<double>(k.rows())));
  }
  return t;
}

}  // namespace detail
}  // namespace modewise::predict
