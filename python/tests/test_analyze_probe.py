"""modewise.analyze() against `modewise analyze --json`, and the probe under both of its names."""

import json
import os

import pytest

import modewise
from conftest import SOURCE_DIR, cli_error

RESNET18 = os.path.join(SOURCE_DIR, "tests", "fixtures", "onnx", "resnet18.onnx")


def test_analyze_equals_cli(cli):
    if not modewise._core.have_onnx:
        with pytest.raises(modewise.Error, match="built without ONNX support"):
            modewise.analyze(RESNET18, 8)
        pytest.skip("built without ONNX support: the error was checked instead")
    ours = modewise.analyze(RESNET18, batch_size=8)
    theirs = json.loads(cli("analyze", RESNET18, "--batch-size", "8", "--json").stdout)
    for key in ("flops", "bytes", "weight_bytes", "activation_bytes", "parameters", "kernels"):
        assert ours[key] == theirs[key], key
    assert ours["flops"] > 1e9
    assert len(modewise.analyze(RESNET18, 1, per_layer=True)["layers"]) > 10


def test_analyze_errors(cli, tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage")
    with pytest.raises(modewise.Error) as e:
        modewise.analyze(bad, 1)
    if modewise._core.have_onnx:
        assert str(e.value) == cli_error(cli("analyze", bad, check=False))


def test_probe_under_both_names():
    import modewise_probe
    from modewise import Probe
    assert modewise_probe.Probe.__name__ == Probe.__name__ == "Probe"
    assert modewise_probe.PROTOCOL_VERSION == 1
    probe = Probe(path="")  # no MODEWISE_PIPE: a no-op
    assert not probe.enabled
    for _ in probe.iterate([1, 2, 3]):
        pass
    assert probe.count == 3


def test_probe_shim_needs_no_extension(tmp_path):
    # From the source tree (python/ on sys.path, no _core there), the shim still imports.
    import subprocess
    import sys
    code = "import sys; sys.path.insert(0, %r); from modewise_probe import Probe; print(Probe.__name__)" % (
        os.path.join(SOURCE_DIR, "python"))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(tmp_path),
                       env={"PATH": os.environ.get("PATH", "")})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "Probe"
