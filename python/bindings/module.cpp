// modewise._core: the C++ library for Python (docs/PYTHON.md). The package modewise (python/modewise/) re-exports
// it with the pure-Python parts (Probe, apply(), numpy conversion).
#include "bindings.h"
#include "modewise/profile/backends.h"
#include "modewise/util/strings.h"

namespace modewise::python {

device::DeviceSpec resolve_device_arg(const std::string& arg, const std::string& sysfs_root) {
  if (util::starts_with(arg, "sim:")) return device::resolve_device(arg.substr(4));
  if (util::starts_with(arg, "replay:") || arg == "jetson" || util::starts_with(arg, "nvml:")) {
    profile::BackendOptions opts;
    opts.sysfs_root = sysfs_root;
    return profile::open_backend(arg, opts)->spec();
  }
  return device::resolve_device(arg);
}

}  // namespace modewise::python

PYBIND11_MODULE(_core, m) {
  using namespace modewise::python;
  m.doc() = "The modewise C++ library (use the package `modewise`, which re-exports it).";
  m.attr("__version__") = MODEWISE_VERSION;
  m.attr("have_onnx") = bool(MODEWISE_HAVE_ONNX);
  bind_errors(m);
  bind_modes(m);
  bind_control(m);
  bind_monitor(m);
  bind_model(m);
  bind_analyze(m);
}
