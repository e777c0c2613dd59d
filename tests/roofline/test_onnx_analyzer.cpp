// The ONNX analyzer against the committed fixtures (tests/fixtures/onnx, made by scripts/export_onnx_fixtures.py).
#include <gtest/gtest.h>

#include <string>

#include "modewise/roofline/onnx_analyzer.h"
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
