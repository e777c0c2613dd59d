// PowerMode, modes(device, grid) and mode(device, name): device/power_mode.h, device/grid.h.
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "bindings.h"
#include "modewise/device/grid.h"
#include "modewise/device/power_mode.h"
#include "modewise/util/strings.h"

namespace modewise::python {

namespace {
std::string mode_repr(const device::PowerMode& m) {
  return fmt::format("PowerMode(cores={}, cpu_mhz={}, gpu_mhz={}, emc_mhz={})", m.cores,
                     util::format_number(m.cpu_mhz), util::format_number(m.gpu_mhz), util::format_number(m.emc_mhz));
}
}  // namespace

void bind_modes(py::module_& m) {
  py::class_<device::PowerMode>(m, "PowerMode", R"(A power mode: online CPU cores and the CPU, GPU and memory (EMC) clocks in MHz.

Immutable, hashable; equal when the clocks agree to 1 kHz.

    >>> m = modewise.PowerMode(12, 2201.6, 1300.5, 3199)
    >>> m.key()
    '12c/2201.6/1300.5/3199'
)")
      .def(py::init([](int cores, double cpu_mhz, double gpu_mhz, double emc_mhz) {
             return device::PowerMode{cores, cpu_mhz, gpu_mhz, emc_mhz};
           }),
           py::arg("cores"), py::arg("cpu_mhz"), py::arg("gpu_mhz"), py::arg("emc_mhz"))
      .def_readonly("cores", &device::PowerMode::cores)
      .def_readonly("cpu_mhz", &device::PowerMode::cpu_mhz)
      .def_readonly("gpu_mhz", &device::PowerMode::gpu_mhz)
      .def_readonly("emc_mhz", &device::PowerMode::emc_mhz)
      .def("key", &device::PowerMode::key, "'12c/2201.6/1300.5/3199': cores, CPU, GPU, EMC MHz (the store's key)")
      .def("describe", &device::PowerMode::describe, "'12 cores, CPU 2201.6 MHz, GPU 1300.5 MHz, EMC 3199 MHz'")
      .def("__repr__", &mode_repr)
      .def("__eq__", [](const device::PowerMode& a, const device::PowerMode& b) { return a == b; }, py::is_operator())
      .def("__ne__", [](const device::PowerMode& a, const device::PowerMode& b) { return !(a == b); },
           py::is_operator())
      .def("__lt__", [](const device::PowerMode& a, const device::PowerMode& b) { return a < b; }, py::is_operator())
      .def("__hash__", [](const device::PowerMode& a) { return device::PowerModeHash{}(a); })
      .def(py::pickle([](const device::PowerMode& a) { return py::make_tuple(a.cores, a.cpu_mhz, a.gpu_mhz, a.emc_mhz); },
                      [](py::tuple t) {
                        return device::PowerMode{t[0].cast<int>(), t[1].cast<double>(), t[2].cast<double>(),
                                                 t[3].cast<double>()};
                      }));

  m.def(
      "modes",
      [](const std::string& device, const std::string& grid, const std::string& sysfs_root) {
        return device::grid_modes(resolve_device_arg(device, sysfs_root), grid);
      },
      py::arg("device") = "orin-agx", py::arg("grid") = "full", py::arg("sysfs_root") = "/",
      R"(Every power mode of a grid of a device, ordered by cores, CPU, GPU, EMC (as `modewise modes`).

device: orin-agx, xavier-agx, orin-nano, a device .json, sim:<device>, or jetson (discovered under sysfs_root).
grid: full, powertrain, fulcrum (as the device offers).

    >>> len(modewise.modes("orin-agx", "powertrain"))
    4368
)");
  m.def(
      "mode",
      [](const std::string& device, const std::string& name, const std::string& sysfs_root) {
        return device::named_mode(resolve_device_arg(device, sysfs_root), name);
      },
      py::arg("device"), py::arg("name"), py::arg("sysfs_root") = "/",
      R"(A named mode of a device: "maxn", or an nvpmodel preset by name ("MODE_30W") or id ("preset:2").

    >>> modewise.mode("orin-agx", "maxn")
    PowerMode(cores=12, cpu_mhz=2201.6, gpu_mhz=1300.5, emc_mhz=3199)
)");
}

}  // namespace modewise::python
