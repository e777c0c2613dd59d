// Discovery of a Jetson board under a sysfs root (docs/HARDWARE.md): model (/proc/device-tree/model) and L4T
// release (/etc/nv_tegra_release); CPUs, their clusters (cpufreq policies) and available frequencies (kHz); the GPU
// devfreq directory, found through /sys/class/devfreq/*/device/of_node/name in {ga10b, gv11b, gp10b, gm20b, gpu},
// and its frequencies (Hz); the EMC cap file and EMC table; the INA3221 rails and which one is the total.
// The tables come from the board: built-in device facts are used only where the board does not say (the EMC
// table needs debugfs, readable by root only), and every such guess is listed in JetsonBoard::notes.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "modewise/device/device_spec.h"
#include "modewise/telemetry/rails.h"
#include "modewise/telemetry/sysfs.h"

namespace modewise::control {

struct CpuCluster {
  std::vector<int> cpus;                  // related CPUs, ascending
  std::string freq_dir;                   // board path of the cpufreq policy directory
  std::vector<long long> available_khz;   // ascending
};

struct GpuDevfreq {
  std::string dir;           // board path of the devfreq directory (min_freq, max_freq, available_frequencies)
  std::string of_node_name;  // "ga10b", "gpu", ...
  std::vector<long long> available_hz;  // ascending
  std::string load_file;     // GPU load in 0..1000 (empty when not found)
};

struct EmcControl {
  std::string cap_file;                 // /sys/kernel/nvpmodel_emc_cap/emc_iso_cap (Hz); empty: no cap control
  std::vector<long long> available_hz;  // ascending
  std::string table_source;             // the file it came from, or "built-in table of <device>"
};

struct JetsonBoard {
  std::string model;        // "NVIDIA Jetson AGX Orin Developer Kit"
  std::string l4t_release;  // "R35.2.1"; empty when /etc/nv_tegra_release is absent
  std::string builtin;      // matching built-in device ("orin-agx", ...), empty when none
  std::vector<int> cpus;    // present CPUs, ascending
  std::vector<std::pair<int, std::string>> online_files;  // CPUs that can be offlined: cpuN/online
  std::vector<CpuCluster> clusters;
  std::optional<GpuDevfreq> gpu;
  std::optional<EmcControl> emc;
  std::vector<telemetry::RailChannel> rails;
  std::string total_rule;           // "VDD_IN", "sum of rails", ...
  std::vector<std::string> notes;   // what discovery could not read and assumed instead
};

// Throws Error when the root has no CPU frequency control (not a Jetson, or a wrong --sysfs-root).
JetsonBoard discover_board(const telemetry::SysfsRoot& root);

// The board as a DeviceSpec: discovered tables and clusters; the other facts (CUDA cores, bus width, grids,
// presets) from the matching built-in device, grids restricted to values the board has. Throws Error when a table
// is missing (names what could not be read).
device::DeviceSpec board_spec(const JetsonBoard& board);

nlohmann::json to_json(const JetsonBoard& board);

// "# R35 (release), REVISION: 2.1, GCID: ..." -> "R35.2.1"; "" when the text does not look like one.
std::string parse_l4t_release(std::string_view text);
// "NVIDIA Jetson AGX Orin Developer Kit" -> "orin-agx"; "" when no built-in device matches.
std::string builtin_for_model(std::string_view model);

}  // namespace modewise::control
