// The one validation of profile rows, used by every reader of profiles (fit, transfer, predict, eval transfer,
// replay:, db import) so a file is accepted or rejected the same way everywhere. Errors name file:line: field and
// what was expected. Checked per row:
//   - clocks in (0, 1e5] MHz, time_ms in (0, 1e8], power_w in (0, 1e4], energy_j in [0, 1e12], time_sd_ms and power_sd_w >= 0 and finite
//     (parse_profile_csv already rejects text that is no finite number);
//   - samples a whole number from 0 to 1e9;
//   - provenance one of the values of profile.h (is_valid_provenance) or empty;
//   - stall_fraction, gpu_util, cpu_util in [0, 1]; fetch_ms, mem_used_mb, warmup_minibatches >= 0;
//   - the mode against the device: core count from min_cores to the device's cores, and each clock within the range
//     of the device's own frequency table (not necessarily a table value: a board on another JetPack release has
//     another ladder), when the row names a built-in device (or the caller passes a device spec);
//   - duplicates: the same device, workload, task, batch size and mode on two lines (not for a characterization
//     CSV, whose rows differ by its swept columns: workers, storage, ...).
#pragma once
#include <string>
#include <string_view>

#include "modewise/device/device_spec.h"
#include "modewise/profile/profile.h"

namespace modewise::profile {

struct ValidationOptions {
  // Check every mode against this device's tables (e.g. fit --device). Null: rows whose device column names a
  // built-in device are checked against it; other rows only for plausible ranges.
  const device::DeviceSpec* device = nullptr;
  bool check_device_tables = true;
  bool reject_duplicates = true;
};

// Throws Error("<file>:<line>: field '<name>': expected ..., found ...") for the first bad row.
void validate_profile(const Profile& profile, const ValidationOptions& options = {});


// Upper bounds of the plausible ranges (documented in docs/PROFILING.md).
inline constexpr double kMaxTimeMs = 1e8;     // about 28 hours per minibatch
inline constexpr double kMaxPowerW = 1e4;     // 10 kW: far above any Jetson or single GPU
inline constexpr double kMaxEnergyJ = 1e12;
inline constexpr double kMaxClockMhz = 1e5;  // 100 GHz

}  // namespace modewise::profile
