#include "roofline/onnx_graph.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include "modewise/util/error.h"
#include "modewise/util/strings.h"
#include "roofline/onnx_attribute_checks.h"

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
      if (d->has_dim_value() && d->dim_value() == 0)
        throw Error("{}: graph input '{}' dimension {} is 0: an empty tensor (expected a positive size)", source,
                    input.name(), i);
      if (d->has_dim_value() && d->dim_value() > 0) continue;
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

// ONNX's messages span several lines ("==> Context: ..."): one line, as every modewise error.
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return util::trim(s);
}

// Names are free bytes in the protobuf: make every name valid UTF-8 (invalid bytes become the text \xNN, the
// same everywhere, so references stay consistent) so that tables and --json output never break on them.
void sanitize(std::string* s) {
  if (!util::is_valid_utf8(*s)) *s = util::sanitize_utf8(*s);
}

void sanitize_value_infos(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* infos) {
  for (auto& vi : *infos) sanitize(vi.mutable_name());
}

void sanitize_names(onnx::ModelProto& m) {
  sanitize(m.mutable_producer_name());
  sanitize(m.mutable_producer_version());
  auto* g = m.mutable_graph();
  sanitize(g->mutable_name());
  sanitize_value_infos(g->mutable_input());
  sanitize_value_infos(g->mutable_output());
  sanitize_value_infos(g->mutable_value_info());
  for (auto& t : *g->mutable_initializer()) sanitize(t.mutable_name());
  for (auto& n : *g->mutable_node()) {
    sanitize(n.mutable_name());
    sanitize(n.mutable_op_type());
    sanitize(n.mutable_domain());
    for (auto& in : *n.mutable_input()) sanitize(&in);
    for (auto& out : *n.mutable_output()) sanitize(&out);
  }
}

// The checker, the attribute checks and ONNX shape inference, in this process. Throws Error.
void check_and_infer_in_process(onnx::ModelProto& model, const std::string& source) {
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw Error("{}: not a valid ONNX model: {}", source, one_line(e.what()));
  }
  // ONNX's per-op inference functions trust rank-dependent attributes (a Split axis of 118 segfaults inside
  // InferShapes): check them first.
  check_attributes_before_inference(model, source);
  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/false, /*error_mode=*/0, /*data_propagation=*/true);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception& e) {
    throw Error("{}: ONNX shape inference failed: {}", source, one_line(e.what()));
  }
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// The same in a child process: ONNX 1.12's inference functions index protobuf fields unchecked in more ways than
// the attribute checks can foresee (dims that data propagation computes, empty tensors, ...), so a malformed model
// that still crashes them costs the child, not modewise: the parent reports an Error. The child sends back 'M' and
// the inferred model, or 'E' and an Error's message. MODEWISE_ONNX_IN_PROCESS=1 runs it in this process (debugging).
void check_and_infer_shapes(onnx::ModelProto& model, const std::string& source) {
  const char* in_process = std::getenv("MODEWISE_ONNX_IN_PROCESS");
  int fds[2];
  if ((in_process && std::string(in_process) == "1") || ::pipe(fds) != 0) return check_and_infer_in_process(model, source);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return check_and_infer_in_process(model, source);
  }
  if (pid == 0) {  // child: no destructors, no atexit handlers, no sanitizer leak report
    ::close(fds[0]);
    std::string out;
    try {
      check_and_infer_in_process(model, source);
      out = "M" + model.SerializeAsString();
    } catch (const Error& e) {
      out = std::string("E") + e.what();
    } catch (const std::exception& e) {
      out = fmt::format("E{}: ONNX shape inference failed: {}", source, one_line(e.what()));
    }
    bool ok = write_all(fds[1], out.data(), out.size());
    ::_exit(ok ? 0 : 3);
  }
  ::close(fds[1]);
  std::string reply;
  char buf[65536];
  for (;;) {
    ssize_t r = ::read(fds[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    reply.append(buf, static_cast<size_t>(r));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status))
    throw Error("{}: not a valid ONNX model: ONNX shape inference crashed on it (signal {}): a malformed node that "
                "modewise's checks do not catch yet", source, WTERMSIG(status));
  if (reply.empty() || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error("{}: ONNX shape inference failed (its process exited with status {})", source,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  if (reply[0] == 'E') throw Error(reply.substr(1));
  onnx::ModelProto inferred;
  if (reply[0] != 'M' || !inferred.ParseFromArray(reply.data() + 1, static_cast<int>(reply.size() - 1)))
    throw Error("{}: ONNX shape inference returned an unreadable model", source);
  model.CopyFrom(inferred);
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
  sanitize_names(g.model);
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
  check_and_infer_shapes(g.model, source);
  graph = g.model.mutable_graph();  // the inferred model replaced the one parsed

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
