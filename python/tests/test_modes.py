"""modewise.PowerMode, modes() and mode(): the same modes as the CLI's `modes`."""

import csv
import io
import pickle

import pytest

import modewise


def test_power_mode_value_semantics():
    a = modewise.PowerMode(12, 2201.6, 1300.5, 3199)
    b = modewise.PowerMode(cores=12, cpu_mhz=2201.6000001, gpu_mhz=1300.5, emc_mhz=3199)  # equal at 1 kHz
    c = modewise.PowerMode(8, 2201.6, 1300.5, 3199)
    assert a == b and hash(a) == hash(b) and a != c
    assert len({a, b, c}) == 2
    assert c < a
    assert repr(a) == "PowerMode(cores=12, cpu_mhz=2201.6, gpu_mhz=1300.5, emc_mhz=3199)"
    assert a.key() == "12c/2201.6/1300.5/3199"
    assert (a.cores, a.cpu_mhz, a.gpu_mhz, a.emc_mhz) == (12, 2201.6, 1300.5, 3199)
    assert pickle.loads(pickle.dumps(a)) == a
    with pytest.raises(AttributeError):
        a.cores = 4  # immutable (hashable)


def test_modes_equal_the_cli(cli):
    ours = modewise.modes("orin-agx", "powertrain")
    rows = list(csv.DictReader(io.StringIO(cli("modes", "--device", "orin-agx", "--grid", "powertrain", "--csv").stdout)))
    assert len(ours) == len(rows) == 4368
    theirs = [modewise.PowerMode(int(r["cores"]), float(r["cpu_mhz"]), float(r["gpu_mhz"]), float(r["emc_mhz"]))
              for r in rows]
    assert ours == theirs
    assert modewise.modes("sim:orin-agx", "powertrain") == ours


def test_named_mode_and_errors():
    maxn = modewise.mode("orin-agx", "maxn")
    assert maxn == max(modewise.modes("orin-agx"), key=lambda m: (m.cores, m.cpu_mhz, m.gpu_mhz, m.emc_mhz))
    with pytest.raises(modewise.UsageError, match="grid"):
        modewise.modes("orin-agx", "nosuchgrid")
    with pytest.raises(modewise.Error):
        modewise.modes("no-such-device")
