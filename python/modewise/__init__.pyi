# Type stubs of the package modewise (docs/PYTHON.md).
from typing import Any, Dict, List, Union

from ._core import Error as Error, Measurement as Measurement, ModeController as ModeController
from ._core import Model as Model, Monitor as Monitor, PowerMode as PowerMode, UsageError as UsageError
from ._core import __version__ as __version__, mode as mode, modes as modes
from .probe import Probe as Probe

class apply:
    mode: PowerMode
    writes: List[Dict[str, str]]
    restored: List[Dict[str, str]]
    def __init__(self, mode: Union[PowerMode, str], device: str = "jetson", sysfs_root: str = "/",
                 state_dir: str = "") -> None: ...
    def __enter__(self) -> "apply": ...
    def __exit__(self, *exc: Any) -> bool: ...
    @property
    def controller(self) -> ModeController: ...
    def current_mode(self) -> PowerMode: ...

def analyze(onnx_path: Any, batch_size: int = 1, training: bool = False, per_layer: bool = False) -> Dict[str, Any]: ...
