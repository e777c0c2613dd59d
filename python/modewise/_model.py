"""modewise.Model (the C++ class, with predict() returning numpy arrays where numpy is installed) and
modewise.analyze()."""

import json
import os

from . import _core

try:  # optional: lists otherwise
    import numpy as _np
except ImportError:  # pragma: no cover - depends on the installation
    _np = None

Model = _core.Model


def _load(path):
    """Read a model file written by `modewise fit` or `modewise transfer`; a bad file raises modewise.Error
    with the CLI's message.

        >>> model = modewise.Model.load("transfer.json")
    """
    return _core.Model._load(os.fspath(path))


def _predict(self, modes=None, device="", grid="full", sysfs_root="/"):
    """Predicted time per minibatch (ms) and board power (W) of each mode, as `modewise predict`.

    modes: a list of modewise.PowerMode (default: every mode of `grid` on the model's device, or `device`).
    Returns a dict: "modes", "time_ms", "power_w", "power_log_sd" (only where the model knows its
    uncertainty: the standard deviation of log power) and "provenance" ("predicted (from emulated)", ...).
    The numbers are numpy arrays where numpy is installed, lists otherwise.

        >>> p = model.predict(modewise.modes("orin-agx", "powertrain"))
        >>> p["time_ms"].argmin()
    """
    if modes is not None:
        modes = list(modes)
    out = self._predict(modes, device, grid, sysfs_root)
    if _np is not None:
        for key in ("time_ms", "power_w", "power_log_sd"):
            if key in out:
                out[key] = _np.asarray(out[key], dtype=float)
    return out


Model.load = staticmethod(_load)
Model.predict = _predict


def analyze(onnx_path, batch_size=1, training=False, per_layer=False):
    """FLOPs, bytes and arithmetic intensity of an ONNX model, as `modewise analyze --json`: a dict with "flops",
    "bytes", "weight_bytes", "activation_bytes", "parameters", "arithmetic_intensity", "kernels", "unknown_ops",
    and "layers" when per_layer. training=True counts forward + backward (3x). A build without ONNX raises
    modewise.Error "built without ONNX support ...".

        >>> modewise.analyze("resnet50.onnx", batch_size=32)["flops"]
    """
    return json.loads(_core._analyze_json(os.fspath(onnx_path), batch_size, training, per_layer))
