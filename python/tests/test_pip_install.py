"""The README's install, offline: a venv with Debian's packages visible, then pip install --no-build-isolation.

ctest runs this with MODEWISE_BUILD_DIR set to its own build tree and MODEWISE_PREBUILT=1: setup.py copies the
files built there and builds nothing (ctest runs after the build; a build here could relink the CLI while other
tests run it), so the install costs seconds (a fresh install compiles the library: docs/PYTHON.md says how long).
After a `pip install .` from this checkout, setup.py's own build-pip/ is reused the same way.
"""

import os
import subprocess
import sys

import pytest

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.skipif(not os.environ.get("MODEWISE_BUILD_DIR")
                    and not os.path.exists(os.path.join(SOURCE_DIR, "build-pip", "CMakeCache.txt")),
                    reason="set MODEWISE_BUILD_DIR to a configured build tree, or pip install . first "
                           "(a fresh build takes minutes)")
def test_venv_pip_install_offline(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_NO_INDEX"] = "1"  # offline: nothing may be downloaded
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    r = subprocess.run([str(venv / "bin" / "pip"), "install", "--no-build-isolation", "--no-deps", SOURCE_DIR],
                       capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    code = ("import modewise, modewise_probe, os; "
            "assert modewise.__file__.startswith(%r), modewise.__file__; "
            "assert len(modewise.modes('orin-agx', 'powertrain')) == 4368; "
            "m = modewise.Monitor('sim:orin-agx'); assert m.provenance == 'emulated' and m.power_w > 0; "
            "assert os.path.exists(os.path.join(os.path.dirname(modewise.__file__), 'py.typed')); "
            "import modewise.testing as t; f = t.fake_jetson_tree('thor_jp7'); "
            "assert os.path.isdir(f.root) and os.path.exists(t.fake_nvml_library()); "
            "print(modewise_probe.Probe.__name__)") % str(venv)
    r = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, env=env,
                       cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "Probe"
    # The CLI comes with the package: the console script runs the bundled binary (modewise/bin/modewise).
    r = subprocess.run([str(venv / "bin" / "modewise"), "--help"], capture_output=True, text=True, env=env,
                       cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "usage" in r.stdout.lower(), r.stdout
    r = subprocess.run([str(venv / "bin" / "modewise"), "no-such-command"], capture_output=True, text=True, env=env,
                       cwd=str(tmp_path))
    assert r.returncode == 2 and r.stderr.startswith("modewise: error: "), (r.returncode, r.stderr)
