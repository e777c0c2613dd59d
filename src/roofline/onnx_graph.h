// Internal: an ONNX model parsed, shape-inferred and indexed by tensor name, ready to be counted.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <onnx/onnx_pb.h>

namespace modewise::roofline::detail {

struct TensorInfo {
  std::vector<int64_t> dims;  // valid only when known
  bool known = false;         // every dim is a non-negative number
  int32_t elem_type = 0;      // onnx::TensorProto::DataType
};

struct OnnxGraph {
  std::string source;
  onnx::ModelProto model;                              // after shape inference
  std::unordered_map<std::string, TensorInfo> tensors;  // every named value with type information
  std::unordered_set<std::string> initializers;        // names of graph initializers
  std::unordered_map<std::string, const onnx::TensorProto*> constant_values;  // initializers + Constant outputs
  int file_batch = 1;
  int64_t opset = 0;

  const TensorInfo* find(const std::string& name) const;
};

// Parse the bytes of an .onnx file and run shape inference. Symbolic dims of graph inputs are set to 1 (the
// batch). Throws Error("<source>: ...") for anything malformed.
OnnxGraph load_onnx_graph(std::string_view bytes, const std::string& source);

// Product of dims as a double (no overflow); 0 for an empty shape means a scalar -> 1 element.
double element_count(const std::vector<int64_t>& dims);

}  // namespace modewise::roofline::detail
