// nvpmodel.conf: NVIDIA's files parse with the right caps; spacing is lenient; errors name file:line.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "modewise/telemetry/nvpmodel.h"
#include "modewise/util/csv.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::telemetry;

namespace {
std::string fixture_path(const std::string& name) {
  return std::string(MODEWISE_SOURCE_DIR) + "/tests/fixtures/nvpmodel/" + name;
}
}  // namespace

TEST(Nvpmodel, AgxOrinConfHasFourModesAndDefault30W) {
  auto conf = read_nvpmodel_conf(fixture_path("nvpmodel_p3701_0000.conf"));
  ASSERT_EQ(conf.models.size(), 4u);
  EXPECT_EQ(*conf.default_id, 2);
  const auto& maxn = *conf.find(0);
  EXPECT_EQ(maxn.name, "MAXN");
  EXPECT_EQ(*maxn.online_cores, 12);
  EXPECT_FALSE(maxn.cpu_max_mhz);
  EXPECT_FALSE(maxn.gpu_max_mhz);
  EXPECT_FALSE(maxn.emc_max_mhz);  // EMC MAX_FREQ 0 = the maximum
  const auto& w15 = *conf.find(1);
  EXPECT_EQ(w15.name, "MODE_15W");
  EXPECT_EQ(*w15.online_cores, 4);
  EXPECT_DOUBLE_EQ(*w15.cpu_max_mhz, 1113.6);
  EXPECT_DOUBLE_EQ(*w15.gpu_max_mhz, 408);
  EXPECT_DOUBLE_EQ(*w15.emc_max_mhz, 2133);
  const auto& w30 = *conf.find(2);
  EXPECT_EQ(*w30.online_cores, 8);
  EXPECT_DOUBLE_EQ(*w30.cpu_max_mhz, 1728);
  EXPECT_DOUBLE_EQ(*w30.gpu_max_mhz, 612);
  EXPECT_FALSE(w30.emc_max_mhz);
  const auto& w50 = *conf.find(3);
  EXPECT_EQ(*w50.online_cores, 12);
  EXPECT_DOUBLE_EQ(*w50.cpu_max_mhz, 1497.6);
  EXPECT_DOUBLE_EQ(*w50.gpu_max_mhz, 816);
  EXPECT_EQ(conf.param("CPU_A78_1")->cpu_leader, 4);
}

TEST(Nvpmodel, OrinNxNanoConf) {
  auto conf = read_nvpmodel_conf(fixture_path("nvpmodel_p3767_0000.conf"));
  ASSERT_EQ(conf.models.size(), 4u);
  EXPECT_EQ(*conf.default_id, 2);
  EXPECT_EQ(conf.find(2)->name, "15W");
  EXPECT_EQ(*conf.find(0)->online_cores, 8);
  EXPECT_EQ(*conf.find(1)->online_cores, 4);
  EXPECT_DOUBLE_EQ(*conf.find(1)->cpu_max_mhz, 1190.4);
  EXPECT_DOUBLE_EQ(*conf.find(1)->emc_max_mhz, 2133);
  EXPECT_DOUBLE_EQ(*conf.find(3)->gpu_max_mhz, 408);
  auto j = to_json(conf);
  EXPECT_EQ(j["default_name"], "15W");
  EXPECT_TRUE(j["modes"][0]["cpu_max_mhz"].is_null());
  EXPECT_EQ(j["modes"][1]["cpu_max_mhz"], 1190.4);
}

TEST(Nvpmodel, LenientHeaders) {
  std::string text =
      "<PARAM TYPE = CLOCK NAME=GPU>\n"
      "MAX_FREQ /sys/devices/gpu/max_freq   # trailing comment\n"
      "\t<  POWER_MODEL   ID = 7   NAME=MY_MODE  >  \n"
      "GPU MAX_FREQ 612000000\n"
      "<PM_CONFIG DEFAULT=7>\n";
  auto conf = parse_nvpmodel_conf(text, "x.conf");
  ASSERT_EQ(conf.models.size(), 1u);
  EXPECT_EQ(conf.models[0].id, 7);
  EXPECT_EQ(conf.models[0].name, "MY_MODE");
  EXPECT_DOUBLE_EQ(*conf.models[0].gpu_max_mhz, 612);
  EXPECT_FALSE(conf.models[0].online_cores);
}

TEST(Nvpmodel, ErrorsNameFileAndLine) {
  auto message = [](const std::string& text) {
    try {
      parse_nvpmodel_conf(text, "bad.conf");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("GPU MAX_FREQ 1\n").find("bad.conf:1"), std::string::npos);
  EXPECT_NE(message("< POWER_MODEL NAME=X >\n").find("bad.conf:1: expected '< POWER_MODEL ID="), std::string::npos);
  EXPECT_NE(message("< PARAM TYPE=CLOCK NAME=GPU >\nMAX_FREQ /a\n< POWER_MODEL ID=1 NAME=A >\nGPU MAX_FREQ fast\n")
                .find("bad.conf:4"),
            std::string::npos);
  EXPECT_NE(message("< POWER_MODEL ID=1 NAME=A >\n< POWER_MODEL ID=1 NAME=B >\n").find("defined twice"),
            std::string::npos);
  EXPECT_NE(message("< POWER_MODEL ID=1 NAME=A >\n< PM_CONFIG DEFAULT=4 >\n").find("bad.conf:2"), std::string::npos);
  EXPECT_NE(message("# nothing\n").find("no '< POWER_MODEL"), std::string::npos);
}

TEST(Nvpmodel, WritesACustomPowerModelThatParsesBack) {
  auto conf = read_nvpmodel_conf(fixture_path("nvpmodel_p3701_0000.conf"));
  device::PowerMode mode{6, 1344.0, 624.75, 2133};
  std::string block = format_power_model(conf, mode, 10, "MODEWISE_6C");
  EXPECT_NE(block.find("< POWER_MODEL ID=10 NAME=MODEWISE_6C >"), std::string::npos);
  EXPECT_NE(block.find("CPU_ONLINE CORE_5 1"), std::string::npos);
  EXPECT_NE(block.find("CPU_ONLINE CORE_6 0"), std::string::npos);
  EXPECT_NE(block.find("CPU_A78_1 MAX_FREQ 1344000"), std::string::npos);
  EXPECT_EQ(block.find("CPU_A78_2"), std::string::npos);  // cluster 8-11 is offline
  std::string text = util::read_text_file(fixture_path("nvpmodel_p3701_0000.conf"));
  auto back = parse_nvpmodel_conf(text + "\n" + block, "appended.conf");
  const auto* m = back.find(10);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(*m->online_cores, 6);
  EXPECT_DOUBLE_EQ(*m->cpu_max_mhz, 1344);
  EXPECT_DOUBLE_EQ(*m->gpu_max_mhz, 624.75);
  EXPECT_DOUBLE_EQ(*m->gpu_min_mhz, 624.75);
  EXPECT_DOUBLE_EQ(*m->emc_max_mhz, 2133);
  EXPECT_THROW(format_power_model(conf, {13, 1344, 624.75, 2133}, 11, "X"), Error);
  EXPECT_THROW(format_power_model(conf, mode, 11, "has space"), Error);
}
