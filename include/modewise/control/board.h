// Discovery of a Jetson board under a sysfs root (docs/HARDWARE.md): model (/proc/device-tree/model), SoC
// (/proc/device-tree/compatible) and L4T release (/etc/nv_tegra_release); CPUs, their clusters (cpufreq policies) and
// available frequencies (kHz); the GPU devfreq directory, found by scanning /sys/class/devfreq: the node named
// gpu-gpc-0 (JetPack 7, Thor), else a device whose of_node name is one of {ga10b, gv11b, gp10b, gm20b, gpu}
// (gpu-nvd-0 is a video engine, never the GPU); its frequencies (Hz); the memory clock: the EMC cap file with the
// EMC table, or (Thor) the devfreq node bwmgr with its own min/max; the INA3221/INA238 rails and which one is the
// total; the board's own nvpmodel.conf (/etc/nvpmodel.conf), whose presets replace the built-in ones by NAME.
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
  std::string of_node_name;  // "ga10b", "gpu", ... ("" when found by its devfreq name)
  std::string found_by;      // "of_node name ga10b" or "devfreq name gpu-gpc-0"
  std::vector<long long> available_hz;  // ascending
  std::string load_file;     // GPU load in 0..1000 (empty when not found)
};

struct EmcControl {
  std::string cap_file;                 // /sys/kernel/nvpmodel_emc_cap/emc_iso_cap (Hz); empty: no cap control
  std::string devfreq_dir;              // Thor: the bwmgr devfreq directory (min_freq = max_freq pins it); or empty
  std::vector<long long> available_hz;  // ascending
  std::string table_source;             // the file it came from, or "built-in table of <device>"
};

struct JetsonBoard {
  std::string model;        // "NVIDIA Jetson AGX Orin Developer Kit"
  std::string l4t_release;  // "R35.2.1"; empty when /etc/nv_tegra_release is absent
  std::string jetpack;      // "JetPack 5" ... from the L4T major release (R32 4, R35 5, R36 6, R38 7); "" unknown
  std::string soc;          // "tegra234", "tegra264", ... from /proc/device-tree/compatible; "" unknown
  std::string builtin;      // matching built-in device ("orin-agx", ...), empty when none
  std::vector<int> cpus;    // present CPUs, ascending
  std::vector<std::pair<int, std::string>> online_files;  // CPUs that can be offlined: cpuN/online
  std::vector<CpuCluster> clusters;
  std::optional<GpuDevfreq> gpu;
  std::optional<EmcControl> emc;
  std::vector<telemetry::RailChannel> rails;
  std::string total_rule;           // "input rail VDD_IN", "sum of rails", ...
  std::string nvpmodel_conf;        // board path of the nvpmodel.conf read ("" when absent or unreadable)
  std::vector<device::Preset> presets;  // from that file (caps in MHz, 0 = uncapped); empty: the built-in presets
  std::vector<std::string> notes;   // what discovery could not read and assumed instead
};

// Throws Error when the root has no CPU frequency control (not a Jetson, or a wrong --sysfs-root).
JetsonBoard discover_board(const telemetry::SysfsRoot& root);

// The board as a DeviceSpec: discovered tables and clusters; the other facts (CUDA cores, bus width, grids,
// presets) from the matching built-in device, the presets from the board's nvpmodel.conf where it has one, and the
// published grids mapped onto the board's tables (device::map_grid_to_tables): grid values without a close match are
// described in `warnings` (one line per grid). Throws Error when a table is missing (names what could not be read).
device::DeviceSpec board_spec(const JetsonBoard& board, std::vector<std::string>* warnings = nullptr);

nlohmann::json to_json(const JetsonBoard& board);

// "# R35 (release), REVISION: 2.1, GCID: ..." -> "R35.2.1"; "" when the text does not look like one.
std::string parse_l4t_release(std::string_view text);
// "NVIDIA Jetson AGX Orin Developer Kit" -> "orin-agx"; "" when no built-in device matches (Thor has none).
std::string builtin_for_model(std::string_view model);
// "R36.4.3" -> "JetPack 6"; "" when unknown.
std::string jetpack_for_release(std::string_view l4t_release);

}  // namespace modewise::control
