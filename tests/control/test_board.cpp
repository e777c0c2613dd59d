// Discovery on the fake trees of every supported board: the right frequency tables, GPU, EMC and rails.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "control/fake_sysfs.h"
#include "modewise/control/board.h"
#include "modewise/device/grid.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::control;
using modewise::testing::Board;
using modewise::testing::FakeSysfs;

namespace {

void expect_matches_tree(const FakeSysfs& fake, const JetsonBoard& b) {
  EXPECT_EQ(b.model, fake.model);
  EXPECT_EQ(b.builtin, fake.builtin);
  EXPECT_EQ(b.l4t_release, fake.l4t);
  EXPECT_EQ(static_cast<int>(b.cpus.size()), fake.cores);
  ASSERT_EQ(b.clusters.size(), fake.clusters.size());
  for (size_t i = 0; i < b.clusters.size(); ++i) {
    EXPECT_EQ(b.clusters[i].cpus, fake.clusters[i]);
    EXPECT_EQ(b.clusters[i].available_khz, fake.cpu_khz);
  }
  ASSERT_TRUE(b.gpu);
  EXPECT_EQ(b.gpu->dir, fake.gpu_dir);
  EXPECT_EQ(b.gpu->available_hz, fake.gpu_hz);
  ASSERT_TRUE(b.emc);
  EXPECT_EQ(b.emc->available_hz, fake.emc_hz);
  if (fake.emc_min_file.empty())
    EXPECT_EQ(b.emc->cap_file, fake.emc_max_file);
  else
    EXPECT_EQ(b.emc->devfreq_dir + "/max_freq", fake.emc_max_file);
  std::vector<std::string> rails;
  for (const auto& r : b.rails) rails.push_back(r.name);
  EXPECT_EQ(rails, fake.rail_names());
}

}  // namespace

TEST(Board, OrinAgxJetPack5) {
  FakeSysfs fake(Board::orin_agx_jp5);
  auto b = discover_board(telemetry::SysfsRoot(fake.root()));
  expect_matches_tree(fake, b);
  EXPECT_EQ(b.gpu->of_node_name, "ga10b");
  EXPECT_EQ(b.gpu->found_by, "of_node name ga10b");
  EXPECT_EQ(b.gpu->available_hz.front(), 306000000);  // the JetPack 5.1 306 + n*102 MHz ladder
  EXPECT_EQ(b.gpu->load_file, "/sys/devices/17000000.ga10b/load");
  EXPECT_EQ(b.emc->table_source, "/sys/kernel/debug/bpmp/debug/clk/emc/possible_rates");
  EXPECT_EQ(b.total_rule, "sum of rails");
  EXPECT_EQ(b.online_files.size(), 12u);
  EXPECT_EQ(b.clusters[1].freq_dir, "/sys/devices/system/cpu/cpufreq/policy4");
  EXPECT_TRUE(b.notes.empty()) << nlohmann::json(b.notes).dump();
}

TEST(Board, OrinAgxJetPack6FallsBackToTheBuiltInEmcTable) {
  FakeSysfs fake(Board::orin_agx_jp6);
  auto b = discover_board(telemetry::SysfsRoot(fake.root()));
  expect_matches_tree(fake, b);
  EXPECT_EQ(b.gpu->of_node_name, "gpu");
  EXPECT_EQ(b.gpu->available_hz.size(), 13u);
  EXPECT_EQ(b.emc->table_source, "built-in table of orin-agx");
  ASSERT_EQ(b.notes.size(), 1u);
  EXPECT_NE(b.notes[0].find("debugfs needs root"), std::string::npos);
}

TEST(Board, OrinNanoXavierNano) {
  {
    FakeSysfs fake(Board::orin_nano_jp6);
    auto b = discover_board(telemetry::SysfsRoot(fake.root()));
    expect_matches_tree(fake, b);
    EXPECT_EQ(b.total_rule, "input rail VDD_IN");
  }
  {
    FakeSysfs fake(Board::xavier_agx_jp4);
    auto b = discover_board(telemetry::SysfsRoot(fake.root()));
    expect_matches_tree(fake, b);  // "Jetson-AGX" is AGX Xavier
    EXPECT_EQ(b.gpu->of_node_name, "gv11b");
    EXPECT_EQ(b.clusters.size(), 4u);
  }
  {
    FakeSysfs fake(Board::nano_jp4);
    auto b = discover_board(telemetry::SysfsRoot(fake.root()));
    expect_matches_tree(fake, b);
    EXPECT_EQ(b.online_files.size(), 3u);  // cpu0 cannot be offlined
    EXPECT_EQ(b.emc->table_source, "/sys/kernel/debug/clk/emc/clk_possible_rates");  // kHz, converted
    EXPECT_EQ(b.total_rule, "input rail POM_5V_IN");
  }
}

TEST(Board, SpecFromDiscoveredTables) {
  FakeSysfs fake(Board::orin_agx_jp5);
  auto spec = board_spec(discover_board(telemetry::SysfsRoot(fake.root())));
  EXPECT_EQ(spec.name, "orin-agx");
  EXPECT_EQ(spec.cpu_cores(), 12);
  EXPECT_EQ(spec.cpu_mhz.size(), 29u);
  EXPECT_DOUBLE_EQ(spec.cpu_mhz.back(), 2201.6);
  EXPECT_EQ(spec.gpu_mhz.size(), 11u);  // the board's table wins over the built-in one
  EXPECT_DOUBLE_EQ(spec.gpu_mhz.front(), 306);
  EXPECT_EQ(spec.emc_mhz, (std::vector<double>{204, 665.6, 2133, 3199}));
  EXPECT_EQ(spec.total_rail, "");
  EXPECT_EQ(spec.gpu_cuda_cores, 2048);  // from the built-in facts
  EXPECT_EQ(device::grid_modes(spec, "full").size(), 12u * 29 * 11 * 4);
  // Grids are mapped onto the board's tables: every powertrain GPU clock to the nearest value of the 306 + n*102
  // ladder, duplicates dropped, never collapsed (11 distinct clocks), and the clocks far from any value reported.
  std::vector<std::string> warnings;
  spec = board_spec(discover_board(telemetry::SysfsRoot(fake.root())), &warnings);
  auto pt = device::grid_axes(spec, "powertrain");
  EXPECT_EQ(pt.gpu_mhz, (std::vector<double>{306, 408, 510, 612, 714, 816, 918, 1020, 1122, 1224, 1300.5}));
  EXPECT_EQ(pt.cpu_mhz.size(), 14u);
  EXPECT_EQ(pt.emc_mhz, (std::vector<double>{204, 665.6, 2133, 3199}));
  EXPECT_EQ(device::grid_modes(spec, "powertrain").size(), 6u * 14 * 11 * 4);
  auto fc = device::grid_axes(spec, "fulcrum");
  EXPECT_EQ(fc.gpu_mhz, (std::vector<double>{306, 510, 714, 918, 1122, 1300.5}));
  ASSERT_EQ(warnings.size(), 2u);  // one line per grid
  EXPECT_EQ(warnings[0].find("grid 'fulcrum': 1 value(s)"), 0u) << warnings[0];
  EXPECT_NE(warnings[1].find("grid 'powertrain': 2 value(s)"), std::string::npos) << warnings[1];
  EXPECT_NE(warnings[1].find("gpu 114.75 -> 306; gpu 216.75 -> 306"), std::string::npos) << warnings[1];
  EXPECT_EQ(warnings[1].find("318.75"), std::string::npos) << warnings[1];  // 12.75 MHz away: a close match

  FakeSysfs nano(Board::nano_jp4);
  auto nspec = board_spec(discover_board(telemetry::SysfsRoot(nano.root())));
  EXPECT_EQ(nspec.name, "jetson");
  EXPECT_EQ(nspec.min_cores, 1);
  EXPECT_EQ(nspec.total_rail, "POM_5V_IN");
  EXPECT_DOUBLE_EQ(nspec.emc_mhz.back(), 1600);
  EXPECT_DOUBLE_EQ(nspec.gpu_mhz.front(), 76.8);
}

TEST(Board, NotAJetson) {
  modewise::testing::TempDir empty;
  try {
    discover_board(telemetry::SysfsRoot(empty.path()));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is this a Jetson"), std::string::npos);
  }
}

TEST(Board, ReleaseAndModelParsing) {
  EXPECT_EQ(parse_l4t_release("# R35 (release), REVISION: 2.1, GCID: 1, BOARD: t186ref"), "R35.2.1");
  EXPECT_EQ(parse_l4t_release("garbage"), "");
  EXPECT_EQ(builtin_for_model("NVIDIA Jetson AGX Orin Developer Kit"), "orin-agx");
  EXPECT_EQ(builtin_for_model("Jetson AGX Xavier"), "xavier-agx");
  EXPECT_EQ(builtin_for_model("NVIDIA Jetson Orin Nano Developer Kit"), "orin-nano");
  EXPECT_EQ(builtin_for_model("NVIDIA Jetson Nano Developer Kit"), "");
}
