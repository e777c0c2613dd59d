"""modewise.Model: predict, pareto and recommend give the CLI's answers on the same model file; errors carry the
CLI's one-line messages."""

import csv
import io
import json

import pytest

import modewise
from conftest import cli_error


def fmt_number(v):
    """The CLI's CSV number format (util::format_number): integers plainly, else 10 significant digits."""
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else "%.10g" % v


def mode_of(row):
    return modewise.PowerMode(int(row["cores"]), float(row["cpu_mhz"]), float(row["gpu_mhz"]), float(row["emc_mhz"]))


def test_predict_equals_cli(cli, model_file):
    model = modewise.Model.load(model_file)
    assert model.device == "orin-agx" and model.workload == "resnet18" and model.provenance == "emulated"
    rows = list(csv.DictReader(io.StringIO(cli("predict", "--model", model_file, "--grid", "powertrain").stdout)))
    p = model.predict(grid="powertrain")
    assert len(rows) == len(p["modes"]) == len(p["time_ms"]) == 4368
    assert p["provenance"] == rows[0]["provenance"] == "predicted (from emulated)"
    for i, row in enumerate(rows):
        assert mode_of(row) == p["modes"][i]
        assert fmt_number(p["time_ms"][i]) == row["time_ms"]
        assert fmt_number(p["power_w"][i]) == row["power_w"]
    # The same modes given explicitly give the same numbers (to 1e-6: the library's predictions of a mode move in
    # the 7th digit with the number of modes predicted together).
    q = model.predict(p["modes"][:50])
    assert list(q["time_ms"]) == pytest.approx(list(p["time_ms"][:50]), rel=1e-6)


def test_predict_returns_numpy_arrays_when_numpy_is_there(model_file):
    np = pytest.importorskip("numpy")
    p = modewise.Model.load(model_file).predict(modewise.modes("orin-agx", "powertrain")[:10])
    assert isinstance(p["time_ms"], np.ndarray) and p["time_ms"].shape == (10,)
    assert isinstance(p["power_w"], np.ndarray)


def test_pareto_equals_cli(cli, model_file):
    model = modewise.Model.load(model_file)
    rows = list(csv.DictReader(io.StringIO(cli("pareto", "--model", model_file, "--grid", "powertrain").stdout)))
    front = model.pareto(grid="powertrain")
    assert len(front) == len(rows) > 1
    for ours, row in zip(front, rows):
        assert ours["mode"] == mode_of(row)
        for key in ("time_ms", "power_w", "energy_j"):
            assert fmt_number(ours[key]) == row[key]


@pytest.mark.parametrize("budget_w,objective", [(20, "time"), (30, "energy"), (45.5, "time")])
def test_recommend_equals_cli(cli, model_file, budget_w, objective):
    model = modewise.Model.load(model_file)
    theirs = json.loads(cli("recommend", "--model", model_file, "--power-w", budget_w, "--objective", objective,
                            "--json").stdout)
    ours = model.recommend(power_w=budget_w, objective=objective)
    assert ours["mode"] == modewise.PowerMode(theirs["mode"]["cores"], theirs["mode"]["cpu_mhz"],
                                              theirs["mode"]["gpu_mhz"], theirs["mode"]["emc_mhz"])
    for key in ("time_ms", "power_w", "energy_j", "budget_w", "margin_w", "candidates", "feasible", "device",
                "provenance", "objective"):
        assert ours[key] == theirs[key], key


def test_errors_carry_the_cli_message(cli, model_file, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a model"}\n')
    with pytest.raises(modewise.Error) as e:
        modewise.Model.load(bad)
    assert str(e.value) == cli_error(cli("predict", "--model", bad, check=False))
    missing = tmp_path / "missing.json"
    with pytest.raises(modewise.Error) as e:
        modewise.Model.load(missing)
    assert str(e.value) == cli_error(cli("predict", "--model", missing, check=False))
    # A budget no mode meets names the lowest predicted power, as the CLI does.
    with pytest.raises(modewise.Error) as e:
        modewise.Model.load(model_file).recommend(power_w=0.5)
    assert str(e.value) == cli_error(cli("recommend", "--model", model_file, "--power-w", "0.5", check=False))
    # A model for another device.
    with pytest.raises(modewise.Error) as e:
        modewise.Model.load(model_file).predict(device="xavier-agx")
    assert str(e.value) == cli_error(cli("predict", "--model", model_file, "--device", "xavier-agx", check=False))
    with pytest.raises(modewise.UsageError):
        modewise.Model.load(model_file).recommend(power_w=30, objective="speed")


def test_transfer_model_has_uncertainty_and_equals_cli(cli, model_file, transfer_file):
    assert "power_log_sd" not in modewise.Model.load(model_file).predict(grid="powertrain")
    model = modewise.Model.load(transfer_file)
    assert model.workload == "mobilenetv3" and model.method == "gp"
    p = model.predict(grid="powertrain")
    assert len(p["power_log_sd"]) == len(p["power_w"]) and min(p["power_log_sd"]) > 0
    rows = list(csv.DictReader(io.StringIO(cli("predict", "--model", transfer_file, "--grid", "powertrain").stdout)))
    assert [fmt_number(x) for x in p["power_w"]] == [r["power_w"] for r in rows]
    # recommend's default caution uses that uncertainty (sd_multiplier=1), as the CLI's does.
    for budget_w in (18, 35):
        theirs = json.loads(cli("recommend", "--model", transfer_file, "--power-w", budget_w, "--json").stdout)
        ours = model.recommend(power_w=budget_w)
        assert (ours["time_ms"], ours["power_w"], ours["margin_w"], ours["feasible"]) == (
            theirs["time_ms"], theirs["power_w"], theirs["margin_w"], theirs["feasible"])
    relaxed = model.recommend(power_w=18, sd_multiplier=0)
    theirs = json.loads(cli("recommend", "--model", transfer_file, "--power-w", 18, "--sd-multiplier", 0,
                            "--json").stdout)
    assert relaxed["time_ms"] == theirs["time_ms"] and relaxed["feasible"] == theirs["feasible"]


def test_predict_returns_lists_without_numpy(model_file, monkeypatch):
    import modewise._model
    monkeypatch.setattr(modewise._model, "_np", None)  # as on an installation without numpy
    p = modewise.Model.load(model_file).predict(modewise.modes("orin-agx", "powertrain")[:5])
    assert isinstance(p["time_ms"], list) and len(p["time_ms"]) == 5 and isinstance(p["power_w"][0], float)
