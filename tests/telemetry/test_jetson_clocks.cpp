// `jetson_clocks --show`: the AGX Orin fixture parses with the right clocks.
#include <gtest/gtest.h>

#include "modewise/telemetry/jetson_clocks.h"
#include "modewise/util/csv.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::telemetry;

TEST(JetsonClocks, OrinShowFixture) {
  std::string path = std::string(MODEWISE_SOURCE_DIR) + "/tests/fixtures/jetson_clocks/orin-agx-jp5.1-show.txt";
  auto s = parse_jetson_clocks_show(util::read_text_file(path), path);
  EXPECT_EQ(s.soc_family, "tegra234");
  EXPECT_EQ(s.machine, "Jetson AGX Orin");
  EXPECT_EQ(s.power_mode, "MAXN");
  ASSERT_EQ(s.cpus.size(), 12u);
  EXPECT_EQ(s.cpus[0].index, 0);
  EXPECT_EQ(s.cpus[11].index, 11);  // sorted although printed cpu0, cpu1, cpu10, ...
  EXPECT_TRUE(s.cpus[3].online);
  EXPECT_EQ(s.cpus[0].governor, "schedutil");
  EXPECT_EQ(*s.cpus[0].khz.min, 729600);
  EXPECT_EQ(*s.cpus[0].khz.max, 2201600);
  EXPECT_EQ(*s.cpus[10].khz.current, 1113600);
  ASSERT_TRUE(s.gpu_hz);
  EXPECT_EQ(*s.gpu_hz->min, 306000000);
  EXPECT_EQ(*s.gpu_hz->max, 1300500000);
  ASSERT_TRUE(s.emc_hz);
  EXPECT_EQ(*s.emc_hz->max, 3199000000LL);
  EXPECT_EQ(*s.emc_hz->current, 2133000000LL);
  EXPECT_EQ(*s.engines_hz.at("DLA0_CORE").max, 1600000000);
  EXPECT_EQ(*s.engines_hz.at("PVA0_AXI").max, 832000000);
}

TEST(JetsonClocks, Errors) {
  EXPECT_THROW(parse_jetson_clocks_show("nothing here\n", "x"), Error);
  try {
    parse_jetson_clocks_show("cpu0: Online=1 MinFreq=fast\n", "show.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("show.txt:1: field 'MinFreq'"), std::string::npos) << e.what();
  }
}
