#include "roofline/onnx_attribute_checks.h"

#include <algorithm>
#include <exception>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::roofline::detail {
namespace {

constexpr int64_t kUnknownRank = -1;

std::optional<int64_t> int_attr(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute())
    if (a.name() == name && a.type() == onnx::AttributeProto::INT) return a.i();
  return std::nullopt;
}

std::optional<std::vector<int64_t>> ints_attr(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute())
    if (a.name() == name && a.type() == onnx::AttributeProto::INTS) return std::vector<int64_t>(a.ints().begin(), a.ints().end());
  return std::nullopt;
}

int64_t rank_of(const onnx::TypeProto* t) {
  if (!t || !t->has_tensor_type() || !t->tensor_type().has_shape()) return kUnknownRank;
  return t->tensor_type().shape().dim_size();
}

std::string ints_text(const std::vector<int64_t>& v) {
  std::string s;
  for (auto x : v) {
    if (!s.empty()) s += ',';
    s += std::to_string(x);
  }
  return "[" + s + "]";
}

struct NodeCheck {
  const onnx::NodeProto& node;
  const std::string& source;
  size_t index;
  std::vector<int64_t> ranks;  // of each input, kUnknownRank when unknown
  int64_t opset;
  const onnx::TensorProto* split_input = nullptr;  // Split's second input when it is a constant

  [[noreturn]] void fail(const std::string& what) const {
    std::string name = node.name().empty() ? fmt::format("{}_{}", node.op_type(), index) : node.name();
    throw Error("{}: node '{}' ({}): {} (malformed model)", source, util::sanitize_utf8(name),
                util::sanitize_utf8(node.op_type()), what);
  }
  int64_t rank(size_t i = 0) const { return i < ranks.size() ? ranks[i] : kUnknownRank; }

  // An axis attribute in [lo(r), hi(r)] for input rank r = rank(input) + extra; `deflt` when absent.
  void axis(const char* attr, std::optional<int64_t> deflt, int64_t extra = 0, bool inclusive_end = false,
            size_t input = 0) const {
    std::optional<int64_t> v = int_attr(node, attr);
    if (!v) v = deflt;
    if (!v) return;
    int64_t r = rank(input);
    if (r == kUnknownRank) return;
    r += extra;
    int64_t hi = inclusive_end ? r : r - 1;
    if (*v < -r || *v > hi)
      fail(fmt::format("attribute '{}' = {} is out of range for an input of rank {} (expected {} to {})", attr, *v,
                       r - extra, -r, hi));
  }

  // Each of a list of axes in range and no axis twice.
  void axes(const char* attr, int64_t extra_per_axis = 0) const {
    auto v = ints_attr(node, attr);
    if (!v) return;
    int64_t r = rank(0);
    if (r == kUnknownRank) return;
    if (extra_per_axis) r += static_cast<int64_t>(v->size());
    std::set<int64_t> seen;
    for (int64_t a : *v) {
      if (a < -r || a >= r)
        fail(fmt::format("attribute '{}' = {} has axis {} out of range for rank {} (expected {} to {})", attr,
                         ints_text(*v), a, r, -r, r - 1));
      if (!seen.insert(a < 0 ? a + r : a).second)
        fail(fmt::format("attribute '{}' = {} repeats axis {}", attr, ints_text(*v), a));
    }
  }

  void all_positive(const char* attr) const {
    if (auto v = ints_attr(node, attr))
      for (int64_t x : *v)
        if (x < 1) fail(fmt::format("attribute '{}' = {}: expected values >= 1", attr, ints_text(*v)));
  }
  void all_non_negative(const char* attr) const {
    if (auto v = ints_attr(node, attr))
      for (int64_t x : *v)
        if (x < 0) fail(fmt::format("attribute '{}' = {}: expected values >= 0", attr, ints_text(*v)));
  }
  void size_is(const char* attr, int64_t n) const {
    if (n < 0) return;
    if (auto v = ints_attr(node, attr); v && static_cast<int64_t>(v->size()) != n)
      fail(fmt::format("attribute '{}' = {} has {} values, expected {} for an input of rank {}", attr, ints_text(*v),
                       v->size(), n, rank(0)));
  }
  void positive_int(const char* attr) const {
    if (auto v = int_attr(node, attr); v && *v < 1) fail(fmt::format("attribute '{}' = {}: expected >= 1", attr, *v));
  }

  // Conv, ConvTranspose and the pools: one kernel/stride/dilation per spatial dim, two pads per spatial dim.
  void conv_pool() const {
    all_positive("kernel_shape");
    all_positive("strides");
    all_positive("dilations");
    all_non_negative("pads");
    all_non_negative("output_padding");
    positive_int("group");
    int64_t r = rank(0);
    if (r == kUnknownRank) return;
    if (r < 3) fail(fmt::format("expects an input of rank 3 or more (N, C, spatial...), found rank {}", r));
    int64_t spatial = r - 2;
    size_is("kernel_shape", spatial);
    size_is("strides", spatial);
    size_is("dilations", spatial);
    size_is("pads", 2 * spatial);
    size_is("output_padding", spatial);
    size_is("output_shape", spatial);
    if (node.input_size() > 1 && rank(1) != kUnknownRank && rank(1) != r && node.op_type().find("Conv") == 0)
      fail(fmt::format("weight rank {} differs from input rank {}", rank(1), r));
  }

  void run() const {
    const std::string& op = node.op_type();
    if (op == "Split") {
      axis("axis", 0);
      if (auto split = ints_attr(node, "split")) {
        all_non_negative("split");
        if (static_cast<int>(split->size()) != node.output_size())
          fail(fmt::format("attribute 'split' has {} values for {} outputs", split->size(), node.output_size()));
      }
      // Split-13 reads the lengths from a constant second input and indexes them by output, unchecked.
      if (split_input && split_input->dims_size() >= 1 && split_input->dims(0) != node.output_size())
        fail(fmt::format("input 'split' has {} values for {} outputs", split_input->dims(0), node.output_size()));
      if (split_input && split_input->dims_size() != 1)
        fail(fmt::format("input 'split' has rank {}, expected a 1-D tensor", split_input->dims_size()));
    } else if (op == "Concat") {
      int64_t r = kUnknownRank;
      for (int64_t x : ranks) {
        if (x == kUnknownRank) continue;
        if (r != kUnknownRank && x != r) fail(fmt::format("inputs of rank {} and {}: expected one rank", r, x));
        r = x;
      }
      if (auto v = int_attr(node, "axis"); v && r != kUnknownRank && (*v < -r || *v >= r))
        fail(fmt::format("attribute 'axis' = {} is out of range for inputs of rank {} (expected {} to {})", *v, r, -r,
                         r - 1));
    } else if (op == "Gather" || op == "GatherElements" || op == "Scatter" || op == "ScatterElements" ||
               op == "ArgMax" || op == "ArgMin" || op == "TopK" || op == "Compress" || op == "CumSum") {
      axis("axis", op == "TopK" ? std::optional<int64_t>(-1) : std::optional<int64_t>(0));
      if ((op == "GatherElements" || op == "ScatterElements") && rank(1) != kUnknownRank && rank(0) != kUnknownRank &&
          rank(1) != rank(0))
        fail(fmt::format("indices of rank {} for data of rank {}: expected the same rank", rank(1), rank(0)));
    } else if (op == "GatherND" || op == "ScatterND") {
      auto b = int_attr(node, "batch_dims").value_or(0);
      if (b < 0) fail(fmt::format("attribute 'batch_dims' = {}: expected >= 0", b));
      if (rank(0) != kUnknownRank && rank(1) != kUnknownRank && (b >= std::min(rank(0), rank(1))))
        fail(fmt::format("attribute 'batch_dims' = {} is not below the ranks of data ({}) and indices ({})", b,
                         rank(0), rank(1)));
      if (rank(1) == 0) fail("indices of rank 0: expected rank 1 or more");
    } else if (op == "Softmax" || op == "LogSoftmax" || op == "Hardmax") {
      axis("axis", opset >= 13 ? std::optional<int64_t>(-1) : std::nullopt, 0, false);
    } else if (op == "Flatten") {
      axis("axis", std::nullopt, 0, /*inclusive_end=*/true);
    } else if (op == "LpNormalization" || op == "LayerNormalization") {
      axis("axis", -1);
    } else if (op == "OneHot") {
      axis("axis", -1, /*extra=*/1);
    } else if (op == "Transpose") {
      auto perm = ints_attr(node, "perm");
      int64_t r = rank(0);
      if (perm && r != kUnknownRank) {
        if (static_cast<int64_t>(perm->size()) != r)
          fail(fmt::format("attribute 'perm' = {} has {} values for an input of rank {}", ints_text(*perm),
                           perm->size(), r));
        std::set<int64_t> seen;
        for (int64_t p : *perm)
          if (p < 0 || p >= r || !seen.insert(p).second)
            fail(fmt::format("attribute 'perm' = {} is not a permutation of 0..{}", ints_text(*perm), r - 1));
      }
    } else if (op == "Squeeze" || op == "Slice" || op.rfind("Reduce", 0) == 0) {
      axes("axes");
      if (op == "Slice") {
        auto starts = ints_attr(node, "starts"), ends = ints_attr(node, "ends"), ax = ints_attr(node, "axes");
        if (starts && ends && starts->size() != ends->size())
          fail(fmt::format("attributes 'starts' and 'ends' have {} and {} values", starts->size(), ends->size()));
        if (starts && ax && starts->size() != ax->size())
          fail(fmt::format("attributes 'starts' and 'axes' have {} and {} values", starts->size(), ax->size()));
        if (starts && rank(0) != kUnknownRank && !ax && static_cast<int64_t>(starts->size()) > rank(0))
          fail(fmt::format("attribute 'starts' has {} values for an input of rank {}", starts->size(), rank(0)));
      }
    } else if (op == "Unsqueeze") {
      axes("axes", /*extra_per_axis=*/1);
    } else if (op == "ReverseSequence") {
      for (const char* a : {"batch_axis", "time_axis"})
        if (auto v = int_attr(node, a); v && *v != 0 && *v != 1)
          fail(fmt::format("attribute '{}' = {}: expected 0 or 1", a, *v));
      if (rank(0) != kUnknownRank && rank(0) < 2) fail(fmt::format("expects an input of rank 2 or more, found {}", rank(0)));
    } else if (op == "DepthToSpace" || op == "SpaceToDepth") {
      positive_int("blocksize");
      if (rank(0) != kUnknownRank && rank(0) != 4) fail(fmt::format("expects an input of rank 4, found {}", rank(0)));
    } else if (op == "Conv" || op == "ConvTranspose" || op == "ConvInteger" || op == "QLinearConv" ||
               op == "MaxPool" || op == "AveragePool" || op == "LpPool" || op == "MaxRoiPool" ||
               op == "GlobalAveragePool" || op == "GlobalMaxPool" || op == "GlobalLpPool") {
      if (op.rfind("Global", 0) == 0) {
        if (rank(0) != kUnknownRank && rank(0) < 2) fail(fmt::format("expects an input of rank 2 or more, found {}", rank(0)));
      } else {
        conv_pool();
      }
    } else if (op == "Pad") {
      if (auto pads = ints_attr(node, "pads"); pads && rank(0) != kUnknownRank &&
                                               static_cast<int64_t>(pads->size()) != 2 * rank(0))
        fail(fmt::format("attribute 'pads' has {} values for an input of rank {} (expected {})", pads->size(), rank(0),
                         2 * rank(0)));
    } else if (op == "LSTM" || op == "GRU" || op == "RNN") {
      // Their inference reads dims 0..2 of X and of the weights without checking the ranks.
      static const char* names[] = {"X", "W", "R", "B"};
      for (size_t i = 0; i < 4 && i < ranks.size(); ++i) {
        int64_t want = i == 3 ? 2 : 3;
        if (ranks[i] != kUnknownRank && ranks[i] != want)
          fail(fmt::format("input {} has rank {}, expected {}", names[i], ranks[i], want));
      }
      positive_int("hidden_size");
    } else if (op == "LRN") {
      positive_int("size");
    } else if (op == "Tile" || op == "Expand" || op == "Einsum") {
      // checked by their inference functions
    } else if (op == "QuantizeLinear" || op == "DequantizeLinear") {
      if (node.input_size() > 1 && rank(1) == 1) axis("axis", 1);
    }
  }
};

}  // namespace

void check_attributes_before_inference(const onnx::ModelProto& model, const std::string& source) {
  std::unordered_map<std::string, int64_t> opsets;  // domain -> version
  for (const auto& op : model.opset_import()) opsets[op.domain() == "ai.onnx" ? "" : op.domain()] = op.version();
  const int64_t opset = opsets.count("") ? opsets[""] : 0;

  onnx::GraphProto g = model.graph();  // the per-op inference functions need mutable nodes
  std::unordered_map<std::string, onnx::TypeProto> types;
  std::unordered_map<std::string, onnx::TypeProto*> type_ptrs;
  std::unordered_map<std::string, const onnx::TensorProto*> data;
  auto set_type = [&](const std::string& name, const onnx::TypeProto& t) {
    if (name.empty()) return;
    onnx::TypeProto& slot = types[name];
    slot = t;
    type_ptrs[name] = &slot;
  };
  for (const auto& in : g.input()) set_type(in.name(), in.type());
  for (const auto& t : g.initializer()) {
    onnx::TypeProto tp;
    auto* tt = tp.mutable_tensor_type();
    tt->set_elem_type(t.data_type());
    auto* shape = tt->mutable_shape();
    for (int64_t d : t.dims()) shape->add_dim()->set_dim_value(d);
    set_type(t.name(), tp);
    data[t.name()] = &t;
  }
  const std::unordered_map<std::string, const onnx::SparseTensorProto*> no_sparse;

  for (int i = 0; i < g.node_size(); ++i) {
    onnx::NodeProto& node = *g.mutable_node(i);
    NodeCheck check{node, source, static_cast<size_t>(i), {}, opset};
    for (const auto& in : node.input()) {
      auto it = type_ptrs.find(in);
      check.ranks.push_back(in.empty() || it == type_ptrs.end() ? kUnknownRank : rank_of(it->second));
    }
    if (node.op_type() == "Split" && node.input_size() > 1 && data.count(node.input(1)))
      check.split_input = data[node.input(1)];
    check.run();

    // Learn the ranks of the outputs from the op's own inference function (now that its attributes are sane).
    if (node.op_type() == "Constant") {
      for (const auto& a : node.attribute())
        if (a.name() == "value" && a.has_t() && node.output_size() == 1) {
          onnx::TypeProto tp;
          auto* tt = tp.mutable_tensor_type();
          tt->set_elem_type(a.t().data_type());
          auto* shape = tt->mutable_shape();
          for (int64_t d : a.t().dims()) shape->add_dim()->set_dim_value(d);
          set_type(node.output(0), tp);
          data[node.output(0)] = &a.t();
        }
      continue;
    }
    bool has_subgraph = std::any_of(node.attribute().begin(), node.attribute().end(),
                                    [](const onnx::AttributeProto& a) { return a.has_g() || a.graphs_size() > 0; });
    auto domain = opsets.find(node.domain() == "ai.onnx" ? "" : node.domain());
    if (has_subgraph || domain == opsets.end()) continue;
    const onnx::OpSchema* schema =
        onnx::OpSchemaRegistry::Schema(node.op_type(), static_cast<int>(domain->second), node.domain());
    if (!schema || !schema->has_type_and_shape_inference_function()) continue;
    try {
      onnx::shape_inference::InferenceContextImpl ctx(node, type_ptrs, data, no_sparse);
      schema->GetTypeAndShapeInferenceFunction()(ctx);
      for (int o = 0; o < node.output_size() && o < static_cast<int>(ctx.allOutputTypes_.size()); ++o) {
        const onnx::TypeProto& t = ctx.allOutputTypes_[o];
        if (!t.has_tensor_type()) continue;
        // An empty or negative computed dim (an input too small for the model's convolutions, a slice past the
        // end): ONNX's inference of later nodes divides and indexes by such dims unchecked.
        for (const auto& d : t.tensor_type().shape().dim())
          if (d.has_dim_value() && d.dim_value() <= 0)
            check.fail(fmt::format("output '{}' would have a dimension of {} (are the graph inputs too small for "
                                   "this model?)",
                                   util::sanitize_utf8(node.output(o)), d.dim_value()));
        set_type(node.output(o), t);
      }
    } catch (const Error&) {
      throw;
    } catch (const std::exception&) {
      // shape inference proper reports it (with more context)
    }
  }
}

}  // namespace modewise::roofline::detail
