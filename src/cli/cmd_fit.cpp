// modewise fit: a reference model (time per minibatch and board power for every mode) from a large profile.
#include <chrono>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/model_args.h"
#include "modewise/predict/train.h"
#include "modewise/util/error.h"

namespace modewise::cli {
namespace {

struct FitCliOptions {
  std::string profile, out, device;
  RowSelection sel;
  std::string method = "mlp", features, hidden, dropout;
  bool dropout_given = false, published = false;
  int epochs = 0, train_batch = 0, patience = -1, ensemble = 1;
  double lr = 0, val_fraction = -1;
  uint64_t seed = 1;
  bool json = false;
};

// In-sample mean absolute percentage errors of a model on its own rows.
std::pair<double, double> in_sample_mape(const predict::PerfModel& m, const device::DeviceSpec& spec,
                                         const std::vector<profile::ProfileRow>& rows) {
  std::vector<device::PowerMode> modes;
  for (const auto& r : rows) modes.push_back(r.mode);
  predict::Predictions p = m.predict(spec, modes);
  double et = 0, ep = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    et += std::abs(p.time_ms[i] / rows[i].time_ms - 1);
    ep += std::abs(p.power_w[i] / rows[i].power_w - 1);
  }
  return {100 * et / rows.size(), 100 * ep / rows.size()};
}

void run_fit(const FitCliOptions& o, const GlobalOptions& g) {
  predict::FitOptions f = o.published ? predict::published_fit_options() : predict::FitOptions{};
  f.method = o.method;
  if (!o.features.empty()) f.features.name = o.features;
  predict::check_feature_set(f.features.name);
  if (!o.hidden.empty() || o.dropout_given)
    f.arch = predict::MlpArch::parse(o.hidden.empty() ? fmt::format("{}", fmt::join(f.arch.hidden, ",")) : o.hidden,
                                     o.dropout);
  if (o.epochs > 0) f.train.epochs = o.epochs;
  if (o.train_batch > 0) f.train.batch_size = o.train_batch;
  if (o.lr > 0) f.train.learning_rate = o.lr;
  if (o.patience >= 0) f.train.patience = o.patience;
  if (o.val_fraction >= 0) {
    if (o.val_fraction >= 0.9) throw UsageError("--val-fraction must be below 0.9, found {}", o.val_fraction);
    f.train.val_fraction = o.val_fraction;
  }
  if (o.ensemble < 1) throw UsageError("--ensemble must be at least 1, found {}", o.ensemble);
  f.ensemble = o.ensemble;
  f.train.seed = o.seed;
  std::vector<profile::ProfileRow> rows = load_profile_rows(o.profile, o.sel);
  device::DeviceSpec spec = device_for_rows(o.device, rows, o.profile, g);
  auto t0 = std::chrono::steady_clock::now();
  predict::PerfModel model = predict::fit_model(spec, rows, f, o.profile);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  model.info.created_by = "modewise " MODEWISE_VERSION " fit";
  predict::save_model(model, o.out);
  auto [mt, mp] = in_sample_mape(model, spec, rows);
  std::string what = o.method == "mlp" ? fmt::format("mlp {} on {} features", f.arch.describe(), f.features.name)
                                       : fmt::format("{} on {} features", o.method, f.features.name);
  info(fmt::format("fitted {} to {} modes of {} {} on {} in {:.1f} s; in-sample MAPE time {:.2f}%, power {:.2f}% "
                   "({} data); wrote {}",
                   what, model.info.modes, model.info.workload.empty() ? "the workload" : model.info.workload,
                   model.info.task, spec.name, seconds, mt, mp, model.info.provenance, o.out));
  if (o.json)
    std::cout << nlohmann::json{{"model", o.out},          {"method", o.method},        {"device", spec.name},
                                {"workload", model.info.workload}, {"modes", model.info.modes},
                                {"fit_s", seconds},        {"in_sample_mape_time_pct", mt},
                                {"in_sample_mape_power_pct", mp}, {"provenance", model.info.provenance}}
                     .dump()
              << "\n";
}

Registrar reg(40, "fit", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<FitCliOptions>();
  auto* cmd = app.add_subcommand("fit", "Fit a reference model (time and power of every mode) to a large profile");
  cmd->add_option("--profile", o->profile, "Profile CSV (e.g. ~1,100 modes of the powertrain grid)")->required();
  cmd->add_option("--out", o->out, "Model file to write (JSON)")->required();
  cmd->add_option("--device", o->device, "Device (default: the profile's device column)");
  add_row_selection(cmd, o->sel);
  cmd->add_option("--method", o->method, "mlp (PowerTrain's regressors), or a baseline: linear, poly, gbt")
      ->check(CLI::IsMember(predict::fit_method_names()))
      ->capture_default_str();
  cmd->add_flag("--published", o->published,
                "PowerTrain's published reference: raw inputs, 256-128-64 with dropout 0.4,0.3 (other flags override)");
  cmd->add_option("--features", o->features,
                  "Model inputs: physical (default), raw (cores and 3 clocks, as published) or log");
  cmd->add_option("--hidden", o->hidden, "MLP hidden layer sizes (default 24,24,12)");
  cmd->add_option("--dropout", o->dropout, "MLP dropout per hidden layer (default none; e.g. 0.4,0.3)")
      ->each([o](const std::string&) { o->dropout_given = true; });
  cmd->add_option("--epochs", o->epochs, "Training epochs (default 800; --published: 100)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--train-batch", o->train_batch, "Mini-batch size for Adam (default 32)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--lr", o->lr, "Adam learning rate (default 1e-3)")->check(positive_number());
  cmd->add_option("--patience", o->patience, "Early stopping patience in epochs (default 100; --published: 20; 0 disables)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--val-fraction", o->val_fraction, "Share of the modes held out for early stopping (default 0.2)")
      ->check(non_negative_number());
  cmd->add_option("--ensemble", o->ensemble, "MLPs trained with different seeds and averaged")->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--seed", o->seed, "Random seed (initialization, shuffling, dropout)")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print a JSON summary on stdout");
  cmd->callback([o, &g] { run_fit(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
