// INA3221 rails in both layouts on every fake board, the total rule, and sysfs path handling.
#include <gtest/gtest.h>

#include "control/fake_sysfs.h"
#include "modewise/telemetry/power_sensor.h"
#include "modewise/telemetry/rails.h"
#include "modewise/telemetry/sysfs.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::telemetry;
using modewise::testing::Board;
using modewise::testing::FakeSysfs;

namespace {
std::vector<std::string> names(const std::vector<RailChannel>& rails) {
  std::vector<std::string> out;
  for (const auto& r : rails) out.push_back(r.name);
  return out;
}
}  // namespace

TEST(Rails, OrinAgxHwmonBothJetPacks) {
  for (Board b : {Board::orin_agx_jp5, Board::orin_agx_jp6}) {
    FakeSysfs fake(b);
    SysfsRoot root(fake.root());
    auto rails = discover_rails(root);
    EXPECT_EQ(names(rails), (std::vector<std::string>{"VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0", "VDDQ_VDD2_1V8AO"}));
    for (const auto& r : rails) EXPECT_EQ(r.layout, "hwmon");
    EXPECT_EQ(total_rule(names(rails)), "sum of rails");
    fake.set_rail_mw("VDD_GPU_SOC", 2400);
    EXPECT_DOUBLE_EQ(read_rail_mw(root, rails[0]), 2400);
  }
}

TEST(Rails, OrinNanoHasVddInTotal) {
  FakeSysfs fake(Board::orin_nano_jp6);
  auto rails = discover_rails(SysfsRoot(fake.root()));
  EXPECT_EQ(names(rails), (std::vector<std::string>{"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}));
  EXPECT_EQ(*total_rail_index(names(rails)), 0u);
}

TEST(Rails, XavierAndNanoIio) {
  FakeSysfs xavier(Board::xavier_agx_jp4);
  SysfsRoot xroot(xavier.root());
  auto xr = discover_rails(xroot);
  EXPECT_EQ(names(xr), (std::vector<std::string>{"GPU", "CPU", "SOC", "CV", "VDDRQ", "SYS5V"}));
  EXPECT_EQ(xr[0].layout, "iio");
  EXPECT_FALSE(total_rail_index(names(xr)));
  xavier.set_rail_mw("SOC", 2936);
  EXPECT_DOUBLE_EQ(read_rail_mw(xroot, xr[2]), 2936);  // in_power2_input

  FakeSysfs nano(Board::nano_jp4);
  auto nr = discover_rails(SysfsRoot(nano.root()));
  EXPECT_EQ(names(nr), (std::vector<std::string>{"POM_5V_IN", "POM_5V_GPU", "POM_5V_CPU"}));
  EXPECT_EQ(total_rule(names(nr)), "input rail POM_5V_IN");
}

TEST(Rails, SensorTotalIsInputRailOrSum) {
  FakeSysfs nano(Board::orin_nano_jp6);
  nano.set_rail_mw("VDD_IN", 12480);
  nano.set_rail_mw("VDD_CPU_GPU_CV", 4665);
  auto s = make_ina3221_sensor(SysfsRoot(nano.root()));
  EXPECT_EQ(s->channels(), (std::vector<std::string>{"total", "VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}));
  auto r = s->read(0);
  EXPECT_DOUBLE_EQ(r.power_w[0], 12.48);  // VDD_IN, sub-rails not added
  FakeSysfs orin(Board::orin_agx_jp5);
  orin.set_rail_mw("VDD_GPU_SOC", 2400);
  orin.set_rail_mw("VIN_SYS_5V0", 4030);
  auto o = make_ina3221_sensor(SysfsRoot(orin.root()));
  EXPECT_NEAR(o->read(0).power_w[0], 6.43, 1e-9);  // sum of rails
  EXPECT_EQ(o->total_rule(), "sum of rails");
}

TEST(Rails, NoRailsIsAClearError) {
  modewise::testing::TempDir empty;
  try {
    make_ina3221_sensor(SysfsRoot(empty.path()));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no INA3221/INA238 power rails"), std::string::npos);
  }
  EXPECT_THROW(open_power_sensor("bogus", SysfsRoot(empty.path())), UsageError);
}

TEST(Sysfs, ResolvesLinksInsideTheRoot) {
  FakeSysfs fake(Board::orin_agx_jp6);
  SysfsRoot root(fake.root());
  // /sys/class/devfreq/17000000.gpu is relative; its device's of_node is an absolute link, re-rooted.
  EXPECT_EQ(*root.resolve("/sys/class/devfreq/17000000.gpu"),
            "/sys/devices/platform/bus@0/17000000.gpu/devfreq/17000000.gpu");
  EXPECT_EQ(*root.resolve("/sys/class/devfreq/17000000.gpu/device/of_node"),
            "/sys/firmware/devicetree/base/bus@0/gpu@17000000");
  EXPECT_EQ(root.read_text("/sys/class/devfreq/17000000.gpu/device/of_node/name"), "gpu");  // NUL trimmed
  EXPECT_FALSE(root.resolve("/sys/nothing/here"));
  EXPECT_EQ(root.board_path(root.host_path("/sys/x")), "/sys/x");
  EXPECT_THROW(root.read_int("/proc/device-tree/model"), Error);
}

TEST(Sysfs, ListParsers) {
  EXPECT_EQ(parse_cpu_list("0-3,6 8\n", "x"), (std::vector<int>{0, 1, 2, 3, 6, 8}));
  EXPECT_THROW(parse_cpu_list("3-1", "x"), Error);
  EXPECT_THROW(parse_cpu_list("0-99999", "x"), Error);
  EXPECT_EQ(parse_int_table("204000 408000 (kHz)\n", "x"), (std::vector<long long>{204000, 408000}));
  EXPECT_THROW(parse_int_table("204000 fast", "x"), Error);
}
