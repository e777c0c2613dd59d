// Counting rules on small graphs built here with the ONNX protobuf API (no fixture files).
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

#include "modewise/roofline/onnx_analyzer.h"
#include "modewise/util/error.h"

namespace modewise::roofline {
namespace {

struct GraphBuilder {
  onnx::ModelProto model;
  onnx::GraphProto* g;
  GraphBuilder() {
    model.set_ir_version(8);
    model.add_opset_import()->set_version(17);
    g = model.mutable_graph();
    g->set_name("test");
  }
  void input(const std::string& name, std::vector<int64_t> dims, const std::string& batch_param = "") {
    auto* vi = g->add_input();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (size_t i = 0; i < dims.size(); ++i) {
      auto* d = tt->mutable_shape()->add_dim();
      if (i == 0 && !batch_param.empty()) d->set_dim_param(batch_param);
      else d->set_dim_value(dims[i]);
    }
  }
  void weight(const std::string& name, std::vector<int64_t> dims) {  // stripped: dims only, external data
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    t->set_data_location(onnx::TensorProto::EXTERNAL);
    auto* e = t->add_external_data();
    e->set_key("location");
    e->set_value("absent.weights");
  }
  onnx::NodeProto* node(const std::string& op, std::vector<std::string> in, std::vector<std::string> out,
                        const std::string& domain = "") {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_domain(domain);
    n->set_name(op + "_" + std::to_string(g->node_size()));
    for (auto& i : in) n->add_input(i);
    for (auto& o : out) n->add_output(o);
    return n;
  }
  void output(const std::string& name, std::vector<int64_t> dims) {
    auto* vi = g->add_output();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }
  ModelAnalysis analyze(int batch = 1, bool training = false) {
    return analyze_onnx_bytes(model.SerializeAsString(), "built.onnx", {batch, training});
  }
};

void attr_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void attr_ints(onnx::NodeProto* n, const std::string& name, std::vector<int64_t> v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto x : v) a->add_ints(x);
}

TEST(OnnxOps, ConvFollowsThePublishedFormula) {
  GraphBuilder b;
  b.input("x", {1, 8, 16, 16});
  b.weight("w", {4, 8, 3, 3});
  b.weight("bias", {4});
  auto* n = b.node("Conv", {"x", "w", "bias"}, {"y"});
  attr_ints(n, "pads", {1, 1, 1, 1});
  b.output("y", {1, 4, 16, 16});
  ModelAnalysis a = b.analyze();
  ASSERT_EQ(a.layers.size(), 1u);
  double out = 4 * 16 * 16;
  EXPECT_DOUBLE_EQ(a.flops, 2 * out * 8 * 9 + out);
  EXPECT_DOUBLE_EQ(a.weight_bytes, 4.0 * (4 * 8 * 9 + 4));
  EXPECT_DOUBLE_EQ(a.activation_bytes, 4.0 * (8 * 16 * 16 + out));
  EXPECT_EQ(a.parameters, 4 * 8 * 9 + 4);
  EXPECT_EQ(a.layers[0].output_shape, (std::vector<int64_t>{1, 4, 16, 16}));
  // batch 8: FLOPs and activations x8, weights once
  ModelAnalysis a8 = b.analyze(8);
  EXPECT_DOUBLE_EQ(a8.flops, 8 * a.flops);
  EXPECT_DOUBLE_EQ(a8.weight_bytes, a.weight_bytes);
  EXPECT_DOUBLE_EQ(a8.activation_bytes, 8 * a.activation_bytes);
  // training: 3x everything
  ModelAnalysis t = b.analyze(1, true);
  EXPECT_DOUBLE_EQ(t.flops, 3 * a.flops);
  EXPECT_DOUBLE_EQ(t.bytes(), 3 * a.bytes());
}

TEST(OnnxOps, SymbolicBatchIsOneSample) {
  GraphBuilder b;
  b.input("x", {1, 64}, "N");
  b.weight("w", {64, 32});
  b.node("MatMul", {"x", "w"}, {"y"});
  b.node("Relu", {"y"}, {"z"});
  b.output("z", {1, 32});
  ModelAnalysis a = b.analyze(2);
  EXPECT_EQ(a.file_batch, 1);
  EXPECT_DOUBLE_EQ(a.flops, 2 * (2.0 * 64 * 32 + 32));
  EXPECT_EQ(a.layers[0].kind, LayerKind::matmul);
}

TEST(OnnxOps, FixedBatchInTheFileIsDividedOut) {
  GraphBuilder b;
  b.input("x", {4, 10});
  b.node("Relu", {"x"}, {"y"});
  b.output("y", {4, 10});
  ModelAnalysis a = b.analyze(1);
  EXPECT_EQ(a.file_batch, 4);
  EXPECT_DOUBLE_EQ(a.flops, 10);
}

TEST(OnnxOps, OtherSymbolicDimsAreAnError) {
  GraphBuilder b;
  b.input("x", {1, 10});
  b.g->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(1)->set_dim_param("seq");
  b.node("Relu", {"x"}, {"y"});
  b.output("y", {1, 10});
  try {
    b.analyze();
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("symbolic ('seq')"), std::string::npos) << e.what();
  }
}

TEST(OnnxOps, UnknownOpsAreListedNotSkipped) {
  GraphBuilder b;
  b.input("x", {1, 10});
  b.node("Relu", {"x"}, {"y"});
  auto* op = b.model.add_opset_import();
  op->set_domain("com.example");
  op->set_version(1);
  b.node("FancyOp", {"y"}, {"z"}, "com.example");
  b.output("z", {1, 10});
  ModelAnalysis a = b.analyze();
  EXPECT_FALSE(a.complete());
  ASSERT_EQ(a.unknown_ops.count("com.example.FancyOp"), 1u);
  EXPECT_EQ(a.unknown_ops.at("com.example.FancyOp"), 1);
  EXPECT_FALSE(a.layers[1].counted);
  EXPECT_EQ(a.flops, 10);
}

TEST(OnnxOps, AttentionPatternIsTagged) {
  GraphBuilder b;  // scores = softmax(Q K^T / 8); out = scores V, with Q, K, V activations
  b.input("q", {1, 4, 16, 8});
  b.input("k", {1, 4, 8, 16});
  b.input("v", {1, 4, 16, 8});
  b.weight("scale", {});
  b.node("MatMul", {"q", "k"}, {"s"});
  b.node("Div", {"s", "scale"}, {"s2"});
  b.node("Softmax", {"s2"}, {"p"});
  b.node("MatMul", {"p", "v"}, {"o"});
  b.output("o", {1, 4, 16, 8});
  ModelAnalysis a = b.analyze();
  EXPECT_EQ(a.layers[0].kind, LayerKind::attention);
  EXPECT_EQ(a.layers[2].kind, LayerKind::attention);
  EXPECT_EQ(a.layers[3].kind, LayerKind::attention);
  EXPECT_DOUBLE_EQ(a.layers[0].flops, 2.0 * 4 * 16 * 16 * 8);
  EXPECT_DOUBLE_EQ(a.layers[2].flops, 3.0 * 4 * 16 * 16);
}

TEST(OnnxOps, RecurrentLayers) {
  GraphBuilder b;  // GRU: seq 5, batch 1, input 8, hidden 16
  b.input("x", {5, 1, 8});
  b.weight("W", {1, 48, 8});
  b.weight("R", {1, 48, 16});
  b.weight("B", {1, 96});
  auto* n = b.node("GRU", {"x", "W", "R", "B"}, {"y"});
  attr_int(n, "hidden_size", 16);
  b.output("y", {5, 1, 1, 16});
  ModelAnalysis a = b.analyze();
  double h = 16, per_step = 2 * 3 * h * (8 + h) + 3 * h + 2 * 3 * h + 8 * h;
  EXPECT_DOUBLE_EQ(a.flops, 5 * per_step);
  EXPECT_EQ(a.layers[0].kind, LayerKind::rnn);
}

TEST(OnnxOps, PoolsCountTheirWindows) {
  GraphBuilder b;
  b.input("x", {1, 2, 8, 8});
  auto* n = b.node("MaxPool", {"x"}, {"m"});
  attr_ints(n, "kernel_shape", {2, 2});
  attr_ints(n, "strides", {2, 2});
  b.node("GlobalAveragePool", {"m"}, {"g"});
  b.output("g", {1, 2, 1, 1});
  ModelAnalysis a = b.analyze();
  EXPECT_DOUBLE_EQ(a.layers[0].flops, 2 * 4 * 4 * 3);  // (k - 1) compares per output
  EXPECT_DOUBLE_EQ(a.layers[1].flops, 2 * 4 * 4);      // one add per input element
}

TEST(OnnxOps, ConstantSubgraphsAndViewsCostNothing) {
  GraphBuilder b;
  b.input("x", {1, 6});
  b.weight("w", {6});
  b.node("Identity", {"w"}, {"w2"});  // folded constant
  b.node("Mul", {"x", "w2"}, {"y"});
  b.node("Shape", {"y"}, {"s"});
  b.node("Reshape", {"y", "s"}, {"z"});
  b.output("z", {1, 6});
  ModelAnalysis a = b.analyze();
  EXPECT_FALSE(a.layers[0].is_kernel());
  EXPECT_TRUE(a.layers[1].is_kernel());
  EXPECT_DOUBLE_EQ(a.layers[1].weight_bytes, 24);
  EXPECT_FALSE(a.layers[3].is_kernel());
  EXPECT_EQ(a.kernels(), 1);
}

TEST(OnnxOps, UndefinedInputIsAnError) {
  GraphBuilder b;
  b.input("x", {1, 6});
  b.node("Add", {"x", "ghost"}, {"y"});
  b.output("y", {1, 6});
  try {
    b.analyze();
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'ghost'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace modewise::roofline
