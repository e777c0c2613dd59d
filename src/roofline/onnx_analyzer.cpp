#include "modewise/roofline/onnx_analyzer.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "roofline/onnx_graph.h"
#include "roofline/op_costs.h"

namespace modewise::roofline {

namespace {

constexpr double kBytesPerElement = 4;  // FP32 convention for every tensor

bool is_float_type(int32_t t) {
  using T = onnx::TensorProto;
  return t == T::FLOAT || t == T::FLOAT16 || t == T::DOUBLE || t == T::BFLOAT16;
}

std::string qualified_op(const onnx::NodeProto& n) {
  if (n.domain().empty() || n.domain() == "ai.onnx") return n.op_type();
  return n.domain() + "." + n.op_type();
}

struct Counter {
  const detail::OnnxGraph& g;
  std::unordered_set<std::string> constants;  // initializers, Constant outputs and what is folded from them
  std::unordered_set<std::string> defined;

  // FLOPs and bytes of one node at the file's batch.
  LayerCost count(const onnx::NodeProto& node, size_t index, ModelAnalysis& result) {
    LayerCost layer;
    layer.op_type = qualified_op(node);
    layer.name = node.name().empty() ? fmt::format("{}_{}", node.op_type(), index) : node.name();

    detail::NodeShapes s;
    s.node = &node;
    bool all_const = node.input_size() > 0;
    for (const auto& in : node.input()) {
      if (in.empty()) {
        s.inputs.push_back(nullptr);
        continue;
      }
      if (!defined.count(in))
        throw Error("{}: node '{}' ({}) reads '{}', which no earlier node, initializer or graph input defines",
                    g.source, layer.name, layer.op_type, in);
      s.inputs.push_back(g.find(in));
      all_const = all_const && constants.count(in);
    }
    for (const auto& out : node.output()) s.outputs.push_back(out.empty() ? nullptr : g.find(out));
    if (!s.outputs.empty() && s.outputs[0] && s.outputs[0]->known) layer.output_shape = s.outputs[0]->dims;

    auto define_outputs = [&](bool constant) {
      for (const auto& out : node.output()) {
        if (out.empty()) continue;
        defined.insert(out);
        if (constant) constants.insert(out);
      }
    };

    const detail::OpRule* rule = detail::find_op_rule(layer.op_type);
    bool metadata = node.op_type() == "Shape" || node.op_type() == "Size" || node.op_type() == "Constant";
    if (metadata || (all_const && rule)) {  // folded at export or load time: no kernel runs
      layer.kind = LayerKind::view;
      layer.note = metadata ? "" : "constant-folded";
      define_outputs(true);
      return layer;
    }
    define_outputs(false);
    if (!rule) {
      layer.counted = false;
      layer.note = "no counting rule for this op";
      result.unknown_ops[layer.op_type]++;
      return layer;
    }
    layer.kind = rule->kind;
    try {
      if (rule->flops) layer.flops = rule->flops(s);
      if (rule->bytes != detail::ByteRule::none) count_bytes(node, s, *rule, layer);
    } catch (const detail::ShapeUnknown& e) {
      layer.counted = false;
      layer.flops = layer.weight_bytes = layer.input_bytes = layer.output_bytes = 0;
      layer.note = "unknown after shape inference: " + e.what;
      result.unknown_shapes.push_back(layer.name);
    }
    return layer;
  }

  void count_bytes(const onnx::NodeProto& node, const detail::NodeShapes& s, const detail::OpRule& rule,
                   LayerCost& layer) const {
    std::set<std::string> seen;
    for (int i = 0; i < node.input_size(); ++i) {
      const std::string& in = node.input(i);
      if (in.empty() || !seen.insert(in).second) continue;
      bool weight = constants.count(in) > 0;
      if (weight && i == 0 && rule.bytes == detail::ByteRule::gather_rows) {
        layer.weight_bytes += kBytesPerElement * s.out_elems();  // only the gathered rows are read
        continue;
      }
      double b = kBytesPerElement * s.in_elems(static_cast<size_t>(i));
      (weight ? layer.weight_bytes : layer.input_bytes) += b;
    }
    for (int i = 0; i < node.output_size(); ++i)
      if (!node.output(i).empty()) layer.output_bytes += kBytesPerElement * s.out_elems(static_cast<size_t>(i));
  }
};

// MatMuls of two activations (QK^T, attention x V) and the softmax feeding them are attention.
void tag_attention(const onnx::GraphProto& graph, const std::unordered_set<std::string>& constants,
                   std::vector<LayerCost>& layers) {
  std::unordered_map<std::string, std::vector<size_t>> consumers;
  for (int i = 0; i < graph.node_size(); ++i)
    for (const auto& in : graph.node(i).input()) consumers[in].push_back(static_cast<size_t>(i));
  for (int i = 0; i < graph.node_size(); ++i) {
    const auto& n = graph.node(i);
    auto& layer = layers[static_cast<size_t>(i)];
    if (layer.kind != LayerKind::matmul || n.input_size() < 2) continue;
    if (!constants.count(n.input(0)) && !constants.count(n.input(1))) layer.kind = LayerKind::attention;
  }
  for (int i = 0; i < graph.node_size(); ++i) {
    auto& layer = layers[static_cast<size_t>(i)];
    if (layer.kind != LayerKind::softmax || graph.node(i).output_size() == 0) continue;
    // follow at most a few views/casts/dropouts downstream
    std::vector<std::string> frontier{graph.node(i).output(0)};
    for (int depth = 0; depth < 3 && !frontier.empty() && layer.kind != LayerKind::attention; ++depth) {
      std::vector<std::string> next;
      for (const auto& t : frontier)
        for (size_t c : consumers[t]) {
          if (layers[c].kind == LayerKind::attention) layer.kind = LayerKind::attention;
          if (layers[c].kind == LayerKind::view || layers[c].kind == LayerKind::data_movement)
            for (const auto& o : graph.node(static_cast<int>(c)).output()) next.push_back(o);
        }
      frontier = std::move(next);
    }
  }
}

}  // namespace

ModelAnalysis analyze_onnx_bytes(std::string_view bytes, const std::string& source, const AnalyzeOptions& options) {
  if (options.batch_size < 1) throw UsageError("batch size must be at least 1 (got {})", options.batch_size);
  detail::OnnxGraph g = detail::load_onnx_graph(bytes, source);
  const auto& graph = g.model.graph();

  ModelAnalysis a;
  a.source = source;
  a.graph_name = graph.name();
  a.producer = g.model.producer_name() + (g.model.producer_version().empty() ? "" : " " + g.model.producer_version());
  a.opset = g.opset;
  a.file_batch = g.file_batch;
  a.batch_size = options.batch_size;
  a.training = options.training;
  std::unordered_set<std::string> counted_params;
  for (const auto& t : graph.initializer())
    if (is_float_type(t.data_type()) && counted_params.insert(t.name()).second)
      a.parameters += static_cast<int64_t>(detail::element_count({t.dims().begin(), t.dims().end()}));

  Counter c{g, {}, {}};
  for (const auto& t : graph.initializer()) c.constants.insert(t.name()), c.defined.insert(t.name());
  for (const auto& in : graph.input()) c.defined.insert(in.name());
  a.layers.reserve(static_cast<size_t>(graph.node_size()));
  for (int i = 0; i < graph.node_size(); ++i) a.layers.push_back(c.count(graph.node(i), static_cast<size_t>(i), a));
  tag_attention(graph, c.constants, a.layers);

  // Activations scale with the batch, weights are read once per batch; training is 3x inference.
  double batch_scale = static_cast<double>(options.batch_size) / g.file_batch;
  double training_scale = options.training ? 3.0 : 1.0;
  for (auto& l : a.layers) {
    l.flops *= batch_scale * training_scale;
    l.input_bytes *= batch_scale * training_scale;
    l.output_bytes *= batch_scale * training_scale;
    l.weight_bytes *= training_scale;
    a.flops += l.flops;
    a.weight_bytes += l.weight_bytes;
    a.activation_bytes += l.input_bytes + l.output_bytes;
  }
  return a;
}

ModelAnalysis analyze_onnx_file(const std::string& path, const AnalyzeOptions& options) {
  // read_text_file: a directory or an unreadable file is an Error naming it ("it is a directory, expected a file")
  return analyze_onnx_bytes(util::read_text_file(path), path, options);
}

}  // namespace modewise::roofline
