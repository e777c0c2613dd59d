// Internal: the FLOP counting rule of each ONNX op (docs/ROOFLINE.md has the table).
#pragma once
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "modewise/roofline/onnx_analyzer.h"
#include "roofline/onnx_graph.h"

namespace modewise::roofline::detail {

struct NodeShapes {
  const onnx::NodeProto* node = nullptr;
  std::vector<const TensorInfo*> inputs;   // nullptr: absent optional input or no type information
  std::vector<const TensorInfo*> outputs;  // nullptr: no type information

  // dims of input/output i; throws ShapeUnknown when not known.
  const std::vector<int64_t>& in(size_t i) const;
  const std::vector<int64_t>& out(size_t i) const;
  bool has_input(size_t i) const;  // present (named) in the node
  double in_elems(size_t i) const;
  double out_elems(size_t i = 0) const;
  int64_t attr_int(const std::string& name, int64_t fallback) const;
  std::string attr_string(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& name) const;
};

struct ShapeUnknown {
  std::string what;  // "input 1 of Conv"
};

enum class ByteRule {
  io,          // weights + inputs + outputs
  none,        // a view or metadata: no data moves
  gather_rows  // Gather from a constant table: only the gathered rows are read
};

struct OpRule {
  LayerKind kind = LayerKind::unknown;
  ByteRule bytes = ByteRule::io;
  double (*flops)(const NodeShapes&) = nullptr;  // nullptr: 0 FLOPs
};

// The rule for an op type (with the domain prefix for non-default domains, e.g. "com.microsoft.Attention"),
// or nullptr when modewise has none.
const OpRule* find_op_rule(const std::string& qualified_op_type);
std::vector<std::string> known_op_types();

}  // namespace modewise::roofline::detail
