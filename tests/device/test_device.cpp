#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "modewise/device/device_spec.h"
#include "modewise/device/grid.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::device;

TEST(Device, OrinAgxFactsFromTheTables) {
  DeviceSpec d = builtin_device("orin-agx");
  EXPECT_EQ(d.cpu_cores(), 12);
  EXPECT_EQ(d.cpu_mhz.size(), 29u);
  EXPECT_DOUBLE_EQ(d.cpu_mhz.front(), 115.2);
  EXPECT_DOUBLE_EQ(d.cpu_mhz.back(), 2201.6);
  EXPECT_EQ(d.gpu_mhz.size(), 13u);
  EXPECT_EQ(d.emc_mhz.size(), 4u);
  EXPECT_NEAR(d.peak_fp32_gflops(1300.5), 5326.8, 0.1);
  EXPECT_NEAR(d.peak_dram_gbps(3199), 204.7, 0.1);
  EXPECT_NEAR(d.peak_fp32_gflops(1300.5) / d.peak_dram_gbps(3199), 26, 0.1);  // ridge point
}

TEST(Device, GridSizes) {
  DeviceSpec d = builtin_device("orin-agx");
  EXPECT_EQ(grid_modes(d, "full").size(), 18096u);
  EXPECT_EQ(grid_modes(d, "powertrain").size(), 4368u);
  EXPECT_EQ(grid_modes(d, "fulcrum").size(), 441u);
  EXPECT_EQ(grid_modes(builtin_device("orin-nano"), "powertrain").size(), 180u);
  auto modes = grid_modes(d, "powertrain");
  std::set<std::string> keys;
  for (const auto& m : modes) {
    keys.insert(m.key());
    EXPECT_TRUE(has_mode(d, m)) << m.key();
  }
  EXPECT_EQ(keys.size(), modes.size());
  EXPECT_THROW(grid_modes(d, "nope"), UsageError);
}

TEST(Device, EveryBuiltinGridIsInsideItsTables) {
  for (const auto& name : builtin_device_names()) {
    DeviceSpec d = builtin_device(name);
    for (const auto& g : grid_names(d))
      for (const auto& m : grid_modes(d, g)) ASSERT_NO_THROW(validate_mode(d, m)) << name << " " << g;
    for (const auto& n : named_mode_names(d)) ASSERT_NO_THROW(validate_mode(d, named_mode(d, n))) << n;
  }
}

TEST(Device, NamedModes) {
  DeviceSpec d = builtin_device("orin-agx");
  EXPECT_EQ(named_mode(d, "maxn"), (PowerMode{12, 2201.6, 1300.5, 3199}));
  PowerMode m30 = named_mode(d, "MODE_30W");
  EXPECT_EQ(m30.cores, 8);
  EXPECT_LE(m30.gpu_mhz, 612);
  EXPECT_EQ(named_mode(d, "30w"), m30);
  EXPECT_EQ(named_mode(d, "preset:2"), m30);
  EXPECT_THROW(named_mode(d, "turbo"), UsageError);
}

TEST(Device, ValidateModeNamesTheField) {
  DeviceSpec d = builtin_device("orin-agx");
  try {
    validate_mode(d, {12, 2201.6, 1000, 3199});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gpu_mhz"), std::string::npos) << e.what();
  }
  EXPECT_THROW(validate_mode(d, {13, 2201.6, 1300.5, 3199}), Error);
  EXPECT_THROW(validate_mode(d, {0, 2201.6, 1300.5, 3199}), Error);
  EXPECT_EQ(snap_mode(d, {20, 2200, 1299, 3000}), (PowerMode{12, 2201.6, 1300.5, 3199}));
}

TEST(Device, ModeKeyAndEquality) {
  PowerMode a{4, 729.6, 522.75, 2133}, b{4, 729.6000001, 522.75, 2133.0};
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.key(), "4c/729.6/522.75/2133");
  EXPECT_EQ(PowerModeHash()(a), PowerModeHash()(b));
}

TEST(Device, JsonRoundTripAndErrors) {
  DeviceSpec d = builtin_device("xavier-agx");
  auto path = std::filesystem::temp_directory_path() / "modewise_test_device.json";
  std::ofstream(path) << device_to_json(d).dump(2);
  DeviceSpec e = resolve_device(path.string());
  EXPECT_EQ(e.name, d.name);
  EXPECT_EQ(e.gpu_mhz, d.gpu_mhz);
  EXPECT_EQ(grid_modes(e, "powertrain").size(), grid_modes(d, "powertrain").size());
  EXPECT_EQ(named_mode(e, "MODE_15W"), named_mode(d, "MODE_15W"));
  std::filesystem::remove(path);

  auto j = device_to_json(d);
  j.erase("gpu_mhz");
  try {
    device_from_json(j, "dev.json");
    FAIL();
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("dev.json: missing field 'gpu_mhz'"), std::string::npos) << err.what();
  }
  j = device_to_json(d);
  j["cpu_mhz"] = {200, 100};
  EXPECT_THROW(device_from_json(j, "dev.json"), Error);
  EXPECT_THROW(resolve_device("/nonexistent/dev.json"), Error);
  EXPECT_THROW(resolve_device("tx2"), UsageError);
}
