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
  EXPECT_EQ(r.total_rule, "input rail POM_5V_IN");
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
  EXPECT_EQ(r.total_rule, "input rail VDD_IN");
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
  EXPECT_EQ(r.total_rule, "input rail VIN");
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

TEST(Tegrastats, MalformedNonPowerFieldsFailOnlyWhenStrict) {
  TegrastatsParseOptions strict;
  strict.strict = true;
  try {
    parse_tegrastats_line("RAM 1/2MB CPU [abc@1]", "log.txt:7", strict);
    FAIL();
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("log.txt:7"), std::string::npos) << m;
    EXPECT_NE(m.find("'CPU'"), std::string::npos) << m;
  }
  // Without --strict the line parses and the field is kept as printed.
  auto lenient = parse_tegrastats_line("RAM 1/2MB CPU [abc@1]", "log.txt:7");
  EXPECT_DOUBLE_EQ(*lenient.ram_total_mb, 2);
  ASSERT_EQ(lenient.other.size(), 1u);
  EXPECT_EQ(lenient.other[0].name, "CPU");
  EXPECT_EQ(lenient.other[0].text, "[abc@1]");
  EXPECT_TRUE(lenient.cpus.empty());
  EXPECT_THROW(parse_tegrastats_line("hello world", "x:1"), Error);  // nothing recognizable
  EXPECT_THROW(parse_tegrastats_line("GR3D_FREQ 5%@[1,", "x:1", strict), Error);
  EXPECT_THROW(parse_tegrastats_line("RAM lots", "x:1", strict), Error);
  EXPECT_THROW(parse_tegrastats_line("RAM 1/2MB FOO_FREQ @abc", "x:1", strict), Error);
  EXPECT_NO_THROW(parse_tegrastats_line("RAM 1/2MB FOO_FREQ @abc", "x:1"));
  EXPECT_THROW(parse_tegrastats_log("RAM 1/2MB\n\nnot tegrastats\n", "f"), Error);
}

TEST(Tegrastats, MalformedRailsAreErrorsNamingFileLineAndField) {
  // A rail that is present but malformed would silently falsify the total (34% low on this line): always an error.
  const std::string good = "RAM 1/2MB VDD_CPU_CV 400mW/400mW VIN_SYS_5V0 4032mW/4032mW ";
  for (const char* bad : {"VDD_GPU_SOC abcmW/2399mW", "VDD_GPU_SOC -2399mW", "VDD_GPU_SOC 2399mW/abc",
                          "VDD_GPU_SOC -2399mW/2399mW", "VDD_GPU_SOC 1mW/2mW/3mW/4mW", "VDD_GPU_SOC 2399/-1",
                          "VDD_GPU_SOC nanmW/1mW"}) {
    for (bool strict : {false, true}) {
      TegrastatsParseOptions o;
      o.strict = strict;
      try {
        parse_tegrastats_line(good + bad, "run.log:12", o);
        ADD_FAILURE() << "accepted: " << bad;
      } catch (const Error& e) {
        std::string m = e.what();
        EXPECT_NE(m.find("run.log:12: field 'VDD_GPU_SOC'"), std::string::npos) << m;
      }
    }
  }
  auto ok = parse_tegrastats_line(good + "VDD_GPU_SOC 2399mW/2399mW", "run.log:12");
  EXPECT_DOUBLE_EQ(*ok.total_power_mw, 400 + 4032 + 2399);
}

TEST(Tegrastats, OrinAgxJetPack7TemperaturesWithSecondValueAndThreeValueRails) {
  auto recs = fixture("orin-agx-jp7.log");
  ASSERT_EQ(recs.size(), 1u);
  const auto& r = recs[0];
  EXPECT_TRUE(r.other.empty());
  ASSERT_EQ(r.cpus.size(), 12u);
  EXPECT_FALSE(r.cpus[8].online);
  EXPECT_DOUBLE_EQ(*r.cpus[4].mhz, 2201);
  EXPECT_DOUBLE_EQ(*r.gpu->load_pct, 87);
  EXPECT_EQ(r.gpu->mhz, (std::vector<double>{1300, 1300}));
  EXPECT_DOUBLE_EQ(r.emc->mhz.at(0), 3199);
  EXPECT_DOUBLE_EQ(*temp(r, "cpu"), 52.968);
  EXPECT_DOUBLE_EQ(*temp(r, "gpu"), 55.031);
  ASSERT_EQ(r.rails.size(), 4u);
  EXPECT_DOUBLE_EQ(rail(r, "VDD_GPU_SOC"), 14112);
  EXPECT_DOUBLE_EQ(*r.rails[0].max_mw, 14702);
  EXPECT_EQ(r.total_rule, "sum of rails");  // AGX Orin has no input rail
  EXPECT_DOUBLE_EQ(*r.total_power_mw, 14112 + 3211 + 5107 + 1502);
  EXPECT_DOUBLE_EQ(*r.total_avg_mw, 13950 + 3180 + 5090 + 1498);
}

TEST(Tegrastats, ThorGpuClocksWithoutLoadEnginesAndVinTotal) {
  auto r = fixture("thor-jp7.log").at(0);
  EXPECT_TRUE(r.other.empty());
  ASSERT_EQ(r.cpus.size(), 14u);
  EXPECT_DOUBLE_EQ(*r.cpus[13].mhz, 2601);
  ASSERT_TRUE(r.gpu);
  EXPECT_FALSE(r.gpu->load_pct);
  EXPECT_EQ(r.gpu->mhz, (std::vector<double>{1575, 1575, 1575}));
  bool nvenc0 = false, ofa = false;
  for (const auto& e : r.engines) {
    if (e.name == "NVENC0_FREQ") nvenc0 = e.mhz == std::vector<double>{314} && !e.load_pct;
    if (e.name == "OFA_FREQ") ofa = e.mhz == std::vector<double>{315};
  }
  EXPECT_TRUE(nvenc0);
  EXPECT_TRUE(ofa);
  EXPECT_DOUBLE_EQ(*temp(r, "soc345"), 56.062);
  ASSERT_EQ(r.rails.size(), 4u);
  EXPECT_EQ(r.total_rule, "input rail VIN");  // the INA238 input rail; sub-rails are never added to it
  EXPECT_DOUBLE_EQ(*r.total_power_mw, 61230);
  EXPECT_DOUBLE_EQ(*r.total_avg_mw, 60984);
  auto j = to_json(r);
  EXPECT_EQ(j["total_rule"], "input rail VIN");
  EXPECT_EQ(j["gpu"]["mhz"], 1575);
  EXPECT_TRUE(j["gpu"]["load_pct"].is_null());
}

TEST(Tegrastats, OrinNanoSuperJetPack62) {
  auto r = fixture("orin-nano-super-jp6.2.log").at(0);
  EXPECT_TRUE(r.other.empty());
  ASSERT_EQ(r.cpus.size(), 6u);
  EXPECT_DOUBLE_EQ(*r.cpus[0].mhz, 1728);
  EXPECT_DOUBLE_EQ(r.gpu->mhz.at(0), 1020);
  EXPECT_DOUBLE_EQ(r.emc->mhz.at(0), 3199);
  EXPECT_EQ(r.total_rule, "input rail VDD_IN");
  EXPECT_DOUBLE_EQ(*r.total_power_mw, 21540);
}

TEST(Tegrastats, OtherVariantsOffLoadOnlyUnitlessThreeValuesAndUnknownFields) {
  auto recs = fixture("variants.log");
  ASSERT_EQ(recs.size(), 2u);
  const auto& a = recs[0];
  EXPECT_TRUE(a.gpu->off);
  EXPECT_TRUE(a.gpu->mhz.empty());
  EXPECT_FALSE(temp(a, "cv0").has_value());  // -256C: absent
  EXPECT_DOUBLE_EQ(*temp(a, "tj"), 52.5);    // another suffix after the C
  ASSERT_EQ(a.rails.size(), 2u);
  EXPECT_DOUBLE_EQ(*a.rails[0].max_mw, 9500);  // three values without "mW"
  EXPECT_DOUBLE_EQ(*a.total_power_mw, 9000);
  ASSERT_EQ(a.other.size(), 1u);
  EXPECT_EQ(a.other[0].name, "NEWENGINE_FREQ");
  EXPECT_EQ(a.other[0].text, "~7");
  EXPECT_EQ(to_json(a)["other"]["NEWENGINE_FREQ"], "~7");
  const auto& b = recs[1];
  EXPECT_DOUBLE_EQ(*b.gpu->load_pct, 55);
  EXPECT_TRUE(b.gpu->mhz.empty());
  EXPECT_DOUBLE_EQ(*b.total_power_mw, 12000);
  TegrastatsParseOptions strict;
  strict.strict = true;
  EXPECT_THROW(parse_tegrastats_log(util::read_text_file(std::string(MODEWISE_SOURCE_DIR) +
                                                         "/tests/fixtures/tegrastats/variants.log"),
                                    "variants.log", strict),
               Error);
}
