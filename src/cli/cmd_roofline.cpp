// modewise roofline: time and energy rooflines of power modes (nominal from the clocks, calibrated with the
// ERT micro-benchmark through the device backend), optionally with an ONNX model's layers as points.
#include <cmath>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/device_arg.h"
#include "modewise/device/grid.h"
#include "modewise/roofline/onnx_analyzer.h"
#include "modewise/roofline/predict.h"
#include "modewise/roofline/roofline.h"
#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/progress.h"
#include "modewise/util/strings.h"
#include "modewise/util/svg.h"
#include "modewise/util/table.h"

namespace modewise::cli {
namespace {

struct RooflineCliOptions {
  std::string device = "sim:orin-agx";
  std::string modes;  // empty: maxn and the device's presets
  std::string grid = "full";
  std::string model, svg, calibration_in, calibration_out;
  int batch_size = 1;
  bool training = false, nominal = false, json = false;
  uint64_t seed = 1;
};

std::vector<roofline::ModeRoofline> get_rooflines(const RooflineCliOptions& o, const GlobalOptions& g,
                                                  std::string& provenance) {
  device::DeviceSpec spec = resolve_device_arg(o.device, g);
  std::string list = o.modes;
  if (list.empty())
    for (const auto& n : device::named_mode_names(spec)) list += (list.empty() ? "" : ",") + n;
  std::vector<device::PowerMode> modes = roofline::resolve_mode_list(spec, list, o.grid);
  std::vector<roofline::ModeRoofline> out;
  if (!o.calibration_in.empty()) {
    auto saved = roofline::rooflines_from_json(nlohmann::json::parse(util::read_text_file(o.calibration_in), nullptr,
                                                                     true, true),
                                               o.calibration_in);
    for (const auto& m : modes) {
      auto it = std::find_if(saved.begin(), saved.end(), [&](const auto& r) { return r.mode == m; });
      if (it == saved.end())
        throw Error("{}: no calibration for mode {} (calibrate it with --save-calibration)", o.calibration_in, m.key());
      out.push_back(*it);
    }
    provenance = "calibration file " + o.calibration_in;
    return out;
  }
  if (o.nominal) {
    for (const auto& m : modes) out.push_back(roofline::nominal_roofline(spec, m));
    provenance = "nominal (from the clocks)";
    return out;
  }
  auto backend = open_backend_arg(o.device, g, o.seed);
  note_provenance(*backend);
  provenance = provenance_label(*backend);
  util::Progress bar("calibrating rooflines", modes.size(), util::Progress::stderr_is_terminal());
  out = roofline::calibrate_modes(*backend, modes, {}, [&](size_t done, size_t) { bar.update(done); });
  bar.finish();
  if (!o.calibration_out.empty()) {
    nlohmann::json j{{"device", spec.name}, {"backend", backend->name()}, {"provenance", provenance},
                     {"modes", roofline::rooflines_to_json(out)}};
    util::write_file_atomically(o.calibration_out, j.dump(2) + "\n");
  }
  return out;
}

void write_chart(const RooflineCliOptions& o, const std::vector<roofline::ModeRoofline>& rs,
                 const roofline::ModelAnalysis* a, const std::string& provenance) {
  util::SvgChart chart;
  chart.title = a ? fmt::format("Rooflines and layers of {} (batch {})", a->source, a->batch_size) : "Rooflines";
  chart.x_label = "arithmetic intensity (FLOP/byte)";
  chart.y_label = "attainable performance (GFLOP/s)";
  chart.log_x = chart.log_y = true;
  chart.note = provenance;
  double x_lo = 0.01, x_hi = 1e4;
  if (a)
    for (const auto& l : a->layers)
      if (l.is_kernel() && l.flops > 0) x_lo = std::min(x_lo, l.arithmetic_intensity() / 2),
                                       x_hi = std::max(x_hi, l.arithmetic_intensity() * 2);
  for (const auto& r : rs) {
    util::SvgSeries s;
    s.name = r.mode.key();
    s.line = true;
    s.points = false;
    for (double x : {x_lo, r.ridge_flop_per_byte(), x_hi}) {
      s.x.push_back(x);
      s.y.push_back(r.attainable_gflops(x));
    }
    chart.series.push_back(s);
  }
  if (a && !rs.empty()) {
    // each layer at the performance the first mode's roofline allows for its intensity
    util::SvgSeries layers;
    layers.name = "layers (1st mode)";
    for (const auto& l : a->layers)
      if (l.is_kernel() && l.flops > 0) {
        layers.x.push_back(l.arithmetic_intensity());
        layers.y.push_back(rs.front().attainable_gflops(l.arithmetic_intensity()));
      }
    chart.series.push_back(layers);
    util::SvgSeries whole;
    whole.name = "whole model";
    whole.radius = 5;
    whole.x.push_back(a->arithmetic_intensity());
    whole.y.push_back(rs.front().attainable_gflops(a->arithmetic_intensity()));
    chart.series.push_back(whole);
  }
  util::write_svg(chart, o.svg);
}

void run_roofline(const RooflineCliOptions& o, const GlobalOptions& g) {
  std::string provenance;
  std::optional<roofline::ModelAnalysis> a;  // the model first: a malformed one fails before any calibration
  if (!o.model.empty()) a = roofline::analyze_onnx_file(o.model, {o.batch_size, o.training});
  if (!o.svg.empty()) util::check_output_path(o.svg);
  if (!o.calibration_out.empty()) util::check_output_path(o.calibration_out);
  std::vector<roofline::ModeRoofline> rs = get_rooflines(o, g, provenance);
  std::vector<roofline::Prediction> preds;
  if (a) {
    roofline::ModelCalibration c = roofline::default_calibration(*a);
    c.host_mcycles = 0;  // the pure roofline: no host time
    for (const auto& r : rs) preds.push_back(roofline::predict(r, *a, c));
  }
  if (!o.svg.empty()) write_chart(o, rs, a ? &*a : nullptr, provenance);
  if (o.json) {
    nlohmann::json j{{"provenance", provenance}, {"modes", roofline::rooflines_to_json(rs)}};
    if (a) {
      j["model"] = {{"path", o.model}, {"batch_size", a->batch_size}, {"flops", a->flops}, {"bytes", a->bytes()},
                    {"arithmetic_intensity", a->arithmetic_intensity()}};
      for (size_t i = 0; i < preds.size(); ++i) {
        j["modes"][i]["model_roofline_ms"] = preds[i].roofline_ms;
        j["modes"][i]["model_roofline_energy_j"] = preds[i].energy_j;
        j["modes"][i]["model_memory_bound_share"] = preds[i].memory_bound_share;
      }
    }
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::vector<std::string> header{"mode", "nominal_gflops", "peak_gflops", "nominal_gbps", "bandwidth_gbps",
                                  "ridge_flop_per_byte", "eps_flop_pj", "eps_byte_pj", "pi0_w"};
  if (a) header.insert(header.end(), {"model_roofline_ms", "model_energy_j", "memory_bound_share"});
  util::TextTable t(header);
  for (size_t i = 0; i < rs.size(); ++i) {
    const auto& r = rs[i];
    std::vector<std::string> row{r.mode.key(), fmt::format("{:.1f}", r.nominal_gflops), fmt::format("{:.1f}", r.peak_gflops),
                                 fmt::format("{:.1f}", r.nominal_gbps), fmt::format("{:.1f}", r.bandwidth_gbps),
                                 fmt::format("{:.1f}", r.ridge_flop_per_byte()), fmt::format("{:.2f}", r.eps_flop_pj),
                                 fmt::format("{:.1f}", r.eps_byte_pj), fmt::format("{:.2f}", r.pi0_w)};
    if (a)
      row.insert(row.end(), {fmt::format("{:.3f}", preds[i].roofline_ms), fmt::format("{:.4f}", preds[i].energy_j),
                             fmt::format("{:.2f}", preds[i].memory_bound_share)});
    t.add(row);
  }
  t.print(std::cout);
  info(fmt::format("rooflines: {}", provenance));
  if (a)
    info(fmt::format("{}: {:.4f} GFLOP, {:.1f} MB, {:.2f} FLOP/byte at batch {} (pure roofline: no host or "
                     "efficiency terms; see tune-inference)",
                     o.model, a->flops / 1e9, a->bytes() / 1e6, a->arithmetic_intensity(), a->batch_size));
}

Registrar reg(61, "roofline", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<RooflineCliOptions>();
  auto* cmd = app.add_subcommand("roofline", "Time and energy rooflines per power mode (calibrated with an ERT "
                                             "micro-benchmark), optionally with a model's layers");
  cmd->add_option("--device", o->device, "Device backend: sim:<board>, a built-in board (emulated), jetson, ...")
      ->capture_default_str();
  cmd->add_option("--modes", o->modes,
                  "Comma-separated modes: maxn, preset names (MODE_30W), all (the --grid), random:N, FILE.csv "
                  "(default: maxn and the device's presets)");
  cmd->add_option("--grid", o->grid, "Grid for --modes all / random:N")->capture_default_str();
  cmd->add_option("--model", o->model, "ONNX model whose layers are drawn and whose roofline time/energy is printed");
  cmd->add_option("-b,--batch-size", o->batch_size, "Batch size for --model")->capture_default_str()->check(CLI::Range(1, 1 << 20));
  cmd->add_flag("--training", o->training, "Count a training step for --model (3x inference)");
  cmd->add_option("--svg", o->svg, "Write a log-log roofline chart (FLOP/byte vs GFLOP/s) to this SVG file");
  auto* nominal = cmd->add_flag("--nominal", o->nominal, "Only the nominal rooflines from the clocks (no profiling)");
  cmd->add_option("--calibration", o->calibration_in, "Read calibrated rooflines from a JSON file (--save-calibration)")
      ->excludes(nominal);
  cmd->add_option("--save-calibration", o->calibration_out, "Write the calibrated rooflines to a JSON file");
  cmd->add_option("--seed", o->seed, "Seed of the emulated backend")->capture_default_str();
  cmd->add_flag("--json", o->json, "JSON output");
  cmd->callback([o, &g] { run_roofline(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
