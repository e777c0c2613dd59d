// The boards people buy today on fake trees: AGX Thor (JetPack 7), AGX Orin on JetPack 7, Orin Nano Super
// (JetPack 6.2): discovery by scanning devfreq and hwmon by name, presets by NAME from the board's nvpmodel.conf,
// modes that need a reboot, and apply --keep / restore on every tree.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "control/fake_sysfs.h"
#include "modewise/control/board.h"
#include "modewise/control/mode_controller.h"
#include "modewise/device/grid.h"
#include "modewise/telemetry/power_sensor.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::control;
using modewise::testing::Board;
using modewise::testing::FakeSysfs;
using modewise::testing::TempDir;

namespace {
std::vector<std::string> rail_names(const JetsonBoard& b) {
  std::vector<std::string> out;
  for (const auto& r : b.rails) out.push_back(r.name);
  return out;
}
}  // namespace

TEST(BoardCurrent, ThorFindsGpcBwmgrIna238AndSkipsUcsi) {
  FakeSysfs fake(Board::thor_jp7);
  auto b = discover_board(telemetry::SysfsRoot(fake.root()));
  EXPECT_EQ(b.model, "NVIDIA Jetson AGX Thor Developer Kit");
  EXPECT_EQ(b.soc, "tegra264");
  EXPECT_EQ(b.l4t_release, "R38.2.0");
  EXPECT_EQ(b.jetpack, "JetPack 7");
  EXPECT_EQ(b.builtin, "");
  ASSERT_TRUE(b.gpu);
  EXPECT_EQ(b.gpu->dir, "/sys/devices/platform/bus@0/gpu-gpc-0/devfreq/gpu-gpc-0");  // never gpu-nvd-0
  EXPECT_EQ(b.gpu->found_by, "devfreq name gpu-gpc-0");
  EXPECT_EQ(b.gpu->available_hz, fake.gpu_hz);
  EXPECT_EQ(b.gpu->load_file, "");
  ASSERT_TRUE(b.emc);
  EXPECT_EQ(b.emc->devfreq_dir, "/sys/devices/platform/bwmgr/devfreq/bwmgr");
  EXPECT_EQ(b.emc->cap_file, "");
  EXPECT_EQ(b.emc->available_hz, fake.emc_hz);
  EXPECT_EQ(rail_names(b), (std::vector<std::string>{"VDD_GPU", "VDD_CPU_SOC_MSS", "VIN_SYS_5V0", "VIN"}));
  EXPECT_EQ(b.rails.back().chip, "ina238");
  EXPECT_EQ(b.total_rule, "input rail VIN");
  EXPECT_EQ(b.nvpmodel_conf, "/etc/nvpmodel.conf");
  ASSERT_EQ(b.presets.size(), 3u);
  EXPECT_FALSE(b.presets[1].needs_reboot);  // 120W: same GPU power gating as MAXN, which the board runs
  EXPECT_TRUE(b.presets[2].needs_reboot);   // 90W: TPC_PG_MASK 192
  auto spec = board_spec(b);
  EXPECT_EQ(spec.name, "jetson");
  EXPECT_EQ(spec.gpu_mhz, (std::vector<double>{390, 588, 786, 984, 1182, 1380, 1575}));
  EXPECT_EQ(spec.emc_mhz, (std::vector<double>{665.6, 2133, 3199, 4266}));
  EXPECT_EQ(spec.total_rail, "VIN");
  EXPECT_EQ(spec.cpu_cores(), 14);
  auto j = to_json(b);
  EXPECT_EQ(j["gpu"]["dir"], b.gpu->dir);
  EXPECT_EQ(j["emc"]["devfreq_dir"], b.emc->devfreq_dir);
  EXPECT_EQ(j["rails"][3]["chip"], "ina238");
}

TEST(BoardCurrent, ThorPowerTotalIsTheIna238VinRail) {
  FakeSysfs fake(Board::thor_jp7);
  fake.set_rail_mw("VIN", 61230);
  fake.set_rail_mw("VDD_GPU", 28410);
  auto s = telemetry::make_ina3221_sensor(telemetry::SysfsRoot(fake.root()));
  EXPECT_EQ(s->name(), "ina3221+ina238");
  EXPECT_EQ(s->total_rule(), "input rail VIN");
  auto r = s->read(0);
  EXPECT_NEAR(r.power_w[0], 61.23, 1e-9);  // power1_input (uW), sub-rails not added
  EXPECT_NEAR(r.power_w[1], 28.41, 0.01);  // VDD_GPU from mV * mA
}

TEST(BoardCurrent, OrinAgxJetPack7RailsOnlyThroughClassHwmon) {
  FakeSysfs fake(Board::orin_agx_jp7);
  auto b = discover_board(telemetry::SysfsRoot(fake.root()));
  EXPECT_EQ(b.jetpack, "JetPack 7");
  EXPECT_EQ(b.soc, "tegra234");
  EXPECT_EQ(rail_names(b), (std::vector<std::string>{"VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0", "VDDQ_VDD2_1V8AO"}));
  EXPECT_EQ(b.total_rule, "sum of rails");
  EXPECT_EQ(b.gpu->load_file, "");
  bool noted = false;
  for (const auto& n : b.notes) noted = noted || n.find("no GPU load file") != std::string::npos;
  EXPECT_TRUE(noted);
  auto spec = board_spec(b);
  EXPECT_EQ(spec.name, "orin-agx");
  EXPECT_EQ(device::grid_modes(spec, "powertrain").size(), 4368u);  // the published tables match exactly
}

TEST(BoardCurrent, OrinNanoSuperPresetsByNameAndRebootModes) {
  FakeSysfs fake(Board::orin_nano_super_jp62);
  auto b = discover_board(telemetry::SysfsRoot(fake.root()));
  EXPECT_EQ(b.builtin, "orin-nano");
  EXPECT_EQ(b.jetpack, "JetPack 6");
  auto spec = board_spec(b);
  EXPECT_DOUBLE_EQ(spec.cpu_mhz.back(), 1728);
  EXPECT_DOUBLE_EQ(spec.gpu_mhz.back(), 1020);
  EXPECT_DOUBLE_EQ(spec.emc_mhz.back(), 3199);
  // MAXN_SUPER is ID 2 on this board: resolved by name from its own nvpmodel.conf.
  auto maxn_super = device::named_mode(spec, "MAXN_SUPER");
  EXPECT_EQ(maxn_super, (device::PowerMode{6, 1728, 1020, 3199}));
  EXPECT_EQ(device::named_mode(spec, "preset:2"), maxn_super);
  EXPECT_EQ(device::named_mode(spec, "25W"), (device::PowerMode{6, 1344, 918, 3199}));
  // 15W and 7W change the GPU power gating, which the board applies only after a reboot: a clear error.
  try {
    device::named_mode(spec, "7W");
    FAIL();
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("nvpmodel mode 7W (ID 3)"), std::string::npos) << m;
    EXPECT_NE(m.find("reboot"), std::string::npos) << m;
    EXPECT_NE(m.find("TPC_POWER_GATING TPC_PG_MASK = 254"), std::string::npos) << m;
    EXPECT_NE(m.find("sudo nvpmodel -m 3"), std::string::npos) << m;
  }
  EXPECT_THROW(device::named_mode(spec, "15W"), Error);
  EXPECT_THROW(device::named_mode(spec, "MODE_99W"), UsageError);
}

// apply --keep / restore on every fake tree: the mode stays after the controller is gone, a later controller leaves
// it alone, restore_saved puts every knob back.
TEST(BoardCurrent, KeepAndRestoreOnEveryTree) {
  for (Board board : modewise::testing::all_boards()) {
    FakeSysfs fake(board);
    TempDir state;
    telemetry::SysfsRoot root(fake.root());
    auto b = discover_board(root);
    auto spec = board_spec(b);
    ControlOptions co;
    co.sysfs_root = fake.root();
    co.state_dir = state.path();
    KnobState before = read_knobs(root, b);
    device::PowerMode low = spec.min_mode();
    {
      ModeController ctl(b, co);
      ctl.apply(low);
      ctl.keep();
    }
    KnobState kept = read_knobs(root, b);
    EXPECT_EQ(fake.read(fake.gpu_dir + "/max_freq"), std::to_string(fake.gpu_hz.front())) << fake.model;
    EXPECT_EQ(fake.read(fake.gpu_dir + "/min_freq"), std::to_string(fake.gpu_hz.front())) << fake.model;
    EXPECT_EQ(fake.read(fake.emc_max_file), std::to_string(fake.emc_hz.front())) << fake.model;
    if (!fake.emc_min_file.empty()) {
      EXPECT_EQ(fake.read(fake.emc_min_file), std::to_string(fake.emc_hz.front()));
    }
    {
      ModeController later(b, co);  // finds the kept state: not a crash, nothing restored
      ASSERT_TRUE(later.kept_state()) << fake.model;
      EXPECT_EQ(to_json(read_knobs(root, b)), to_json(kept)) << fake.model;
      later.apply(spec.maxn());     // held on top of the kept mode ...
    }                               // ... and put back to the kept mode, not to the original
    EXPECT_EQ(to_json(read_knobs(root, b)), to_json(kept)) << fake.model;
    auto writes = ModeController::restore_saved(b, co, false);
    ASSERT_TRUE(writes) << fake.model;
    EXPECT_FALSE(writes->empty());
    EXPECT_EQ(to_json(read_knobs(root, b)), to_json(before)) << fake.model;
    EXPECT_FALSE(ModeController::restore_saved(b, co, false)) << fake.model;  // the state file is gone
  }
}
