// modewise analyze: FLOPs, bytes and arithmetic intensity of an ONNX model, in total and per layer.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "modewise/roofline/onnx_analyzer.h"
#include "modewise/util/strings.h"
#include "modewise/util/table.h"

namespace modewise::cli {
namespace {

struct AnalyzeCliOptions {
  std::string model;
  int batch_size = 1;
  bool training = false, per_layer = false, json = false, all_layers = false;
};

std::string shape_text(const std::vector<int64_t>& dims) {
  if (dims.empty()) return "?";
  std::string s;
  for (auto d : dims) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

void run_analyze(const AnalyzeCliOptions& o) {
  roofline::ModelAnalysis a = roofline::analyze_onnx_file(o.model, {o.batch_size, o.training});
  for (const auto& [op, n] : a.unknown_ops)
    warn(fmt::format("{}: {} node(s) of op '{}' have no counting rule: not counted", o.model, n, op));
  if (!a.unknown_shapes.empty())
    warn(fmt::format("{}: {} layer(s) with shapes unknown after shape inference: not counted (first: {})", o.model,
                     a.unknown_shapes.size(), a.unknown_shapes.front()));
  if (o.json) {
    std::cout << roofline::analysis_to_json(a, true).dump(2) << "\n";
    return;
  }
  if (o.per_layer) {
    util::TextTable t({"layer", "op", "kind", "output_shape", "mflop", "weight_mb", "activation_mb", "flop_per_byte"});
    for (const auto& l : a.layers) {
      if (!o.all_layers && !l.is_kernel() && l.counted) continue;
      t.add({l.name, l.op_type, l.counted ? roofline::to_string(l.kind) : "NOT COUNTED: " + l.note,
             shape_text(l.output_shape), fmt::format("{:.3f}", l.flops / 1e6), fmt::format("{:.3f}", l.weight_bytes / 1e6),
             fmt::format("{:.3f}", (l.input_bytes + l.output_bytes) / 1e6),
             fmt::format("{:.2f}", l.arithmetic_intensity())});
    }
    t.print(std::cout);
    std::cout << "\n";
  }
  util::TextTable s({"quantity", "value"});
  s.add({"model", o.model});
  s.add({"producer / opset", fmt::format("{} / {}", a.producer.empty() ? "?" : a.producer, a.opset)});
  s.add({"batch size", fmt::format("{}{}", a.batch_size, a.training ? " (training: 3x inference)" : " (inference)")});
  s.add({"parameters", fmt::format("{} ({:.1f} M)", a.parameters, a.parameters / 1e6)});
  s.add({"flops", fmt::format("{:.6g} ({:.4f} GFLOP)", a.flops, a.flops / 1e9)});
  s.add({"bytes", fmt::format("{:.6g} ({:.1f} MB: weights {:.1f}, activations {:.1f})", a.bytes(), a.bytes() / 1e6,
                              a.weight_bytes / 1e6, a.activation_bytes / 1e6)});
  s.add({"arithmetic intensity", fmt::format("{:.2f} FLOP/byte", a.arithmetic_intensity())});
  s.add({"layers (kernels)", fmt::format("{} ({})", a.layers.size(), a.kernels())});
  std::string unknown;
  for (const auto& [op, n] : a.unknown_ops) unknown += fmt::format("{}{} x{}", unknown.empty() ? "" : ", ", op, n);
  s.add({"unknown ops", unknown.empty() ? "none" : unknown});
  s.print(std::cout);
}

Registrar reg(60, "analyze", [](CLI::App& app, GlobalOptions&) {
  auto o = std::make_shared<AnalyzeCliOptions>();
  auto* cmd = app.add_subcommand(
      "analyze", "FLOPs, bytes and arithmetic intensity of an ONNX model (Pagoda FP32 convention, per layer)");
  cmd->add_option("model", o->model, "ONNX model file (weights may be stripped)")->required();
  cmd->add_option("-b,--batch-size", o->batch_size, "Samples per inference/minibatch")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_flag("--training", o->training, "Count a training step (forward + backward: 3x inference)");
  cmd->add_flag("--per-layer", o->per_layer, "Print a per-layer table (kernels only; add --all-layers for views)");
  cmd->add_flag("--all-layers", o->all_layers, "With --per-layer: include views and folded constants");
  cmd->add_flag("--json", o->json, "JSON output with keys flops, bytes, arithmetic_intensity, layers, ...");
  cmd->callback([o] { run_analyze(*o); });
});

}  // namespace
}  // namespace modewise::cli
