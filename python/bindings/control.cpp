// The ModeController behind modewise.apply() (python/modewise/__init__.py): control/mode_controller.h. Saves the
// board's state before the first write (state file, crash recovery as for `modewise apply`) and restores it.
#include <cstdio>
#include <memory>

#include <pybind11/stl.h>

#include "bindings.h"
#include "modewise/control/board.h"
#include "modewise/control/mode_controller.h"
#include "modewise/device/grid.h"

namespace modewise::python {

namespace {

py::list writes_to_list(const std::vector<control::KnobWrite>& writes) {
  py::list out;
  for (const auto& w : writes) {
    py::dict d;
    d["file"] = w.file;
    d["value"] = w.value;
    d["what"] = w.what;
    out.append(d);
  }
  return out;
}

class Controller {
 public:
  Controller(const std::string& sysfs_root, const std::string& state_dir) {
    control::ControlOptions o;
    o.sysfs_root = sysfs_root;
    o.state_dir = state_dir;
    o.log = [](const std::string& msg) { std::fprintf(stderr, "modewise: %s\n", msg.c_str()); };
    controller_ = std::make_unique<control::ModeController>(control::discover_board(telemetry::SysfsRoot(sysfs_root)), o);
  }
  device::PowerMode named(const std::string& name) const {
    return device::named_mode(control::board_spec(controller_->board()), name);
  }
  py::list apply(const device::PowerMode& mode) { return writes_to_list(controller_->apply(mode)); }
  py::list restore() { return writes_to_list(controller_->restore()); }
  device::PowerMode current_mode() const { return controller_->current_mode(); }
  bool holds_state() const { return controller_->holds_state(); }
  std::string state_file() const { return controller_->store().path(); }
  std::string board_model() const { return controller_->board().model; }

 private:
  std::unique_ptr<control::ModeController> controller_;
};

}  // namespace

void bind_control(py::module_& m) {
  py::class_<Controller>(m, "ModeController", R"(Sets power modes on a real Jetson (or a fake tree) and restores them.

Prefer the context manager modewise.apply(mode). Writing clocks needs root; the state before the first apply() is
saved to a state file, so a crashed process's board is restored by the next modewise start (docs/HARDWARE.md).

    >>> c = modewise.ModeController(sysfs_root="/")
    >>> c.apply(c.named("maxn")); ...; c.restore()
)")
      .def(py::init<const std::string&, const std::string&>(), py::arg("sysfs_root") = "/", py::arg("state_dir") = "")
      .def("named", &Controller::named, py::arg("name"), "A named mode of this board (maxn, an nvpmodel preset)")
      .def("apply", &Controller::apply, py::arg("mode"), "Set a mode; returns the writes done (file, value, what)")
      .def("restore", &Controller::restore, "Back to the state saved before the first apply(); returns the writes")
      .def("current_mode", &Controller::current_mode, "The mode the board is at now (read from sysfs)")
      .def_property_readonly("holds_state", &Controller::holds_state)
      .def_property_readonly("state_file", &Controller::state_file)
      .def_property_readonly("board_model", &Controller::board_model);
}

}  // namespace modewise::python
