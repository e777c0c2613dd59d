"""Shared fixtures of the Python tests: the CLI (to compare answers), a model file, fake Jetson trees.

Run from a build tree: PYTHONPATH=<build>/python MODEWISE_CLI=<build>/modewise /usr/bin/python3 -m pytest python/tests
(ctest does exactly this: python/CMakeLists.txt). In a venv after `pip install` nothing needs setting: the CLI is
found as MODEWISE_CLI, else the installed package's bundled binary (modewise/bin/modewise), else `modewise` on PATH,
else build/modewise; the fake Jetson trees come from modewise.testing (else a build tree's _modewise_fake_sysfs).
"""

import importlib
import os
import shutil
import subprocess
import sys

import pytest

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _cli_path():
    if os.environ.get("MODEWISE_CLI"):
        candidates = [os.environ["MODEWISE_CLI"]]
    else:
        candidates = []
        try:
            from modewise import _cli
            candidates.append(_cli.cli_path())
        except ImportError:
            pass
        candidates += [shutil.which("modewise"), os.path.join(SOURCE_DIR, "build", "modewise")]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def fake_sysfs_module():
    """modewise.testing (installed, or a build tree's python/modewise), else a build tree's older
    _modewise_fake_sysfs; skips the test when neither imports."""
    errors = []
    for name in ("modewise.testing", "_modewise_fake_sysfs"):
        try:
            return importlib.import_module(name)
        except ImportError as e:
            errors.append("%s: %s" % (name, e))
    pytest.skip("no fake Jetson trees (%s)" % "; ".join(errors))


@pytest.fixture(scope="session")
def cli(tmp_path_factory):
    """run(*args) -> CompletedProcess of the modewise CLI (text mode), with a private store."""
    path = _cli_path()
    if path is None:
        pytest.skip("the modewise CLI is not built (set MODEWISE_CLI, or pip install the package)")
    env = dict(os.environ, MODEWISE_DB=str(tmp_path_factory.mktemp("db") / "cli.db"))

    def run(*args, check=True):
        r = subprocess.run([path, *map(str, args)], capture_output=True, text=True, env=env)
        if check and r.returncode != 0:
            raise AssertionError("modewise %s failed (%d): %s" % (" ".join(map(str, args)), r.returncode, r.stderr))
        return r

    return run


@pytest.fixture(scope="session")
def model_file(cli, tmp_path_factory):
    """A small reference model of emulated resnet18 training on orin-agx (60 modes, a short MLP fit)."""
    d = tmp_path_factory.mktemp("model")
    cli("profile", "--no-db", "--device", "sim:orin-agx", "--workload", "resnet18", "--modes", "random:60",
        "--seed", "3", "--out", d / "profile.csv")
    cli("fit", "--profile", d / "profile.csv", "--epochs", "60", "--seed", "1", "--out", d / "model.json")
    return d / "model.json"


@pytest.fixture(scope="session")
def transfer_file(cli, model_file):
    """model_file transferred to emulated mobilenetv3 from 20 modes (GP corrections: it knows its uncertainty)."""
    d = model_file.parent
    cli("profile", "--no-db", "--device", "sim:orin-agx", "--workload", "mobilenetv3", "--modes", "random:20",
        "--seed", "4", "--out", d / "target.csv")
    cli("transfer", "--base", model_file, "--profile", d / "target.csv", "--out", d / "transfer.json")
    return d / "transfer.json"


@pytest.fixture
def fake_tree():
    """A fake AGX Orin (JetPack 6) sysfs tree, removed afterwards (tests/control/fake_sysfs.h)."""
    return fake_sysfs_module().FakeSysfs("orin_agx_jp6")


def cli_error(result):
    """The one-line message of a failed CLI run, without its 'modewise: error: ' prefix."""
    lines = [l for l in result.stderr.splitlines() if l.startswith("modewise: error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0][len("modewise: error: "):]


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
