"""modewise.Monitor: windows on the emulated board (sim:) and on a fake Jetson tree whose rail files hold a known
power curve (fixed power, then a 3 W step), so the expected energy is computed exactly."""

import os
import time

import pytest

import modewise

RAILS_MW = {"VDD_GPU_SOC": 3000, "VDD_CPU_CV": 2000, "VIN_SYS_5V0": 4000, "VDDQ_VDD2_1V8AO": 1000}


def set_rails(tree, rails_mw):
    for name, mw in rails_mw.items():
        tree.set_rail_mw(name, mw)


def test_sim_window_is_emulated_constant_power():
    with modewise.Monitor("sim:orin-agx", interval_ms=5) as mon:
        assert mon.provenance == "emulated"
        assert mon.channels == ["total"] and mon.rails == {}
        p = mon.power_w
        assert 1 < p < 60  # the emulator's idle board power at MAXN, watts
        mon.begin_window("step")
        time.sleep(0.05)
        m = mon.end_window("step")
    assert m.name == "step" and m.provenance == "emulated"
    assert m.time_s >= 0.05
    assert m.avg_power_w == pytest.approx(p, rel=1e-12)
    assert m.energy_j == pytest.approx(p * m.time_s, rel=1e-9)
    assert m.rails_j == {}


def test_sim_nested_and_overlapping_windows():
    with modewise.Monitor("sim:xavier-agx", interval_ms=5) as mon:
        p = mon.power_w
        mon.begin_window("epoch")
        mon.begin_window("a")
        time.sleep(0.02)
        mon.begin_window("b")  # overlaps a
        time.sleep(0.02)
        a = mon.end_window("a")
        time.sleep(0.02)
        assert mon.open_windows == ["b", "epoch"]
        b = mon.end_window("b")
        epoch = mon.end_window("epoch")
    assert epoch.t_begin_s <= a.t_begin_s < b.t_begin_s < a.t_end_s < b.t_end_s <= epoch.t_end_s
    for m in (a, b, epoch):
        assert m.energy_j == pytest.approx(p * m.time_s, rel=1e-9)
    assert epoch.time_s > a.time_s and epoch.time_s > b.time_s


def test_fake_jetson_fixed_power_energy_is_exact(fake_tree):
    set_rails(fake_tree, RAILS_MW)
    with modewise.Monitor("jetson", interval_ms=5, sysfs_root=fake_tree.root) as mon:
        assert mon.provenance == "measured"
        rails = mon.rails
        for name, mw in RAILS_MW.items():
            assert rails[name] == pytest.approx(mw / 1000.0, rel=1e-9)
        total_w = mon.power_w
        assert total_w == pytest.approx(sum(rails.values()), rel=1e-9)  # AGX Orin: total = sum of rails
        mon.begin_window("w")
        time.sleep(0.2)
        m = mon.end_window("w")
    assert m.provenance == "measured"
    assert m.energy_j == pytest.approx(total_w * m.time_s, rel=1e-9)
    assert m.avg_power_w == pytest.approx(total_w, rel=1e-9)
    for name, mw in RAILS_MW.items():
        assert m.rails_j[name] == pytest.approx(mw / 1000.0 * m.time_s, rel=1e-9)


def test_fake_jetson_power_step_energy_within_one_percent(fake_tree):
    set_rails(fake_tree, RAILS_MW)
    with modewise.Monitor("jetson", interval_ms=5, sysfs_root=fake_tree.root) as mon:
        p1 = mon.power_w
        mon.begin_window("outer")
        mon.begin_window("step")
        time.sleep(1.0)
        t_before = time.monotonic()
        fake_tree.set_rail_mw("VDD_GPU_SOC", 6000)  # +3 W
        t_switch = (t_before + time.monotonic()) / 2
        time.sleep(1.0)
        m = mon.end_window("step")
        p2 = mon.power_w
        time.sleep(0.05)
        outer = mon.end_window("outer")
    # The sampler integrates the step as a ramp between the two samples around it: an error of at most
    # 3 W x (sample gap) / 2, 0.3% of the window's energy at a 40 ms gap (8 missed 5 ms samples on a busy machine).
    assert p2 == pytest.approx(p1 + 3.0, rel=1e-9)
    expected_j = p1 * (t_switch - m.t_begin_s) + p2 * (m.t_end_s - t_switch)
    assert m.energy_j == pytest.approx(expected_j, rel=0.01)
    gpu_expected_j = 3.0 * (t_switch - m.t_begin_s) + 6.0 * (m.t_end_s - t_switch)
    assert m.rails_j["VDD_GPU_SOC"] == pytest.approx(gpu_expected_j, rel=0.01)
    # The outer window holds the step window plus a little more at p2.
    assert outer.energy_j == pytest.approx(m.energy_j + p2 * (outer.time_s - m.time_s), rel=0.01)


def test_window_errors_raise_modewise_error():
    with modewise.Monitor("sim:orin-agx") as mon:
        mon.begin_window("a")
        with pytest.raises(modewise.Error, match="'a'"):
            mon.begin_window("a")
        with pytest.raises(modewise.Error, match="'nope'"):
            mon.end_window("nope")
        assert issubclass(modewise.Error, ValueError)


def test_bad_monitor_arguments_raise_usage_error(tmp_path):
    with pytest.raises(modewise.UsageError, match="unknown monitor device 'bogus'"):
        modewise.Monitor("bogus")
    with pytest.raises(modewise.UsageError, match="interval_ms"):
        modewise.Monitor("sim:orin-agx", interval_ms=0)
    with pytest.raises(modewise.Error):  # no rails under an empty root
        modewise.Monitor("jetson", sysfs_root=str(tmp_path))


def test_end_window_releases_the_gil():
    # end_window waits for the next sample (up to 4 intervals); with a slow sampler (1 s) that is long enough to
    # see whether another Python thread runs meanwhile, which it can only do if the wait does not hold the GIL.
    import threading
    ticks = []
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.002)

    with modewise.Monitor("sim:orin-agx", interval_ms=1000) as mon:
        t = threading.Thread(target=spin)
        t.start()
        try:
            time.sleep(0.05)  # the next sample is ~950 ms away
            mon.begin_window("w")
            t0 = time.monotonic()
            mon.end_window("w")
            t1 = time.monotonic()
        finally:
            stop.set()
            t.join()
    assert t1 - t0 > 0.2, "end_window returned after %.3f s: it did not wait for a sample" % (t1 - t0)
    during = [x for x in ticks if t0 + 0.05 < x < t1 - 0.05]
    assert during, "no other thread ran while end_window waited %.3f s" % (t1 - t0)


def test_nvml_monitor_is_measured(monkeypatch):
    # tests/telemetry/fake_nvml: a stand-in libnvidia-ml whose GPU draws 123.456 W.
    fake = os.environ.get("MODEWISE_FAKE_NVML")
    if not fake:
        try:
            from modewise import testing as modewise_testing
            fake = modewise_testing.fake_nvml_library()
        except (ImportError, modewise.Error):
            pass
    if not fake or not os.path.exists(fake):
        pytest.skip("no fake NVML library (MODEWISE_FAKE_NVML, or modewise.testing.fake_nvml_library())")
    monkeypatch.setenv("MODEWISE_NVML_LIBRARY", fake)
    with modewise.Monitor("nvml:0", interval_ms=5) as mon:
        assert mon.provenance == "measured"
        assert mon.power_w == pytest.approx(123.456, rel=1e-9)
        mon.begin_window("gpu")
        time.sleep(0.05)
        m = mon.end_window("gpu")
    assert m.provenance == "measured"
    assert m.energy_j == pytest.approx(123.456 * m.time_s, rel=1e-9)
