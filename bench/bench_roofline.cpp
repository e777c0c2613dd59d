// Roofline benchmarks: ONNX analysis (acceptance: ResNet-50 under 100 ms), roofline calibration of one mode on
// the emulator, and prediction over the 441-mode fulcrum grid.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "modewise/device/device_spec.h"
#include "modewise/device/grid.h"
#include "modewise/roofline/onnx_analyzer.h"
#include "modewise/roofline/predict.h"
#include "modewise/roofline/roofline.h"
#include "modewise/sim/emulator.h"

namespace {

// The repository root from this file's path (bench/ has no MODEWISE_SOURCE_DIR definition).
std::string fixture_bytes(const std::string& name) {
  auto root = std::filesystem::path(__FILE__).parent_path().parent_path();
  std::ifstream in(root / "tests/fixtures/onnx" / name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void BM_AnalyzeOnnx(benchmark::State& state, const char* name) {
  std::string bytes = fixture_bytes(name);
  for (auto _ : state) {
    auto a = modewise::roofline::analyze_onnx_bytes(bytes, name, {1, false});
    benchmark::DoNotOptimize(a.flops);
  }
  state.SetLabel(name);
}
BENCHMARK_CAPTURE(BM_AnalyzeOnnx, resnet50, "resnet50.onnx")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_AnalyzeOnnx, bert_base, "bert-base.onnx")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_AnalyzeOnnx, yolov8n, "yolov8n.onnx")->Unit(benchmark::kMillisecond);

void BM_CalibrateMode(benchmark::State& state) {
  auto spec = modewise::device::builtin_device("orin-agx");
  auto backend = modewise::sim::make_sim_backend(spec, 1);
  for (auto _ : state) {
    auto r = modewise::roofline::calibrate_mode(*backend, spec.maxn());
    benchmark::DoNotOptimize(r.peak_gflops);
  }
}
BENCHMARK(BM_CalibrateMode)->Unit(benchmark::kMillisecond);

void BM_PredictFulcrumGrid(benchmark::State& state) {
  auto spec = modewise::device::builtin_device("orin-agx");
  std::vector<modewise::roofline::ModeRoofline> rs;
  for (const auto& m : modewise::device::grid_modes(spec, "fulcrum")) rs.push_back(modewise::roofline::nominal_roofline(spec, m));
  auto a = modewise::roofline::analyze_onnx_bytes(fixture_bytes("resnet50.onnx"), "resnet50.onnx", {16, false});
  auto c = modewise::roofline::default_calibration(a);
  for (auto _ : state) {
    auto t = modewise::roofline::tune_inference(rs, a, c, 0.05, spec.maxn());
    benchmark::DoNotOptimize(t.chosen);
  }
}
BENCHMARK(BM_PredictFulcrumGrid)->Unit(benchmark::kMillisecond);

}  // namespace
