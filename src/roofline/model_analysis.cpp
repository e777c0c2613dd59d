// The parts of the ONNX analysis that need no ONNX library (layer kinds, kernel counts, JSON), so that a build
// without ONNX (MODEWISE_WITH_ONNX=OFF, src/roofline/no_onnx.cpp) still links the commands that print analyses.
#include <nlohmann/json.hpp>

#include "modewise/roofline/onnx_analyzer.h"

namespace modewise::roofline {

std::string to_string(LayerKind k) {
  switch (k) {
    case LayerKind::conv: return "conv";
    case LayerKind::gemm: return "gemm";
    case LayerKind::matmul: return "matmul";
    case LayerKind::attention: return "attention";
    case LayerKind::norm: return "norm";
    case LayerKind::activation: return "activation";
    case LayerKind::elementwise: return "elementwise";
    case LayerKind::pool: return "pool";
    case LayerKind::reduce: return "reduce";
    case LayerKind::softmax: return "softmax";
    case LayerKind::rnn: return "rnn";
    case LayerKind::data_movement: return "data_movement";
    case LayerKind::view: return "view";
    case LayerKind::unknown: return "unknown";
  }
  return "unknown";
}

int ModelAnalysis::kernels() const {
  int n = 0;
  for (const auto& l : layers) n += l.is_kernel() ? 1 : 0;
  return n;
}

nlohmann::json analysis_to_json(const ModelAnalysis& a, bool per_layer) {
  nlohmann::json layers = nlohmann::json::array();
  if (per_layer)
    for (const auto& l : a.layers)
      layers.push_back({{"name", l.name},
                        {"op_type", l.op_type},
                        {"kind", to_string(l.kind)},
                        {"output_shape", l.output_shape},
                        {"flops", l.flops},
                        {"bytes", l.bytes()},
                        {"weight_bytes", l.weight_bytes},
                        {"input_bytes", l.input_bytes},
                        {"output_bytes", l.output_bytes},
                        {"arithmetic_intensity", l.arithmetic_intensity()},
                        {"counted", l.counted},
                        {"note", l.note}});
  return {{"model", a.source},
          {"graph_name", a.graph_name},
          {"producer", a.producer},
          {"opset", a.opset},
          {"file_batch", a.file_batch},
          {"batch_size", a.batch_size},
          {"training", a.training},
          {"parameters", a.parameters},
          {"flops", a.flops},
          {"bytes", a.bytes()},
          {"weight_bytes", a.weight_bytes},
          {"activation_bytes", a.activation_bytes},
          {"arithmetic_intensity", a.arithmetic_intensity()},
          {"kernels", a.kernels()},
          {"unknown_ops", a.unknown_ops},
          {"unknown_shapes", a.unknown_shapes},
          {"complete", a.complete()},
          {"layers", layers}};
}

}  // namespace modewise::roofline
