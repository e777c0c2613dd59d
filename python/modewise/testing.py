"""modewise.testing: test without a board (docs/PYTHON.md, "Testing without a board").

fake_jetson_tree(board) builds a fake Jetson sysfs tree in a fresh temporary directory (removed when the object
goes): the same trees the C++ tests use (tests/control/fake_sysfs.h), laid out as on the real boards. Pass its
`root` as sysfs_root= to Monitor("jetson", ...), ModeController or apply(); set_rail_mw(name, mw) sets what a power
rail reads. fake_nvml_library() is the path of a stand-in libnvidia-ml whose GPU draws 123.456 W: set
MODEWISE_NVML_LIBRARY to it and Monitor("nvml:0") reads it. Numbers from these fakes are fixtures, not measurements.
"""

import os

from ._fake_sysfs import FakeSysfs

__all__ = ["BOARDS", "FakeSysfs", "fake_jetson_tree", "fake_nvml_library"]

BOARDS = ("orin_agx_jp5", "orin_agx_jp6", "orin_nano_jp6", "xavier_agx_jp4", "nano_jp4", "orin_agx_jp7",
          "orin_nano_super_jp62", "thor_jp7")


def fake_jetson_tree(board="orin_agx_jp6"):
    """A FakeSysfs of `board` (one of BOARDS); ValueError for another name."""
    return FakeSysfs(board)


def fake_nvml_library():
    """The path of the bundled stand-in libnvidia-ml (libfake-nvidia-ml.so); modewise.Error if it was not built."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libfake-nvidia-ml.so")
    if not os.path.exists(path):
        from . import Error
        raise Error("%s: no fake NVML library (built with MODEWISE_PYTHON_TESTING=ON)" % path)
    return path
