// nvpmodel.conf: 100,000 random and mutated inputs (slices of NVIDIA's files), and format_power_model on what parses.
#include "fuzz/fuzz.h"
#include "modewise/telemetry/nvpmodel.h"
#include "modewise/util/strings.h"

#include <nlohmann/json.hpp>

using namespace modewise;

TEST(FuzzNvpmodel, ConfsParseOrFailWithAnError) {
  std::vector<std::string> seeds;
  for (const char* f : {"nvpmodel/nvpmodel_p3701_0000.conf", "nvpmodel/nvpmodel_p3767_0000.conf"}) {
    auto lines = util::split(fuzz::fixture_text(f), '\n');
    // Slices keep each input small (fast under sanitizers) while covering every section kind; a PARAM section
    // and a POWER_MODEL section are glued so that derived caps are computed.
    for (size_t start = 0; start + 8 < lines.size(); start += 7) {
      std::string s;
      for (size_t i = start; i < std::min(lines.size(), start + 40); ++i) s += lines[i] + "\n";
      seeds.push_back(s);
    }
  }
  seeds.push_back(
      "< PARAM TYPE=FILE NAME=CPU_ONLINE >\nCORE_0 /sys/devices/system/cpu/cpu0/online\nCORE_1 "
      "/sys/devices/system/cpu/cpu1/online\n< PARAM TYPE=CLOCK NAME=CPU_A78_0 >\nMAX_FREQ "
      "/sys/devices/system/cpu/cpu0/cpufreq/scaling_max_freq\n< PARAM TYPE=CLOCK NAME=GPU >\nMAX_FREQ /g\n"
      "< PARAM TYPE=CLOCK NAME=EMC >\nMAX_FREQ /e\n< POWER_MODEL ID=0 NAME=MAXN >\nCPU_ONLINE CORE_0 1\n"
      "CPU_ONLINE CORE_1 0\nCPU_A78_0 MAX_FREQ 1113600\nGPU MAX_FREQ 408000000\nEMC MAX_FREQ 0\n"
      "< PM_CONFIG DEFAULT=0 >\n");
  auto t = fuzz::run(0x4e5b, seeds, 200, [](const std::string& in) {
    auto conf = telemetry::parse_nvpmodel_conf(in, "fuzz.conf");
    (void)telemetry::to_json(conf).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    try {
      (void)telemetry::format_power_model(conf, {1, 729.6, 306, 2133}, 99, "FUZZ");
    } catch (const Error&) {
      // most slices lack the PARAMs a block needs: a clear error is the right answer, the parse still counts
    }
  });
  EXPECT_GT(t.parsed, 100);
  EXPECT_GT(t.errors, 1000);
}
