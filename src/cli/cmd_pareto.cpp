// modewise pareto: the predicted time/power Pareto front of a device grid, as CSV and an SVG plot.
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/model_args.h"
#include "modewise/optimize/recommend.h"
#include "modewise/predict/model.h"
#include "modewise/profile/profile.h"
#include "modewise/util/csv.h"
#include "modewise/util/strings.h"
#include "modewise/util/svg.h"

namespace modewise::cli {
namespace {

struct ParetoCliOptions {
  std::string model, out = "-", svg;
  ModeChoice modes;
};

void run_pareto(const ParetoCliOptions& o, const GlobalOptions& g) {
  predict::PerfModel model = predict::load_model(o.model);
  device::DeviceSpec spec = device_for_model(o.modes, model, g);
  std::vector<device::PowerMode> modes = candidate_modes(o.modes, spec);
  predict::Predictions p = model.predict(spec, modes);
  std::vector<size_t> front = optimize::pareto_front(p.time_ms, p.power_w);
  note_model_provenance(model);
  warn_extrapolation(model, modes);
  Output out(o.out);
  util::CsvWriter w(out.stream());
  using util::format_number;
  const std::string provenance = profile::predicted_provenance(model.info.provenance);  // "predicted (from emulated)"
  w.row({"cores", "cpu_mhz", "gpu_mhz", "emc_mhz", "time_ms", "power_w", "energy_j", "provenance"});
  for (size_t i : front)
    w.row({std::to_string(modes[i].cores), format_number(modes[i].cpu_mhz), format_number(modes[i].gpu_mhz),
           format_number(modes[i].emc_mhz), format_number(p.time_ms[i]), format_number(p.power_w[i]),
           format_number(p.energy_j(i)), provenance});
  if (!o.svg.empty()) util::check_output_path(o.svg);  // before --out is replaced
  out.commit();
  info(fmt::format("Pareto front: {} of {} modes of {}, from {:.1f} W / {:.1f} ms to {:.1f} W / {:.1f} ms",
                   front.size(), modes.size(), spec.name, p.power_w[front.front()], p.time_ms[front.front()],
                   p.power_w[front.back()], p.time_ms[front.back()]));
  if (!o.svg.empty()) {
    util::SvgChart chart;
    chart.title = fmt::format("Predicted Pareto front: {} {} on {}", model.info.workload, model.info.task, spec.name);
    chart.x_label = "board power (W)";
    chart.y_label = "time per minibatch (ms)";
    chart.log_y = true;
    chart.note = model_provenance_label(model);
    util::SvgSeries all{"all modes", {}, {}, false, true, "#bbbbbb", 1.2};
    const size_t stride = std::max<size_t>(1, modes.size() / 5000);  // keep the file small on large grids
    for (size_t i = 0; i < modes.size(); i += stride) {
      all.x.push_back(p.power_w[i]);
      all.y.push_back(p.time_ms[i]);
    }
    if (stride > 1) all.name = fmt::format("modes (every {}th)", stride);
    util::SvgSeries pf{"Pareto front", {}, {}, true, true, "", 2.5};
    for (size_t i : front) {
      pf.x.push_back(p.power_w[i]);
      pf.y.push_back(p.time_ms[i]);
    }
    chart.series = {all, pf};
    util::write_svg(chart, o.svg);
    info("wrote " + o.svg);
  }
}

Registrar reg(43, "pareto", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<ParetoCliOptions>();
  auto* cmd = app.add_subcommand("pareto", "The predicted time/power Pareto front of a grid (CSV and SVG)");
  cmd->add_option("--model", o->model, "Model file (from fit or transfer)")->required();
  add_mode_choice(cmd, o->modes, true);
  cmd->add_option("--out", o->out, "Pareto-optimal modes as CSV ('-' for stdout)")->capture_default_str();
  cmd->add_option("--svg", o->svg, "Also plot time against power with the front highlighted");
  cmd->callback([o, &g] { run_pareto(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
