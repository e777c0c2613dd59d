// FLOP and byte counts of an ONNX model, node by node, by the published roofline convention (Pagoda, FP32):
//   Conv          2 * out_elems * (Cin/groups) * prod(kernel) + out_elems
//   Gemm/MatMul   2 * M * K * N (per sample; broadcast batch dims included)
//   other ops     a small per-element count (activations, elementwise, norms, pools, softmax; docs/ROOFLINE.md)
//   bytes         weights + inputs + outputs at 4 B per element; weights are counted once per node per batch,
//                 activations scale with the batch size; training = 3x inference FLOPs and bytes.
// Weights may be stripped (external data that is absent): parameter counts come from the initializers' dims.
// Ops without a rule are listed in unknown_ops (never skipped silently).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace modewise::roofline {

struct AnalyzeOptions {
  int batch_size = 1;     // samples per inference / minibatch
  bool training = false;  // forward + backward: 3x the inference FLOPs and bytes
};

// What a layer is, for tables and plots.
enum class LayerKind { conv, gemm, matmul, attention, norm, activation, elementwise, pool, reduce, softmax, rnn,
                       data_movement, view, unknown };
std::string to_string(LayerKind k);

struct LayerCost {
  std::string name;     // the node's name, or "<op_type>_<index>" when it has none
  std::string op_type;  // "Conv", "com.microsoft.Attention", ...
  LayerKind kind = LayerKind::unknown;
  std::vector<int64_t> output_shape;  // first output, at the analysed batch size (empty when unknown)
  double flops = 0;
  double weight_bytes = 0;  // constant inputs (initializers, Constant nodes), counted once per batch
  double input_bytes = 0;   // activation inputs
  double output_bytes = 0;
  bool counted = true;  // false: no rule for the op or shapes unknown; then flops and bytes are 0
  std::string note;     // why it was not counted

  double bytes() const { return weight_bytes + input_bytes + output_bytes; }
  double arithmetic_intensity() const { return bytes() > 0 ? flops / bytes() : 0; }  // FLOP/byte
  // A layer that runs as a GPU kernel: it moves or computes something (not a view or a folded constant).
  bool is_kernel() const { return counted && (flops > 0 || bytes() > 0); }
};

struct ModelAnalysis {
  std::string source;      // file name for messages
  std::string graph_name;
  std::string producer;    // "pytorch 1.13.0", ...
  int64_t opset = 0;       // default-domain opset
  int file_batch = 1;      // samples the file's graph describes (symbolic batch dims are taken as 1)
  int batch_size = 1;      // the analysed batch size
  bool training = false;
  int64_t parameters = 0;  // elements of floating-point initializers
  double flops = 0;
  double weight_bytes = 0;
  double activation_bytes = 0;  // inputs + outputs of every node
  std::vector<LayerCost> layers;             // graph order, views and folded constants included
  std::map<std::string, int> unknown_ops;    // op type -> nodes without a counting rule
  std::vector<std::string> unknown_shapes;   // layers whose shapes shape inference could not determine

  double bytes() const { return weight_bytes + activation_bytes; }
  double arithmetic_intensity() const { return bytes() > 0 ? flops / bytes() : 0; }
  int kernels() const;  // layers with is_kernel()
  bool complete() const { return unknown_ops.empty() && unknown_shapes.empty(); }
};

// Parse, run ONNX shape inference and count. Throws Error naming the file and what failed for unreadable,
// truncated or malformed models (attributes are checked before shape inference, which runs in a child process so
// that a model crashing it is an Error too; docs/ROOFLINE.md "Malformed models"); UsageError for a batch size < 1.
ModelAnalysis analyze_onnx_file(const std::string& path, const AnalyzeOptions& options);
ModelAnalysis analyze_onnx_bytes(std::string_view bytes, const std::string& source, const AnalyzeOptions& options);

// {"model", "batch_size", "training", "flops", "bytes", "weight_bytes", "activation_bytes", "parameters",
//  "arithmetic_intensity", "kernels", "unknown_ops", "unknown_shapes", "layers": [{"name", "op_type", "kind",
//  "output_shape", "flops", "bytes", "weight_bytes", "input_bytes", "output_bytes", "arithmetic_intensity",
//  "counted", "note"}]}; "layers" is empty unless per_layer.
nlohmann::json analysis_to_json(const ModelAnalysis& a, bool per_layer);

}  // namespace modewise::roofline
