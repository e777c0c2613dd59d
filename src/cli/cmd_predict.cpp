// modewise predict: predicted time per minibatch and board power for every mode of a grid or a modes file.
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/model_args.h"
#include "modewise/predict/model.h"
#include "modewise/profile/profile.h"
#include "modewise/util/csv.h"
#include "modewise/util/strings.h"

namespace modewise::cli {
namespace {

struct PredictCliOptions {
  std::string model, out = "-";
  ModeChoice modes;
};

void run_predict(const PredictCliOptions& o, const GlobalOptions& g) {
  predict::PerfModel model = predict::load_model(o.model);
  device::DeviceSpec spec = device_for_model(o.modes, model, g);
  std::vector<device::PowerMode> modes = candidate_modes(o.modes, spec);
  predict::Predictions p = model.predict(spec, modes);
  note_model_provenance(model);
  warn_extrapolation(model, modes);
  Output out(o.out);
  util::CsvWriter w(out.stream());
  using util::format_number;
  // provenance: "predicted (from emulated)" etc., from the model file's record of its training data
  const std::string provenance = profile::predicted_provenance(model.info.provenance);
  w.row({"cores", "cpu_mhz", "gpu_mhz", "emc_mhz", "time_ms", "power_w", "provenance"});
  for (size_t i = 0; i < modes.size(); ++i)
    w.row({std::to_string(modes[i].cores), format_number(modes[i].cpu_mhz), format_number(modes[i].gpu_mhz),
           format_number(modes[i].emc_mhz), format_number(p.time_ms[i]), format_number(p.power_w[i]), provenance});
  out.commit();
  if (!out.is_stdout()) info(fmt::format("predicted {} modes of {}; wrote {}", modes.size(), spec.name, o.out));
}

Registrar reg(42, "predict", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<PredictCliOptions>();
  auto* cmd = app.add_subcommand("predict", "Predict time and power for every mode (CSV: cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w,provenance)");
  cmd->add_option("--model", o->model, "Model file (from fit or transfer)")->required();
  add_mode_choice(cmd, o->modes, true);
  cmd->add_option("--out", o->out, "Output CSV ('-' for stdout)")->capture_default_str();
  cmd->callback([o, &g] { run_predict(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
