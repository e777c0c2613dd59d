// Which board measured a row: the `board` column of profiles (docs/FLEET.md), so rows from many boards of the
// same model stay distinguishable after `db merge`.
#pragma once
#include <string>

namespace modewise::profile {

struct BoardIdentity {
  std::string name;    // what goes into the `board` column
  std::string source;  // "--board", the serial-number file it was read from, or "hostname"
};

// The files a board's serial number is read from, under `sysfs_root` ("" = "/"), first readable one wins:
// proc/device-tree/serial-number, sys/firmware/devicetree/base/serial-number (Jetson L4T exposes both; the
// value is NUL-terminated).
const char* const* serial_number_files();

// `override_name` (--board NAME) when not empty; else, for a real board (`measured`), the device-tree serial
// number under `sysfs_root` when one is readable and not empty; else the host name. Emulated and replayed runs
// never read a serial number: their rows are not measured on this board, the name only says where they ran
// (their provenance stays emulated/replayed). Throws UsageError for an override that is blank or has characters
// other than letters, digits and . _ - : @ (names go into CSV cells and file names).
BoardIdentity board_identity(const std::string& override_name, const std::string& sysfs_root, bool measured);

// The host name (gethostname), "unknown-host" when it cannot be read.
std::string host_name();

}  // namespace modewise::profile
