// Built instead of onnx_analyzer.cpp, onnx_graph.cpp and op_costs.cpp when modewise is configured without ONNX
// (MODEWISE_WITH_ONNX=OFF, or AUTO without libonnx-dev): the commands that read ONNX models (analyze,
// roofline --model, tune-inference, eval roofline) reach these entry points and stop with one clear error, exit 1.
#include "modewise/roofline/onnx_analyzer.h"
#include "modewise/util/error.h"

namespace modewise::roofline {

namespace {
[[noreturn]] void no_onnx() { throw Error("built without ONNX support (install libonnx-dev and rebuild)"); }
}  // namespace

ModelAnalysis analyze_onnx_bytes(std::string_view, const std::string&, const AnalyzeOptions&) { no_onnx(); }

ModelAnalysis analyze_onnx_file(const std::string&, const AnalyzeOptions&) { no_onnx(); }

}  // namespace modewise::roofline
