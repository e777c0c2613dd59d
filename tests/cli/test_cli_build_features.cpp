// Optional components at the command line (MODEWISE_WITH_<NAME>, the configure summary): a command whose component
// was left out stops with one clear error and exit 1; the core commands work without it.
#include <gtest/gtest.h>

#include <string>

#include "build_features.h"
#include "cli/run_cli.h"

namespace {

using modewise::test::run_cli;

const std::string kNoOnnx = "modewise: error: built without ONNX support (install libonnx-dev and rebuild)";

std::string model(const std::string& name) {
  return "'" + std::string(MODEWISE_SOURCE_DIR) + "/tests/fixtures/onnx/" + name + "'";
}

void expect_no_onnx_error(const std::string& args) {
  auto r = run_cli(args);
  EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.err;
  EXPECT_NE(r.err.find(kNoOnnx), std::string::npos) << args << "\n" << r.err;
  EXPECT_EQ(r.out, "") << args;
}

TEST(CliBuildFeatures, CommandsThatReadOnnxModelsSayTheyWereBuiltWithoutIt) {
  if (MODEWISE_HAVE_ONNX) GTEST_SKIP() << "built with ONNX: the analyze tests in test_cli_roofline.cpp cover it";
  expect_no_onnx_error("analyze " + model("resnet50.onnx"));
  expect_no_onnx_error("analyze " + model("resnet50.onnx") + " --json --per-layer");
  expect_no_onnx_error("roofline --device sim:orin-agx --modes maxn --model " + model("mobilenetv3.onnx"));
  expect_no_onnx_error("tune-inference --device sim:orin-agx --model " + model("resnet50.onnx"));
  // --help and usage errors do not depend on what was built.
  EXPECT_EQ(run_cli("analyze --help").exit_code, 0);
  EXPECT_EQ(run_cli("analyze").exit_code, 2);
}

}  // namespace
