"""modewise.apply(): sets a mode on a fake Jetson tree and restores the previous one on exit, also after an
exception; the state file exists only while the mode is applied."""

import os

import pytest

import modewise
from conftest import fake_sysfs_module


@pytest.fixture
def fake_tree():
    """AGX Orin on JetPack 5 (tests/control/test_apply.cpp applies the same modes to it)."""
    return fake_sysfs_module().FakeSysfs("orin_agx_jp5")


def test_apply_sets_then_restores(fake_tree, tmp_path):
    state = str(tmp_path / "state")
    before = modewise.ModeController(sysfs_root=fake_tree.root, state_dir=state).current_mode()
    target = modewise.PowerMode(4, 1344.0, 612, 2133)
    assert before != target
    with modewise.apply(target, sysfs_root=fake_tree.root, state_dir=state) as applied:
        assert applied.current_mode() == target
        assert applied.writes and all({"file", "value", "what"} <= set(w) for w in applied.writes)
        assert os.path.exists(applied.controller.state_file)
        state_file = applied.controller.state_file
    assert modewise.ModeController(sysfs_root=fake_tree.root, state_dir=state).current_mode() == before
    assert applied.restored
    assert not os.path.exists(state_file)


def test_apply_restores_after_an_exception_and_takes_names(fake_tree, tmp_path):
    state = str(tmp_path / "state")
    ctl = modewise.ModeController(sysfs_root=fake_tree.root, state_dir=state)
    before = ctl.current_mode()
    low = modewise.PowerMode(4, 1344.0, 612, 2133)
    with modewise.apply(low, sysfs_root=fake_tree.root, state_dir=state):
        pass
    with pytest.raises(RuntimeError, match="boom"):
        with modewise.apply("maxn", sysfs_root=fake_tree.root, state_dir=state) as applied:
            assert applied.current_mode() == ctl.named("maxn")
            raise RuntimeError("boom")
    assert ctl.current_mode() == before


def test_apply_errors(fake_tree, tmp_path):
    state = str(tmp_path / "state")
    with pytest.raises(modewise.UsageError, match="real board"):
        modewise.apply("maxn", device="sim:orin-agx")
    with pytest.raises(modewise.Error, match="cpu_mhz|CPU|cpu"):  # not in the board's tables
        with modewise.apply(modewise.PowerMode(4, 1234.5, 612, 2133), sysfs_root=fake_tree.root, state_dir=state):
            pass
    with pytest.raises(modewise.UsageError):
        modewise.apply("no-such-mode", sysfs_root=fake_tree.root, state_dir=state)
