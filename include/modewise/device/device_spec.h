// What a board offers: CPU clusters and frequency tables, GPU, memory bus, power rails, named grids and
// nvpmodel presets. Built-in specs for orin-agx, xavier-agx and orin-nano (facts in docs/DEVICES.md);
// any other board can be described in a JSON file with the same fields (see data/devices/).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "modewise/device/power_mode.h"

namespace modewise::device {

// The axes of a grid: the cartesian product of these values.
struct GridAxes {
  std::vector<int> cores;
  std::vector<double> cpu_mhz, gpu_mhz, emc_mhz;
  size_t size() const { return cores.size() * cpu_mhz.size() * gpu_mhz.size() * emc_mhz.size(); }
};

// An nvpmodel preset: caps on cores and clocks (a cap of 0 means uncapped).
struct Preset {
  int id = 0;
  std::string name;  // e.g. "MAXN", "MODE_30W"
  int cores = 0;
  double cpu_max_mhz = 0, gpu_max_mhz = 0, emc_max_mhz = 0;
  bool needs_reboot = false;  // the board applies it only after a reboot (control/board.h); named_mode refuses it
  std::string reboot_reason;  // why, for the error message
};

struct DeviceSpec {
  std::string name;         // short id: "orin-agx"
  std::string description;  // "Jetson AGX Orin 64GB"
  std::vector<std::vector<int>> cpu_clusters;  // CPU ids per cluster, e.g. {{0,1,2,3},{4,5,6,7},{8,9,10,11}}
  int min_cores = 1;                           // CPU0 can never be offlined
  std::vector<double> cpu_mhz, gpu_mhz, emc_mhz;  // ascending frequency tables
  std::string cpu_arch, gpu_arch, mem_type;
  int gpu_cuda_cores = 0;
  int gpu_tensor_cores = 0;
  int mem_bus_bits = 0;
  double max_power_w = 0;             // module power envelope
  std::vector<std::string> rails;     // INA3221 rail names
  std::string total_rail;             // rail that is the board total; empty: total = sum of rails
  std::map<std::string, GridAxes> grids;  // named grids besides "full"
  std::vector<Preset> presets;

  int cpu_cores() const;
  double peak_fp32_gflops(double gpu_mhz) const;  // cores * 2 FLOP * f
  double peak_dram_gbps(double emc_mhz) const;    // f * 2 (DDR) * bus bytes
  PowerMode maxn() const;
  PowerMode min_mode() const;
};

// Built-in device names.
std::vector<std::string> builtin_device_names();
// A built-in device, or a JSON file path (anything ending in .json). Throws UsageError listing the names.
DeviceSpec resolve_device(const std::string& name_or_path);
DeviceSpec builtin_device(const std::string& name);
DeviceSpec load_device_json(const std::string& path);
DeviceSpec device_from_json(const nlohmann::json& j, const std::string& source);
nlohmann::json device_to_json(const DeviceSpec& spec);
// {"cores":..,"cpu_mhz":..,"gpu_mhz":..,"emc_mhz":..}: a mode as every --json output writes it.
nlohmann::json mode_to_json(const PowerMode& mode);

}  // namespace modewise::device
