#include "roofline/onnx_graph.h"

#include <exception>
#include <limits>

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include "modewise/util/error.h"

namespace modewise::roofline::detail {
namespace {

constexpr double kMaxElements = 1e15;  // more than any real tensor: a corrupted dim

TensorInfo info_from_type(const onnx::TypeProto& type) {
  TensorInfo info;
  if (!type.has_tensor_type()) return info;
  const auto& tt = type.tensor_type();
  info.elem_type = tt.elem_type();
  if (!tt.has_shape()) return info;
  info.known = true;
  for (const auto& d : tt.shape().dim()) {
    if (!d.has_dim_value() || d.dim_value() < 0) {
      info.known = false;
      info.dims.clear();
      return info;
    }
    info.dims.push_back(d.dim_value());
  }
  if (element_count(info.dims) > kMaxElements) info.known = false;
  return info;
}

void check_tensor_dims(const onnx::TensorProto& t, const std::string& source, const char* what) {
  for (int64_t d : t.dims())
    if (d < 0) throw Error("{}: {} '{}' has a negative dimension ({})", source, what, t.name(), d);
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  if (element_count(dims) > kMaxElements)
    throw Error("{}: {} '{}' has an implausible size ({} elements)", source, what, t.name(), element_count(dims));
}

// Symbolic batch dims -> 1; anything else symbolic cannot be counted.
int fix_graph_inputs(onnx::GraphProto& g, const std::unordered_set<std::string>& initializers,
                     const std::string& source, bool has_rnn) {
  int batch = 0;
  bool consistent = true;
  for (auto& input : *g.mutable_input()) {
    if (initializers.count(input.name()) || !input.type().has_tensor_type()) continue;
    auto* shape = input.mutable_type()->mutable_tensor_type()->mutable_shape();
    for (int i = 0; i < shape->dim_size(); ++i) {
      auto* d = shape->mutable_dim(i);
      if (d->has_dim_value() && d->dim_value() >= 0) continue;
      if (i != 0)
        throw Error("{}: graph input '{}' dimension {} is symbolic ('{}'); only the batch dimension (0) may be: "
                    "export the model with fixed input shapes", source, input.name(), i, d->dim_param());
      d->set_dim_value(1);
      consistent = false;  // a symbolic batch: the file describes one sample
    }
    if (shape->dim_size() == 0) continue;
    int64_t b0 = shape->dim(0).dim_value();
    if (batch == 0) batch = static_cast<int>(std::min<int64_t>(b0, std::numeric_limits<int>::max()));
    else if (b0 != batch) consistent = false;
  }
  // A fixed leading dim > 1 shared by every input is the file's batch, except for recurrent models, whose
  // inputs lead with the sequence length.
  return (consistent && batch > 1 && !has_rnn) ? batch : 1;
}

}  // namespace

double element_count(const std::vector<int64_t>& dims) {
  double n = 1;
  for (int64_t d : dims) n *= static_cast<double>(d);
  return n;
}

const TensorInfo* OnnxGraph::find(const std::string& name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

OnnxGraph load_onnx_graph(std::string_view bytes, const std::string& source) {
  OnnxGraph g;
  std::vector<onnx::TensorProto> stripped;
  g.source = source;
  if (bytes.empty()) throw Error("{}: empty file (expected an ONNX model)", source);
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    throw Error("{}: {} bytes is larger than protobuf can parse (2 GiB); strip the weights", source, bytes.size());
  if (!g.model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    throw Error("{}: not a valid ONNX model: the protobuf could not be parsed (truncated or corrupted file?)",
                source);
  if (!g.model.has_graph() || g.model.graph().node_size() == 0)
    throw Error("{}: not a valid ONNX model: it has no graph nodes", source);
  if (g.model.ir_version() <= 0)
    throw Error("{}: not a valid ONNX model: ir_version is missing ({})", source, g.model.ir_version());
  for (const auto& op : g.model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") g.opset = op.version();
  if (g.opset <= 0) throw Error("{}: not a valid ONNX model: no opset for the default domain", source);
  if (g.opset > onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map().at(onnx::ONNX_DOMAIN).second)
    throw Error("{}: opset {} is newer than this build of ONNX supports", source, g.opset);

  auto* graph = g.model.mutable_graph();
  bool has_rnn = false;
  for (const auto& node : graph->node())
    if (node.op_type() == "LSTM" || node.op_type() == "GRU" || node.op_type() == "RNN") has_rnn = true;
  for (const auto& t : graph->initializer()) {
    check_tensor_dims(t, source, "initializer");
    g.initializers.insert(t.name());
  }
  g.file_batch = fix_graph_inputs(*graph, g.initializers, source, has_rnn);

  // Stripped weights (external data that is absent) become graph inputs of the same type and shape: the model
  // stays valid for the checker, which validates every node against its schema before shape inference (whose
  // per-op functions assume a checked model).
  {
    google::protobuf::RepeatedPtrField<onnx::TensorProto> kept;
    for (auto& t : *graph->mutable_initializer()) {
      if (t.data_location() != onnx::TensorProto::EXTERNAL) {
        *kept.Add() = t;
        continue;
      }
      stripped.push_back(t);
      auto* in = graph->add_input();
      in->set_name(t.name());
      auto* tt = in->mutable_type()->mutable_tensor_type();
      tt->set_elem_type(t.data_type());
      auto* shape = tt->mutable_shape();
      for (int64_t d : t.dims()) shape->add_dim()->set_dim_value(d);
    }
    graph->mutable_initializer()->Swap(&kept);
  }
  try {
    onnx::checker::check_model(g.model);
  } catch (const std::exception& e) {
    throw Error("{}: not a valid ONNX model: {}", source, e.what());
  }

  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/false, /*error_mode=*/0, /*data_propagation=*/true);
    onnx::shape_inference::InferShapes(g.model, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception& e) {
    throw Error("{}: ONNX shape inference failed: {}", source, e.what());
  }

  for (const auto& vi : graph->input()) g.tensors[vi.name()] = info_from_type(vi.type());
  for (const auto& vi : graph->value_info()) g.tensors[vi.name()] = info_from_type(vi.type());
  for (const auto& vi : graph->output()) g.tensors[vi.name()] = info_from_type(vi.type());
  for (const auto& t : stripped) *graph->add_initializer() = t;  // back, for parameter counts and constness
  for (const auto& t : graph->initializer()) {
    TensorInfo info{std::vector<int64_t>(t.dims().begin(), t.dims().end()), true, t.data_type()};
    g.tensors[t.name()] = info;
    g.constant_values[t.name()] = &t;
  }
  for (const auto& node : graph->node()) {
    if (node.op_type() != "Constant" || node.output_size() != 1) continue;
    for (const auto& attr : node.attribute())
      if (attr.name() == "value" && attr.has_t()) {
        check_tensor_dims(attr.t(), source, "Constant");
        g.constant_values[node.output(0)] = &attr.t();
        g.tensors[node.output(0)] = {std::vector<int64_t>(attr.t().dims().begin(), attr.t().dims().end()), true,
                                     attr.t().data_type()};
      }
  }
  return g;
}

}  // namespace modewise::roofline::detail
