// tegrastats: every fixture parses with the right rails, total power and clocks; the known variants too.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "modewise/telemetry/tegrastats.h"
#include "modewise/util/csv.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::telemetry;

namespace {

std::vector<TegrastatsRecord> fixture(const std::string& name) {
  std::string path = std::string(MODEWISE_SOURCE_DIR) + "/tests/fixtures/tegrastats/" + name;
  return parse_tegrastats_log(util::read_text_file(path), name);
}

double rail(const TegrastatsRecord& r, const std::string& name) {
  for (const auto& x : r.rails)
    if (x.name == name) return x.power_mw;
  ADD_FAILURE() << "no rail " << name;
  return -1;
}

std::optional<double> temp(const TegrastatsRecord& r, const std::string& name) {
  for (const auto& t : r.temps)
    if (t.name == name) return t.celsius;
  ADD_FAILURE() << "no temperature " << name;
  return std::nullopt;
}

}  // namespace

TEST(Tegrastats, NanoJetPack4HasPom5vInAsTotal) {
  auto recs = fixture("nano-jp4.log");
  ASSERT_EQ(recs.size(), 1u);
  const auto& r = recs[0];
  EXPECT_FALSE(r.timestamp);
  EXPECT_DOUBLE_EQ(*r.ram_used_mb, 1464);
  EXPECT_DOUBLE_EQ(*r.ram_total_mb, 3964);
  ASSERT_EQ(r.cpus.size(), 4u);
  EXPECT_DOUBLE_EQ(*r.cpus[0].load_pct, 90);
  EXPECT_DOUBLE_EQ(*r.cpus[0].mhz, 1479);
  EXPECT_DOUBLE_EQ(*r.emc->load_pct, 6);
  EXPECT_DOUBLE_EQ(r.emc->mhz.at(0), 1600);
  EXPECT_DOUBLE_EQ(*r.gpu->load_pct, 7);
  EXPECT_DOUBLE_EQ(r.gpu->mhz.at(0), 768);
  ASSERT_EQ(r.rails.size(), 3u);
  EXPECT_DOUBLE_EQ(rail(r, "POM_5V_GPU"), 159);
  EXPECT_DOUBLE_EQ(*r.rails[2].avg_mw, 989);
  EXPECT_EQ(r.total_rule, "POM_5V_IN");
  EXPECT_DOUBLE_EQ(*r.total_power_mw, 2746);
  EXPECT_DOUBLE_EQ(*r.total_avg_mw, 2911);
  EXPECT_DOUBLE_EQ(*temp(r, "thermal"), 30.25);
}

TEST(Tegrastats, OrinAgxJetPack51SumsRailsAndSkipsNcAndAbsentSensors) {
  auto recs = fixture("orin-agx-jp5.1.log");
  ASSERT_EQ(recs.size(), 1u);
  const auto& r = recs[0];
  EXPECT_EQ(*r.timestamp, "04-24-2023 00:01:24");
  ASSERT_EQ(r.cpus.size(), 12u);
  for (const auto& c : r.cpus) EXPECT_DOUBLE_EQ(*c.mhz, 729);
  EXPECT_DOUBLE_EQ(r.emc->mhz.at(0), 2133);
  EXPECT_DOUBLE_EQ(r.gpu->mhz.at(0), 0);
  ASSERT_EQ(r.rails.size(), 4u);  // two NC channels skipped
  EXPECT_DOUBLE_EQ(rail(r, "VDD_GPU_SOC"), 2399);
  EXPECT_DOUBLE_EQ(rail(r, "VDDQ_VDD2_1V8AO"), 301);
  EXPECT_EQ(r.total_rule, "sum of rails");
  EXPECT_DOUBLE_EQ(*r.total_power_mw, 2399 + 400 + 4032 + 301);
  EXPECT_FALSE(temp(r, "CV0").has_value());  // -256C: absent
  EXPECT_DOUBLE_EQ(*temp(r, "CPU"), 42.593);
}

TEST(Tegrastats, OrinAgxJetPack6PerGpcGpuArrayAndOffEngines) {
  auto recs = fixture("orin-agx-jp6.log");
  ASSERT_EQ(recs.size(), 2u);
  const auto& r = recs[0];
  ASSERT_EQ(r.cpus.size(), 12u);
  EXPECT_DOUBLE_EQ(*r.cpus[0].mhz, 2188);
  EXPECT_DOUBLE_EQ(*r.cpus[4].load_pct, 46);
  EXPECT_DOUBLE_EQ(*r.cpus[11].mhz, 1036);
  EXPECT_EQ(r.gpu->mhz, (std::vector<double>{0, 0}));
  bool nvdec_off = false;
  for (const auto& e : r.engines)
    if (e.name == "NVDEC") nvdec_off = e.off;
  EXPECT_TRUE(nvdec_off);
  EXPECT_DOUBLE_EQ(*r.total_power_mw, 2412 + 1607 + 4707);
  EXPECT_DOUBLE_EQ(*recs[1].total_power_mw, 2412 + 1607 + 4607);
  EXPECT_DOUBLE_EQ(*recs[1].total_avg_mw, 2412 + 1607 + 4657);
}

TEST(Tegrastats, OrinNanoUsesVddInAsTotal) {
  auto r = fixture("orin-nano-jp6.log").at(0);
  ASSERT_EQ(r.cpus.size(), 6u);
  EXPECT_DOUBLE_EQ(r.gpu->mhz.at(0), 621);
  EXPECT_DOUBLE_EQ(*r.gpu->load_pct, 63);
  EXPECT_EQ(r.total_rule, "VDD_IN");
  EXPECT_DOUBLE_EQ(*r.total_power_mw, 12479);
  EXPECT_DOUBLE_EQ(*temp(r, "gpu"), 53.343);
}

TEST(Tegrastats, XavierAgxLoadsWithoutFrequencyAndRailsNamedLikeTemperatures) {
  auto r = fixture("xavier-agx-jp4.2.log").at(0);
  ASSERT_EQ(r.cpus.size(), 8u);
  EXPECT_DOUBLE_EQ(*r.emc->load_pct, 0);
  EXPECT_TRUE(r.emc->mhz.empty());
  EXPECT_TRUE(r.gpu->mhz.empty());
  ASSERT_EQ(r.rails.size(), 6u);
  EXPECT_DOUBLE_EQ(rail(r, "CPU"), 618);
  EXPECT_DOUBLE_EQ(rail(r, "SYS5V"), 3306);
  EXPECT_EQ(r.total_rule, "sum of rails");
  EXPECT_DOUBLE_EQ(*r.total_power_mw, 463 + 618 + 2936 + 0 + 309 + 3306);
  EXPECT_DOUBLE_EQ(*temp(r, "GPU"), 30.5);
}

TEST(Tegrastats, KnownVariants) {
  // Offline cores, no timestamp, three-value rails (JetPack 7) with an INA238 VIN total.
  auto r = parse_tegrastats_line(
      "RAM 2000/8000MB CPU [12%@1190,off,off,3%@1190] GR3D_FREQ 40%@[1300,1300,1300] cpu@-256C "
      "VDD_GPU 1200mW/1100mW/1500mW VIN 20000mW/19000mW/21000mW",
      "t:1");
  ASSERT_EQ(r.cpus.size(), 4u);
  EXPECT_FALSE(r.cpus[1].online);
  EXPECT_FALSE(r.cpus[1].load_pct);
  EXPECT_TRUE(r.cpus[3].online);
  EXPECT_EQ(r.gpu->mhz.size(), 3u);
  EXPECT_FALSE(r.temps.at(0).celsius);
  EXPECT_DOUBLE_EQ(*r.rails[0].max_mw, 1500);
  EXPECT_EQ(r.total_rule, "VIN");
  EXPECT_DOUBLE_EQ(*r.total_power_mw, 20000);
  // The old "CPU [a%,b%]@MHz" form.
  auto old = parse_tegrastats_line("CPU [10%,20%]@1224 EMC_FREQ 1%@1600", "t:2");
  ASSERT_EQ(old.cpus.size(), 2u);
  EXPECT_DOUBLE_EQ(*old.cpus[1].load_pct, 20);
  EXPECT_DOUBLE_EQ(*old.cpus[1].mhz, 1224);
  EXPECT_FALSE(old.total_power_mw);
}

TEST(Tegrastats, JsonHasRailsAndTotal) {
  auto j = to_json(fixture("orin-nano-jp6.log").at(0));
  EXPECT_EQ(j["timestamp"], "11-15-2024 08:38:09");
  EXPECT_EQ(j["rails"]["VDD_SOC"]["power_mw"], 2817);
  EXPECT_EQ(j["rails"]["VDD_SOC"]["avg_mw"], 2817);
  EXPECT_EQ(j["total_power_mw"], 12479);
  EXPECT_EQ(j["cpu"].size(), 6u);
  EXPECT_EQ(j["gpu"]["mhz"], 621);
  EXPECT_EQ(j["emc"]["load_pct"], 43);
}

TEST(Tegrastats, MalformedFieldsNameTheLineAndField) {
  try {
    parse_tegrastats_line("RAM 1/2MB CPU [abc@1]", "log.txt:7");
    FAIL();
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("log.txt:7"), std::string::npos) << m;
    EXPECT_NE(m.find("'CPU'"), std::string::npos) << m;
  }
  EXPECT_THROW(parse_tegrastats_line("hello world", "x:1"), Error);
  EXPECT_THROW(parse_tegrastats_line("GR3D_FREQ 5%@[1,", "x:1"), Error);
  EXPECT_THROW(parse_tegrastats_line("RAM lots", "x:1"), Error);
  EXPECT_THROW(parse_tegrastats_log("RAM 1/2MB\n\nnot tegrastats\n", "f"), Error);
}
