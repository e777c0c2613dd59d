// INA3221 power rails of a Jetson, in both driver layouts (docs/HARDWARE.md, FACTS.md §2):
//   JetPack 5+: /sys/bus/i2c/drivers/ina3221/<bus-addr>/hwmon/hwmonN/  inK_label, inK_input (mV), currK_input (mA)
//   JetPack 4:  /sys/bus/i2c/drivers/ina3221x/<bus-addr>/iio:deviceN/  rail_name_K, in_voltageK_input (mV),
//               in_currentK_input (mA), in_powerK_input (mW)
// Channels labelled "NC" and the "sum of shunt voltages" channel are skipped. Thor's TI INA238 (the carrier-board
// input rail "VIN": in1_input mV, curr1_input mA, power1_input uW) is found like the hwmon INA3221 devices: through
// /sys/bus/i2c/drivers/<ina3221|ina238>/*/hwmon/hwmonN/ and by scanning /sys/class/hwmon/*/name (each device once).
// Other hwmon devices, USB-C "ucsi" power-supply entries among them, are not rails.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "modewise/telemetry/sysfs.h"

namespace modewise::telemetry {

struct RailChannel {
  std::string name;          // label as the driver reports it, e.g. "VDD_GPU_SOC"
  std::string layout;        // "hwmon" or "iio"
  std::string chip;          // "ina3221" or "ina238"
  std::string device;        // board path of the hwmon/iio directory
  std::string voltage_file;  // mV
  std::string current_file;  // mA
  std::string power_file;    // iio in_powerK_input (mW) or INA238 power1_input (uW); empty when absent
  double power_file_mw_per_unit = 1.0;  // 0.001 for uW
};

// The rail that is the board total, by name: VDD_IN, POM_5V_IN or VIN, in that order of preference.
// nullopt when none is present: the total is then the sum of the rails (AGX Orin, AGX Xavier).
std::optional<size_t> total_rail_index(const std::vector<std::string>& rail_names);
// "input rail VDD_IN" (POM_5V_IN, VIN) or "sum of rails": how the total is formed, for messages and JSON
// ("total_rule" in tegrastats and monitor JSON, the board description and profile metadata).
std::string total_rule(const std::vector<std::string>& rail_names);
// Whether a label names a real rail (not "NC", not the shunt-voltage sum channel, not empty).
bool is_real_rail(const std::string& label);

// Every rail under the root, hwmon layouts first, each device in path order, channels in index order.
std::vector<RailChannel> discover_rails(const SysfsRoot& root);

// Power of one rail in milliwatts: in_powerK_input when the driver has it, else mV * mA / 1000.
// Throws Error naming the file when a value cannot be read.
double read_rail_mw(const SysfsRoot& root, const RailChannel& rail);

}  // namespace modewise::telemetry
