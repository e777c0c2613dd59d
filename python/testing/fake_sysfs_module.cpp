// modewise._fake_sysfs: the C++ tests' fake Jetson sysfs trees (tests/control/fake_sysfs.h), behind modewise.testing.
// Built with MODEWISE_PYTHON_TESTING (python/CMakeLists.txt) and installed by setup.py. A tree lives in a temporary
// directory removed when the object goes.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "control/fake_sysfs.h"

namespace py = pybind11;
using modewise::testing::Board;
using modewise::testing::FakeSysfs;

PYBIND11_MODULE(_fake_sysfs, m) {
  m.doc() = "Fake Jetson sysfs trees for tests (tests/control/fake_sysfs.h)";
  py::class_<FakeSysfs>(m, "FakeSysfs")
      .def(py::init([](const std::string& board) {
             static const std::map<std::string, Board> boards = {
                 {"orin_agx_jp5", Board::orin_agx_jp5},   {"orin_agx_jp6", Board::orin_agx_jp6},
                 {"orin_nano_jp6", Board::orin_nano_jp6}, {"xavier_agx_jp4", Board::xavier_agx_jp4},
                 {"nano_jp4", Board::nano_jp4},           {"orin_agx_jp7", Board::orin_agx_jp7},
                 {"orin_nano_super_jp62", Board::orin_nano_super_jp62}, {"thor_jp7", Board::thor_jp7}};
             auto it = boards.find(board);
             if (it == boards.end()) throw py::value_error("unknown fake board " + board);
             return std::make_unique<FakeSysfs>(it->second);
           }),
           py::arg("board") = "orin_agx_jp6")
      .def_property_readonly("root", &FakeSysfs::root)
      .def("host", &FakeSysfs::host)
      .def("write", &FakeSysfs::write)
      .def("read", &FakeSysfs::read)
      .def("set_rail_mw", &FakeSysfs::set_rail_mw, py::arg("name"), py::arg("mw"))
      .def("rail_names", &FakeSysfs::rail_names)
      .def_readonly("gpu_dir", &FakeSysfs::gpu_dir)
      .def_readonly("cores", &FakeSysfs::cores);
}
