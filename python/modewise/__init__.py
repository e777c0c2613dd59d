"""modewise: measure, predict and set the power modes of NVIDIA Jetson boards for DNN workloads.

The C++ library (modewise._core) for Python: power monitoring with named windows, power modes, applying a mode
safely, PowerTrain models (predict, Pareto front, recommend), ONNX FLOP/byte analysis, and the minibatch probe.
docs/PYTHON.md has the guide.

    import modewise
    with modewise.Monitor("jetson") as mon:          # or "sim:orin-agx" (emulated), "nvml:0"
        mon.begin_window("step")
        train_one_step()
        m = mon.end_window("step")                  # m.time_s, m.energy_j, m.rails_j, m.provenance
    model = modewise.Model.load("transfer.json")
    best = model.recommend(power_w=30)["mode"]
    with modewise.apply(best):                      # root; the previous mode comes back on exit
        train()

Errors raise modewise.Error (a ValueError) with the CLI's one-line message; bad arguments modewise.UsageError.
"""

from .probe import Probe

try:
    from . import _core
except ImportError as e:  # the source tree's python/modewise/ has no extension
    raise ImportError(
        "modewise: the compiled extension modewise._core is missing (%s): install the package "
        "(pip install --no-build-isolation .) or put <build>/python on PYTHONPATH after building (docs/PYTHON.md)"
        % e) from e

from ._core import Error, Measurement, ModeController, Monitor, PowerMode, UsageError, mode, modes
from ._core import __version__
from ._model import Model, analyze
from ._apply import apply

__all__ = [
    "Error", "UsageError", "Monitor", "Measurement", "PowerMode", "modes", "mode", "apply", "ModeController",
    "Model", "analyze", "Probe", "__version__",
]
