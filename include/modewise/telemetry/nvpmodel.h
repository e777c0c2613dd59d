// NVIDIA's nvpmodel.conf (/etc/nvpmodel.conf; fixtures in tests/fixtures/nvpmodel/), parsed leniently: section
// headers "< PARAM TYPE=.. NAME=.. >", "< POWER_MODEL ID=.. NAME=.. >", "< PM_CONFIG DEFAULT=.. >" with any spacing
// (also "<PARAM" and "ID = 3"), '#' comments, unknown sections skipped. Units as NVIDIA writes them: CPU
// MIN_FREQ/MAX_FREQ in kHz, GPU and EMC in Hz, -1 = no cap, EMC MAX_FREQ 0 = the maximum.
// Errors name "<file>:<line>", what was found and what was expected.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "modewise/device/power_mode.h"

namespace modewise::telemetry {

struct NvpParam {
  std::string type;  // "FILE" or "CLOCK"
  std::string name;  // "CPU_ONLINE", "CPU_A78_0", "GPU", "EMC", ...
  std::vector<std::pair<std::string, std::string>> args;  // ARG_NAME -> path
  int line = 0;
  int cpu_leader = -1;  // CLOCK params on /sys/devices/system/cpu/cpuN/cpufreq: N (first CPU of the cluster)
};

struct NvpSetting {
  std::string param, arg, value;
  int line = 0;
};

struct NvpClusterCap {
  std::string param;  // e.g. "CPU_A78_0"
  std::optional<double> min_mhz, max_mhz;  // nullopt: not set or no cap
};

struct NvpPowerModel {
  int id = 0;
  std::string name;
  int line = 0;
  std::vector<NvpSetting> settings;
  // Derived from the settings. nullopt = uncapped (or not set).
  std::optional<int> online_cores;  // CPU_ONLINE CORE_n 1 count; nullopt when the mode has no CPU_ONLINE settings
  std::vector<NvpClusterCap> cpu_clusters;
  std::optional<double> cpu_max_mhz;  // largest cap over the clusters the mode sets; null if any is uncapped
  std::optional<double> gpu_min_mhz, gpu_max_mhz;
  std::optional<double> emc_max_mhz;
};

struct NvpmodelConf {
  std::string source;
  std::vector<NvpParam> params;
  std::vector<NvpPowerModel> models;
  std::optional<int> default_id;
  const NvpPowerModel* find(int id) const;
  const NvpParam* param(std::string_view name) const;
};

NvpmodelConf parse_nvpmodel_conf(std::string_view text, const std::string& source);
NvpmodelConf read_nvpmodel_conf(const std::string& path);

nlohmann::json to_json(const NvpmodelConf& conf);

// A custom "< POWER_MODEL ID=id NAME=name >" block that pins `mode` with the conf's own PARAM names: the first
// `cores` CPUs online, every online cluster's MIN_FREQ = MAX_FREQ (kHz), GPU MIN_FREQ = MAX_FREQ (Hz) and the
// EMC cap (Hz). Throws Error when the conf lacks a needed PARAM or the mode has more cores than the conf knows.
std::string format_power_model(const NvpmodelConf& conf, const device::PowerMode& mode, int id,
                               const std::string& name);

}  // namespace modewise::telemetry
