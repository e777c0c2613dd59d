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

// "maxn", or an nvpmodel preset by name ("MODE_30W", "30w") or id ("preset:2"). Caps are snapped down to the
// device's tables. Throws UsageError listing the names.
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
