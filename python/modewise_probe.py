"""The minibatch probe under its old name: `from modewise_probe import Probe` keeps working.

The code is python/modewise/probe.py (`from modewise import Probe` in the package). This shim loads that file on
its own, without the package's compiled extension, so a source checkout with python/ on PYTHONPATH needs no build.
"""

import importlib.util as _util
import os as _os
import sys as _sys

_path = _os.path.join(_os.path.dirname(_os.path.realpath(__file__)), "modewise", "probe.py")
if "modewise.probe" in _sys.modules:
    _impl = _sys.modules["modewise.probe"]
else:
    _spec = _util.spec_from_file_location("_modewise_probe_impl", _path)
    _impl = _util.module_from_spec(_spec)
    _spec.loader.exec_module(_impl)

Probe = _impl.Probe
PROTOCOL_VERSION = _impl.PROTOCOL_VERSION
__all__ = ["Probe"]
