// The pieces of the extension modewise._core, one file per area (python/bindings/*.cpp), and what they share.
#pragma once
#include <string>

#include <pybind11/pybind11.h>

#include "modewise/device/device_spec.h"

namespace modewise::python {

namespace py = pybind11;

void bind_errors(py::module_& m);   // errors.cpp: modewise.Error / UsageError
void bind_modes(py::module_& m);    // modes.cpp: PowerMode, modes(), mode()
void bind_control(py::module_& m);  // control.cpp: the ModeController behind modewise.apply()
void bind_monitor(py::module_& m);  // monitor.cpp: Monitor, Measurement
void bind_model(py::module_& m);    // model.cpp: Model (predict, pareto, recommend)
void bind_analyze(py::module_& m);  // analyze.cpp: analyze()

// A device argument as the CLI reads it (cli/device_arg.cpp): orin-agx, xavier-agx, orin-nano, a device .json,
// sim:<device>, replay:<file.csv>, jetson (discovered under sysfs_root) or nvml:<index>.
device::DeviceSpec resolve_device_arg(const std::string& arg, const std::string& sysfs_root);

}  // namespace modewise::python
