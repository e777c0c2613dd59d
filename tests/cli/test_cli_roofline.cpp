// End-to-end: modewise analyze, roofline, tune-inference and eval roofline (numbers are emulated: sim:orin-agx).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/run_cli.h"
#include "build_features.h"

namespace {

using modewise::test::run_cli;

std::string fixture(const std::string& name) {
  std::string path = "'";  // appended, not operator+ of temporaries: g++ 12 -Wrestrict false positive
  path += MODEWISE_SOURCE_DIR;
  path += "/tests/fixtures/onnx/";
  path += name;
  path += '\'';
  return path;
}

TEST(CliRoofline, AnalyzeResNet50Json) {
  MODEWISE_REQUIRE_ONNX();
  auto r = run_cli("analyze " + fixture("resnet50.onnx") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["flops"].get<double>() / 1e9, 8.2063, 0.082);
  EXPECT_NEAR(j["bytes"].get<double>() / 1e6, 336.7, 3.4);
  EXPECT_GT(j["arithmetic_intensity"].get<double>(), 20);
  EXPECT_EQ(j["layers"].size(), 122u);
}

TEST(CliRoofline, AnalyzeBatch32AndPerLayerTable) {
  MODEWISE_REQUIRE_ONNX();
  auto r = run_cli("analyze " + fixture("resnet50.onnx") + " --batch-size 32 --per-layer");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("262.60"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("flop_per_byte"), std::string::npos);
  EXPECT_NE(r.out.find("Conv"), std::string::npos);
}

TEST(CliRoofline, AnalyzeErrors) {
  MODEWISE_REQUIRE_ONNX();
  auto missing = run_cli("analyze /nonexistent/model.onnx");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("modewise: error: cannot read '/nonexistent/model.onnx'"), std::string::npos);
  auto path = std::filesystem::temp_directory_path() / ("mw_bad_" + std::to_string(::getpid()) + ".onnx");
  std::ofstream(path) << "definitely not protobuf \xff\xff\xff\xff";
  auto bad = run_cli("analyze '" + path.string() + "'");
  std::filesystem::remove(path);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find(path.string()), std::string::npos) << bad.err;
  EXPECT_EQ(run_cli("analyze " + fixture("lstm.onnx") + " --batch-size 0").exit_code, 2);
  EXPECT_EQ(run_cli("analyze").exit_code, 2);
}

TEST(CliRoofline, NominalRooflineJson) {
  auto r = run_cli("roofline --device orin-agx --nominal --modes maxn --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["modes"].size(), 1u);
  EXPECT_NEAR(j["modes"][0]["peak_gflops"].get<double>(), 5326.8, 1);
  EXPECT_NEAR(j["modes"][0]["bandwidth_gbps"].get<double>(), 204.7, 0.1);
}

TEST(CliRoofline, CalibratedRooflinesWithModelSvg) {
  MODEWISE_REQUIRE_ONNX();
  auto svg = std::filesystem::temp_directory_path() / ("mw_roof_" + std::to_string(::getpid()) + ".svg");
  auto r = run_cli("roofline --device sim:orin-agx --modes maxn,MODE_30W --model " + fixture("mobilenetv3.onnx") +
                   " --svg '" + svg.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("emulated"), std::string::npos);
  EXPECT_NE(r.out.find("eps_flop_pj"), std::string::npos);
  std::string text = modewise::test::slurp(svg);
  std::filesystem::remove(svg);
  EXPECT_NE(text.find("<svg"), std::string::npos);
  EXPECT_NE(text.find("FLOP/byte"), std::string::npos);
  EXPECT_NE(text.find("GFLOP/s"), std::string::npos);
}

TEST(CliRoofline, TuneInferenceJson) {
  MODEWISE_REQUIRE_ONNX();
  auto r = run_cli("tune-inference --device sim:orin-agx --model " + fixture("resnet50.onnx") +
                   " --batch-size 16 --max-slowdown 0.05 --verify --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["modes"].get<int>(), 441);  // the fulcrum grid
  EXPECT_GT(j["calibration"]["anchors"].get<int>(), 3);
  EXPECT_GE(j["predicted_energy_saving"].get<double>(), 0);
  EXPECT_LE(j["chosen"]["time_ms"].get<double>(), 1.05 * j["fastest"]["time_ms"].get<double>() + 1e-9);
  EXPECT_GT(j["verify"]["energy_saving"].get<double>(), 0);
  EXPECT_NE(j["provenance"].get<std::string>().find("emulated"), std::string::npos);
  EXPECT_EQ(run_cli("tune-inference --model " + fixture("resnet50.onnx") + " --max-slowdown -1").exit_code, 2);
}

TEST(CliRoofline, EvalRooflineOneCase) {
  MODEWISE_REQUIRE_ONNX();
  auto r = run_cli("eval roofline --workloads yolov8n --batch-sizes 16 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["cases"].size(), 1u);
  EXPECT_TRUE(j["cases"][0]["within_slowdown"].get<bool>());
  EXPECT_LT(j["cases"][0]["gap_pp"].get<double>(), 2.0);
}

}  // namespace
