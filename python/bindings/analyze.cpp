// modewise.analyze(): FLOPs and bytes of an ONNX model (roofline/onnx_analyzer.h), as `modewise analyze --json`.
// In a build without ONNX it raises modewise.Error "built without ONNX support ..." like the CLI.
#include <nlohmann/json.hpp>

#include "bindings.h"
#include "modewise/roofline/onnx_analyzer.h"

namespace modewise::python {

void bind_analyze(py::module_& m) {
  m.def(
      "_analyze_json",
      [](const std::string& path, int batch_size, bool training, bool per_layer) {
        roofline::AnalyzeOptions o;
        o.batch_size = batch_size;
        o.training = training;
        roofline::ModelAnalysis a;
        {
          py::gil_scoped_release release;  // shape inference runs in a child process
          a = roofline::analyze_onnx_file(path, o);
        }
        return roofline::analysis_to_json(a, per_layer).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      },
      py::arg("onnx_path"), py::arg("batch_size") = 1, py::arg("training") = false, py::arg("per_layer") = false);
}

}  // namespace modewise::python
