"""modewise.apply(): set a power mode for the duration of a with block, then restore the previous state."""

from ._core import ModeController, PowerMode, UsageError


class apply:  # noqa: N801 (a context manager used like a function, as open())
    """Set a power mode on the board while a with block runs, and restore the previous state on exit
    (exceptions and Ctrl-C included). Needs root on a real board; sysfs_root points at a fake tree in tests.

    mode: a modewise.PowerMode or a named mode of the board ("maxn", "MODE_30W", "preset:2").
    The state before the first write is saved to a state file (state_dir, default as `modewise apply`), so a
    process killed with the mode set is restored by the next modewise start.

        with modewise.apply(modewise.PowerMode(8, 1497.6, 918, 3199)) as applied:
            train()
        # the mode before the block is back; applied.writes lists the sysfs writes done

    The jtop idiom `jetson.nvpmodel = 2` becomes `modewise.apply("preset:2")` (restored on exit).
    """

    def __init__(self, mode, device="jetson", sysfs_root="/", state_dir=""):
        if device != "jetson":
            raise UsageError("apply needs a real board: device 'jetson' (found '%s'; sim: and replay: backends "
                             "set modes per run, see `modewise profile`)" % device)
        if not isinstance(mode, (PowerMode, str)):
            raise UsageError("mode must be a modewise.PowerMode or a mode name such as 'maxn', found %s"
                             % type(mode).__name__)
        self._controller = ModeController(sysfs_root=sysfs_root, state_dir=state_dir)
        self.mode = self._controller.named(mode) if isinstance(mode, str) else mode
        self.writes = []
        self.restored = []
        self._entered = False

    def __enter__(self):
        if self._entered:
            raise UsageError("apply: this mode is already applied (use a new modewise.apply(...))")
        self._entered = True
        self.writes = self._controller.apply(self.mode)
        return self

    def __exit__(self, *exc):
        self.restored = self._controller.restore()
        return False

    @property
    def controller(self):
        return self._controller

    def current_mode(self):
        """The mode the board is at now, read back from sysfs."""
        return self._controller.current_mode()
