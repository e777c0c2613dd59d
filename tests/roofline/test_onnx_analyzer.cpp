// The ONNX analyzer against the committed fixtures (tests/fixtures/onnx, made by scripts/export_onnx_fixtures.py).
#include <gtest/gtest.h>

#include <string>

#include "modewise/roofline/onnx_analyzer.h"
#include <nlohmann/json.hpp>

#include "modewise/util/error.h"

namespace modewise::roofline {
namespace {

std::string fixture(const std::string& name) { return std::string(MODEWISE_SOURCE_DIR) + "/tests/fixtures/onnx/" + name; }

ModelAnalysis analyze(const std::string& name, int batch = 1, bool training = false) {
  return analyze_onnx_file(fixture(name), AnalyzeOptions{batch, training});
}

// Published per-sample counts for torchvision ResNet-50 at 224x224 (Pagoda, FP32; ../shared/reference/FACTS.md §4).
TEST(OnnxAnalyzer, ResNet50MatchesPublishedCountsAtBatch1) {
  ModelAnalysis a = analyze("resnet50.onnx", 1);
  EXPECT_TRUE(a.complete());
  EXPECT_NEAR(a.flops / 1e9, 8.2063, 8.2063 * 0.01);
  EXPECT_NEAR(a.bytes() / 1e6, 336.7, 336.7 * 0.01);
}

TEST(OnnxAnalyzer, ResNet50MatchesPublishedCountsAtBatch32) {
  ModelAnalysis a = analyze("resnet50.onnx", 32);
  EXPECT_NEAR(a.flops / 1e9, 262.60, 262.60 * 0.01);
  EXPECT_NEAR(a.bytes() / 1e6, 7611, 7611 * 0.01);
}

}  // namespace
}  // namespace modewise::roofline

namespace modewise::roofline {
namespace {

TEST(OnnxAnalyzer, EveryFixtureIsFullyCounted) {
  for (const char* name : {"resnet50.onnx", "resnet18.onnx", "mobilenetv3.onnx", "yolov8n.onnx", "bert-base.onnx",
                           "lstm.onnx"}) {
    ModelAnalysis a = analyze(name);
    EXPECT_TRUE(a.complete()) << name;
    EXPECT_GT(a.kernels(), 0) << name;
    EXPECT_GT(a.flops, 0) << name;
  }
}

TEST(OnnxAnalyzer, ParameterCountsFromStrippedWeights) {
  EXPECT_EQ(analyze("resnet50.onnx").parameters, 25530472);  // BN folded into conv biases
  EXPECT_NEAR(analyze("resnet18.onnx").parameters / 1e6, 11.7, 0.05);
  EXPECT_NEAR(analyze("mobilenetv3.onnx").parameters / 1e6, 5.47, 0.05);
  EXPECT_NEAR(analyze("bert-base.onnx").parameters / 1e6, 109.4, 0.5);
}

// Published per-sample FLOPs of the other models (2 x MACs plus small terms): ResNet-18 1.82 GMAC,
// MobileNetV3-Large 0.22 GMAC, YOLOv8n 8.7 GFLOP at 640, BERT-base ~70.7 GFLOP at sequence 384.
TEST(OnnxAnalyzer, OtherModelsMatchTheirPublishedSizes) {
  EXPECT_NEAR(analyze("resnet18.onnx").flops / 1e9, 3.64, 0.04);
  EXPECT_NEAR(analyze("mobilenetv3.onnx").flops / 1e9, 0.44, 0.02);
  EXPECT_NEAR(analyze("yolov8n.onnx").flops / 1e9, 8.7, 0.2);
  EXPECT_NEAR(analyze("bert-base.onnx").flops / 1e9, 70.7, 1.0);
}

TEST(OnnxAnalyzer, TransformerAttentionAndEmbeddings) {
  ModelAnalysis a = analyze("bert-base.onnx");
  int attention = 0;
  for (const auto& l : a.layers) attention += l.kind == LayerKind::attention;
  EXPECT_EQ(attention, 12 * 3);  // QK^T, softmax, x V in each of 12 layers
  // embedding lookups read only the gathered rows: far less than the 94 MB word table
  double gather_weights = 0;
  for (const auto& l : a.layers)
    if (l.op_type == "Gather") gather_weights += l.weight_bytes;
  EXPECT_LT(gather_weights, 5e6);
}

TEST(OnnxAnalyzer, LstmUsesTheRecurrentRule) {
  ModelAnalysis a = analyze("lstm.onnx");
  int rnn = 0;
  for (const auto& l : a.layers)
    if (l.kind == LayerKind::rnn) {
      ++rnn;
      const double h = 256, per_step = 8 * h * (256 + h) + 4 * h + 8 * h + 9 * h;
      EXPECT_DOUBLE_EQ(l.flops, 32 * per_step);
    }
  EXPECT_EQ(rnn, 2);
  EXPECT_EQ(a.file_batch, 1);  // the leading dim of an RNN input is the sequence, not the batch
}

TEST(OnnxAnalyzer, TrainingIsThreeTimesInference) {
  ModelAnalysis i = analyze("resnet18.onnx", 4), t = analyze("resnet18.onnx", 4, true);
  EXPECT_DOUBLE_EQ(t.flops, 3 * i.flops);
  EXPECT_DOUBLE_EQ(t.bytes(), 3 * i.bytes());
}

TEST(OnnxAnalyzer, JsonHasTheDocumentedKeys) {
  auto j = analysis_to_json(analyze("resnet18.onnx"), true);
  for (const char* key : {"flops", "bytes", "arithmetic_intensity", "layers", "parameters", "unknown_ops"})
    EXPECT_TRUE(j.contains(key)) << key;
  ASSERT_FALSE(j["layers"].empty());
  EXPECT_TRUE(j["layers"][0].contains("op_type"));
}

}  // namespace
}  // namespace modewise::roofline
