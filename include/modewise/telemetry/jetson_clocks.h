// `jetson_clocks --show` output (fixture: tests/fixtures/jetson_clocks/): machine, per-CPU online state and
// min/max/current frequency (kHz), GPU and EMC min/max/current (Hz), other engines, the nvpmodel mode name.
// Lines it does not know are ignored; a known line with a malformed value throws Error naming file:line.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace modewise::telemetry {

struct ClockRange {
  std::optional<long long> min, max, current;  // kHz for CPUs, Hz for GPU/EMC/engines
};

struct JetsonClocksCpu {
  int index = 0;
  bool online = true;
  std::string governor;
  ClockRange khz;
};

struct JetsonClocksShow {
  std::string soc_family, machine;  // "tegra234", "Jetson AGX Orin"
  std::vector<JetsonClocksCpu> cpus;  // sorted by index
  std::optional<ClockRange> gpu_hz, emc_hz;
  std::map<std::string, ClockRange> engines_hz;  // DLA0_CORE, PVA0_VPS, ...
  std::string power_mode;                        // "MAXN"
};

JetsonClocksShow parse_jetson_clocks_show(std::string_view text, const std::string& source);

}  // namespace modewise::telemetry
