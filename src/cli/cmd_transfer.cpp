// modewise transfer: a model for a new workload or device from a reference model and 10-50 profiled modes.
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/model_args.h"
#include "modewise/predict/train.h"
#include "modewise/util/error.h"

namespace modewise::cli {
namespace {

struct TransferCliOptions {
  std::string base, profile, out, device;
  RowSelection sel;
  std::string method = "gp";
  int epochs = 0, ensemble = 0;
  double lr = 0;
  std::string time_features = "log", power_features = "raw";
  std::string prior = transfer_defaults().prior;
  uint64_t seed = 1;
  bool json = false;
};

void run_transfer(const TransferCliOptions& o, const GlobalOptions& g) {
  predict::PerfModel base = predict::load_model(o.base);
  std::vector<profile::ProfileRow> rows = load_profile_rows(o.profile, o.sel);
  device::DeviceSpec spec = device_for_rows(o.device, rows, o.profile, g);
  predict::TransferOptions t;
  t.method = o.method;
  if (o.epochs > 0) t.train.epochs = o.epochs;
  if (o.lr > 0) t.train.learning_rate = o.lr;
  if (o.ensemble > 0) t.ensemble = o.ensemble;
  t.correction_features.name = o.time_features;
  t.power_correction_features.name = o.power_features;
  t.prior = o.prior;
  t.train.seed = o.seed;
  auto t0 = std::chrono::steady_clock::now();
  predict::PerfModel model = predict::transfer_model(base, spec, rows, t, o.profile);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  model.info.created_by = "modewise " MODEWISE_VERSION " transfer";
  predict::save_model(model, o.out);
  info(fmt::format("transferred {} to {} {} on {} from {} modes with method '{}' in {:.2f} s ({} data); wrote {}",
                   model.info.base, model.info.workload.empty() ? "the workload" : model.info.workload,
                   model.info.task, spec.name, model.info.modes, o.method, seconds, model.info.provenance, o.out));
  if (spec.name != base.info.device)
    info(fmt::format("cross-device transfer: {} -> {}", base.info.device, spec.name));
  if (o.json)
    std::cout << nlohmann::json{{"model", o.out},         {"method", o.method},       {"device", spec.name},
                                {"base_device", base.info.device}, {"workload", model.info.workload},
                                {"modes", model.info.modes}, {"transfer_s", seconds},
                                {"provenance", model.info.provenance}}
                     .dump()
              << "\n";
}

Registrar reg(41, "transfer", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<TransferCliOptions>();
  auto* cmd = app.add_subcommand("transfer",
                                 "Transfer a reference model to a new workload or device from a few profiled modes");
  cmd->add_option("--base", o->base, "Reference model (from modewise fit)")->required();
  cmd->add_option("--profile", o->profile, "Profile CSV of the new workload: 10-50 modes")->required();
  cmd->add_option("--out", o->out, "Model file to write (JSON)")->required();
  cmd->add_option("--device", o->device, "Device of the new profile (default: its device column)");
  add_row_selection(cmd, o->sel);
  cmd->add_option("--method", o->method, "Transfer method:\n" + predict::transfer_method_help())
      ->check(CLI::IsMember(predict::transfer_method_names()))
      ->capture_default_str();
  cmd->add_option("--epochs", o->epochs, "Fine-tuning epochs (MLP methods; default 200)")->check(CLI::Range(1, 1000000));
  cmd->add_option("--lr", o->lr, "Fine-tuning learning rate (MLP methods; default 1e-3)")->check(positive_number());
  cmd->add_option("--ensemble", o->ensemble, "Networks averaged by the ensemble method (default 5)")->check(CLI::Range(1, 1000));
  cmd->add_option("--prior", o->prior,
                  "gp: offset of the corrections: none (the reference model's prediction), bottleneck (a structural "
                  "model of time: host launch, GPU roofline, DataLoader terms; of power: the reference's idle power "
                  "and voltage curves plus dynamic terms, fitted to the profile) or auto (per target, the one with the "
                  "lower leave-one-out error, the prior refitted without each left-out mode; a prior that disagrees "
                  "with the plain correction over the grid by more than 3.5x that one's error loses)")
      ->check(CLI::IsMember({"none", "bottleneck", "auto"}))
      ->capture_default_str();
  cmd->add_option("--time-features", o->time_features, "gp, residual: inputs of the time correction (raw, log, physical)")
      ->check(CLI::IsMember(predict::feature_set_names()))
      ->capture_default_str();
  cmd->add_option("--power-features", o->power_features,
                  "gp, residual: inputs of the power correction (raw, log, physical)")
      ->check(CLI::IsMember(predict::feature_set_names()))
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print a JSON summary on stdout");
  cmd->callback([o, &g] { run_transfer(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
