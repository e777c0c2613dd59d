// The FLOP rule of each op. FLOPs are counted for the tensors as they are (the analysed batch included).
#include "roofline/op_costs.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include <fmt/format.h>

namespace modewise::roofline::detail {

const std::vector<int64_t>& NodeShapes::in(size_t i) const {
  if (i >= inputs.size() || !inputs[i] || !inputs[i]->known)
    throw ShapeUnknown{fmt::format("shape of input {} ('{}')", i, i < static_cast<size_t>(node->input_size())
                                                                      ? node->input(static_cast<int>(i)) : "")};
  return inputs[i]->dims;
}
const std::vector<int64_t>& NodeShapes::out(size_t i) const {
  if (i >= outputs.size() || !outputs[i] || !outputs[i]->known)
    throw ShapeUnknown{fmt::format("shape of output {} ('{}')", i, i < static_cast<size_t>(node->output_size())
                                                                       ? node->output(static_cast<int>(i)) : "")};
  return outputs[i]->dims;
}
bool NodeShapes::has_input(size_t i) const {
  return i < static_cast<size_t>(node->input_size()) && !node->input(static_cast<int>(i)).empty();
}
double NodeShapes::in_elems(size_t i) const { return element_count(in(i)); }
double NodeShapes::out_elems(size_t i) const { return element_count(out(i)); }

int64_t NodeShapes::attr_int(const std::string& name, int64_t fallback) const {
  for (const auto& a : node->attribute())
    if (a.name() == name && a.has_i()) return a.i();
  return fallback;
}
std::string NodeShapes::attr_string(const std::string& name, const std::string& fallback) const {
  for (const auto& a : node->attribute())
    if (a.name() == name && a.has_s()) return a.s();
  return fallback;
}
std::vector<int64_t> NodeShapes::attr_ints(const std::string& name) const {
  for (const auto& a : node->attribute())
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  return {};
}

namespace {

double dim(const std::vector<int64_t>& d, size_t i) {
  if (i >= d.size()) throw ShapeUnknown{fmt::format("a tensor of rank {} where rank > {} was expected", d.size(), i)};
  return static_cast<double>(d[i]);
}
double prod_from(const std::vector<int64_t>& d, size_t first) {
  double p = 1;
  for (size_t i = first; i < d.size(); ++i) p *= static_cast<double>(d[i]);
  return p;
}

// Conv: 2 * out * (Cin/groups) * prod(kernel) + out (the bias / accumulate term of the published convention).
double conv(const NodeShapes& s) { return 2 * s.out_elems() * prod_from(s.in(1), 1) + s.out_elems(); }
// ConvTranspose scatters each input element into (Cout/groups) * prod(kernel) outputs.
double conv_transpose(const NodeShapes& s) { return 2 * s.in_elems(0) * prod_from(s.in(1), 1) + s.out_elems(); }
// Gemm: 2 * M * K * N (the published convention counts no bias term).
double gemm(const NodeShapes& s) {
  const auto& a = s.in(0);
  if (a.size() != 2) throw ShapeUnknown{"a 2-D first input of Gemm"};
  double k = s.attr_int("transA", 0) ? dim(a, 0) : dim(a, 1);
  return 2 * s.out_elems() * k;
}
// MatMul (numpy broadcasting): 2 * out * K.
double matmul(const NodeShapes& s) {
  const auto& a = s.in(0);
  if (a.empty()) throw ShapeUnknown{"a non-scalar first input of MatMul"};
  return 2 * s.out_elems() * static_cast<double>(a.back());
}
double per_out_1(const NodeShapes& s) { return s.out_elems(); }
double per_out_2(const NodeShapes& s) { return 2 * s.out_elems(); }
double per_out_3(const NodeShapes& s) { return 3 * s.out_elems(); }
double per_out_7(const NodeShapes& s) { return 7 * s.out_elems(); }
double per_in_0(const NodeShapes& s) { return s.in_elems(0); }
// Variadic elementwise (Sum, Max, Min, Mean): one op per extra input per output element.
double variadic(const NodeShapes& s) {
  return s.out_elems() * std::max(1, s.node->input_size() - 1) + (s.node->op_type() == "Mean" ? s.out_elems() : 0);
}
double kernel_elems(const NodeShapes& s) {
  auto k = s.attr_ints("kernel_shape");
  if (k.empty()) throw ShapeUnknown{"the kernel_shape attribute"};
  return std::accumulate(k.begin(), k.end(), 1.0, [](double a, int64_t b) { return a * static_cast<double>(b); });
}
double max_pool(const NodeShapes& s) { return s.out_elems() * std::max(1.0, kernel_elems(s) - 1); }  // compares
double avg_pool(const NodeShapes& s) { return s.out_elems() * kernel_elems(s); }  // adds + 1 divide
double lp_pool(const NodeShapes& s) { return 2 * s.out_elems() * kernel_elems(s); }
double global_avg_pool(const NodeShapes& s) { return s.in_elems(0); }                   // adds + divides
double global_max_pool(const NodeShapes& s) { return s.in_elems(0) - s.out_elems(); }  // compares
double resize(const NodeShapes& s) {
  std::string mode = s.attr_string("mode", "nearest");
  if (mode == "linear" || mode == "bilinear") return 4 * s.out_elems();
  if (mode == "cubic" || mode == "bicubic") return 16 * s.out_elems();
  return 0;  // nearest: a copy
}
// Recurrent layers: X [seq, batch, input], W [dirs, gates*H, input], R [dirs, gates*H, H].
double recurrent(const NodeShapes& s, int gates, double elementwise_per_h) {
  const auto& x = s.in(0);
  const auto& w = s.in(1);
  int layout = static_cast<int>(s.attr_int("layout", 0));
  double seq = layout ? dim(x, 1) : dim(x, 0), batch = layout ? dim(x, 0) : dim(x, 1), input = dim(x, 2);
  double dirs = dim(w, 0), h = dim(w, 1) / gates;
  double per_step = 2 * gates * h * (input + h)  // the two matrix products
                    + gates * h                  // W x + R h
                    + (s.has_input(3) ? 2 * gates * h : 0)  // biases Wb + Rb
                    + elementwise_per_h * h;               // gate activations and the cell update
  return seq * batch * dirs * per_step;
}
double lstm(const NodeShapes& s) { return recurrent(s, 4, 9); }  // 3 sigmoid, 2 tanh, 3 mul, 1 add
double gru(const NodeShapes& s) { return recurrent(s, 3, 8); }   // 2 sigmoid, 1 tanh, r*h, 2 mul, 1 sub, 1 add
double rnn(const NodeShapes& s) { return recurrent(s, 1, 1); }   // tanh

// Einsum: every combination of index values is one multiply-add (2 FLOPs with two or more operands).
double einsum(const NodeShapes& s) {
  std::string eq = s.attr_string("equation", "");
  std::string lhs = eq.substr(0, eq.find("->"));
  std::map<char, double> sizes;
  size_t operand = 0, axis = 0;
  for (char c : lhs) {
    if (c == ',') { ++operand; axis = 0; continue; }
    if (c == ' ') continue;
    if (c == '.') throw ShapeUnknown{"an Einsum equation without ellipsis"};
    const auto& d = s.in(operand);
    sizes[c] = dim(d, axis++);
  }
  double total = 1;
  for (const auto& [c, n] : sizes) total *= n;
  return operand >= 1 ? 2 * total : total;
}

// com.microsoft.Attention: input [B, S, H], weights [H, 3H]: QKV projection, QK^T, softmax, AV.
double ms_attention(const NodeShapes& s) {
  const auto& x = s.in(0);
  const auto& w = s.in(1);
  double b = dim(x, 0), seq = dim(x, 1), hidden = dim(x, 2), qkv = dim(w, 1);
  double heads = static_cast<double>(std::max<int64_t>(1, s.attr_int("num_heads", 1)));
  double v = qkv / 3;
  return 2 * b * seq * hidden * qkv + 2 * b * seq * seq * v * 2 + 4 * b * heads * seq * seq;
}

const std::map<std::string, OpRule>& rules() {
  using K = LayerKind;
  static const std::map<std::string, OpRule> table = [] {
    std::map<std::string, OpRule> t;
    auto add = [&](std::initializer_list<const char*> ops, OpRule r) {
      for (const char* op : ops) t[op] = r;
    };
    add({"Conv", "ConvInteger", "QLinearConv", "com.microsoft.FusedConv"}, {K::conv, ByteRule::io, conv});
    add({"ConvTranspose"}, {K::conv, ByteRule::io, conv_transpose});
    add({"Gemm"}, {K::gemm, ByteRule::io, gemm});
    add({"MatMul", "MatMulInteger", "QLinearMatMul"}, {K::matmul, ByteRule::io, matmul});
    add({"Einsum"}, {K::matmul, ByteRule::io, einsum});
    add({"com.microsoft.Attention"}, {K::attention, ByteRule::io, ms_attention});
    add({"BatchNormalization"}, {K::norm, ByteRule::io, per_out_2});
    add({"LayerNormalization", "InstanceNormalization", "GroupNormalization",
         "com.microsoft.SkipLayerNormalization", "com.microsoft.SimplifiedLayerNormalization"},
        {K::norm, ByteRule::io, per_out_7});
    add({"LpNormalization", "MeanVarianceNormalization"}, {K::norm, ByteRule::io, per_out_3});
    add({"Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Selu", "Celu",
         "Softplus", "Softsign", "Gelu", "Mish", "Erf", "Exp", "Log", "Sqrt", "Reciprocal", "Neg", "Abs", "Clip",
         "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh",
         "ThresholdedRelu", "Shrink", "Not", "IsNaN", "IsInf", "com.microsoft.Gelu", "com.microsoft.FastGelu",
         "com.microsoft.BiasGelu", "com.microsoft.QuickGelu"},
        {K::activation, ByteRule::io, per_out_1});
    add({"Add", "Sub", "Mul", "Div", "Pow", "Mod", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
         "And", "Or", "Xor", "Where", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot"},
        {K::elementwise, ByteRule::io, per_out_1});
    add({"Sum", "Max", "Min", "Mean"}, {K::elementwise, ByteRule::io, variadic});
    add({"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"}, {K::elementwise, ByteRule::io, per_out_2});
    add({"Softmax", "LogSoftmax"}, {K::softmax, ByteRule::io, per_out_3});
    add({"Hardmax"}, {K::softmax, ByteRule::io, per_out_1});
    add({"MaxPool"}, {K::pool, ByteRule::io, max_pool});
    add({"AveragePool"}, {K::pool, ByteRule::io, avg_pool});
    add({"LpPool"}, {K::pool, ByteRule::io, lp_pool});
    add({"GlobalAveragePool", "GlobalLpPool"}, {K::pool, ByteRule::io, global_avg_pool});
    add({"GlobalMaxPool", "MaxRoiPool", "RoiAlign"}, {K::pool, ByteRule::io, global_max_pool});
    add({"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
         "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin", "CumSum"},
        {K::reduce, ByteRule::io, per_in_0});
    add({"TopK"}, {K::reduce, ByteRule::io, per_in_0});
    add({"Resize", "Upsample"}, {K::data_movement, ByteRule::io, resize});
    add({"LSTM"}, {K::rnn, ByteRule::io, lstm});
    add({"GRU"}, {K::rnn, ByteRule::io, gru});
    add({"RNN"}, {K::rnn, ByteRule::io, rnn});
    add({"Transpose", "Concat", "Split", "Slice", "GatherElements", "GatherND", "ScatterND", "ScatterElements",
         "Scatter", "Pad", "Expand", "Tile", "DepthToSpace", "SpaceToDepth", "Cast", "CastLike", "OneHot", "Trilu",
         "Compress", "ReverseSequence", "ConstantOfShape", "Range", "NonZero", "EyeLike"},
        {K::data_movement, ByteRule::io, nullptr});
    add({"Gather"}, {K::data_movement, ByteRule::gather_rows, nullptr});
    add({"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Shape", "Size", "Constant",
         "Optional", "OptionalGetElement", "OptionalHasElement"},
        {K::view, ByteRule::none, nullptr});
    return t;
  }();
  return table;
}

}  // namespace

const OpRule* find_op_rule(const std::string& qualified_op_type) {
  auto it = rules().find(qualified_op_type);
  return it == rules().end() ? nullptr : &it->second;
}

std::vector<std::string> known_op_types() {
  std::vector<std::string> names;
  for (const auto& [name, rule] : rules()) names.push_back(name);
  return names;
}

}  // namespace modewise::roofline::detail
