// Power-mode grids and named modes of a device.
#pragma once
#include <string>
#include <vector>

#include "modewise/device/device_spec.h"

namespace modewise::device {

// Names of the grids a device offers: "full" plus its named grids.
std::vector<std::string> grid_names(const DeviceSpec& spec);
GridAxes grid_axes(const DeviceSpec& spec, const std::string& grid);  // throws UsageError for unknown grids
// Every mode of a grid, ordered by cores, CPU, GPU, EMC.
std::vector<PowerMode> grid_modes(const DeviceSpec& spec, const std::string& grid);

// A published grid (powertrain, fulcrum) mapped onto a board's own tables (`tables`: cpu_mhz, gpu_mhz, emc_mhz,
// min_cores..cpu_cores()): every clock goes to the nearest table value, duplicates after mapping are dropped (order
// kept ascending), core counts the board cannot have are dropped. A clock whose nearest value is more than half a
// table step away (the gap to the neighbouring table value on its side; beyond either end of the table, the gap
// at that end) is listed in `far` as "gpu 114.75 -> 306", as is every dropped core count. Never collapses an
// axis to fewer values than it has distinct nearest matches.
struct GridMapping {
  GridAxes axes;
  std::vector<std::string> far;
};
GridMapping map_grid_to_tables(const GridAxes& wanted, const DeviceSpec& tables);

// "maxn", or an nvpmodel preset by name ("MODE_30W", "30w", "MAXN_SUPER") or id ("preset:2"). Caps are snapped
// down to the device's tables. Throws UsageError listing the names, and Error for a preset the board applies only
// after a reboot (Preset::needs_reboot: nothing is applied, the message names the mode and the reason).
PowerMode named_mode(const DeviceSpec& spec, const std::string& name);
std::vector<std::string> named_mode_names(const DeviceSpec& spec);

// Throws Error naming the first field whose value is not in the device's table and listing the valid values.
void validate_mode(const DeviceSpec& spec, const PowerMode& mode);
bool has_mode(const DeviceSpec& spec, const PowerMode& mode);
// Snap each clock to the nearest table value and clamp cores to the valid range.
PowerMode snap_mode(const DeviceSpec& spec, const PowerMode& mode);
// The largest table value <= cap (cap <= 0: the largest value).
double snap_down(const std::vector<double>& table_mhz, double cap_mhz);

}  // namespace modewise::device
