// The state file (JSON written before the first write to the board): 100,000 random and mutated files.
#include "fuzz/fuzz.h"
#include "modewise/control/state_file.h"

#include <nlohmann/json.hpp>

using namespace modewise;

namespace {
std::string sample_state() {
  control::SavedState s;
  s.pid = 1234;
  s.pid_start_ticks = 99;
  s.sysfs_root = "/";
  s.created_utc = "2026-01-01T00:00:00Z";
  s.applied_mode = "4c/1344/612/2133";
  for (int cpu = 1; cpu < 3; ++cpu)
    s.state.cores.push_back({cpu, "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/online", cpu < 3});
  s.state.clocks.push_back({"cpu0-3", "kHz", "/sys/devices/system/cpu/cpufreq/policy0/scaling_min_freq",
                            "/sys/devices/system/cpu/cpufreq/policy0/scaling_max_freq", {0, 1, 2, 3}, 729600, 2201600});
  s.state.clocks.push_back({"gpu", "Hz", "/sys/class/devfreq/17000000.gpu/min_freq",
                            "/sys/class/devfreq/17000000.gpu/max_freq", {}, 306000000, std::nullopt});
  s.state.clocks.push_back({"emc", "Hz", "", "/sys/kernel/nvpmodel_emc_cap/emc_iso_cap", {}, std::nullopt, 0});
  return control::format_saved_state(s);
}
}  // namespace

TEST(FuzzStateFile, StateFilesParseOrFailWithAnError) {
  // Compact JSON keeps each input short (the sanitizer run parses 100,000 of them); the pretty form is covered by
  // the unit tests.
  auto compact = nlohmann::json::parse(sample_state()).dump();
  auto t = fuzz::run(0x57a7e, {compact}, 200, [](const std::string& in) {
    auto s = control::parse_saved_state(in, "state.json");
    for (const auto& c : s.state.cores) ASSERT_EQ(c.file.rfind("/sys/", 0), 0u);
  });
  EXPECT_GT(t.parsed, 100);
  EXPECT_GT(t.errors, 1000);
}
