// Power sensors: one interface for the Jetson INA3221 rails, NVML and synthetic curves (tests, demos).
// A sensor reports instantaneous power per channel; channel 0 is always "total" (the board total chosen by the
// rules in rails.h, or the GPU for NVML). Energy comes from the sampler's trapezoidal integration (sampler.h),
// or from the sensor's own counter where it has one (NVML), reported separately.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "modewise/telemetry/rails.h"
#include "modewise/telemetry/sysfs.h"

namespace modewise::telemetry {

struct Reading {
  std::vector<double> power_w;   // per channel, index-aligned with PowerSensor::channels(); [0] = total
  double counter_energy_j = -1;  // the sensor's own cumulative energy counter for the total; < 0: none
};

class PowerSensor {
 public:
  virtual ~PowerSensor() = default;
  virtual std::string name() const = 0;                   // "ina3221", "nvml:0", "synthetic"
  virtual std::vector<std::string> channels() const = 0;  // "total" first, then rails
  virtual std::string total_rule() const = 0;             // e.g. "VDD_IN", "sum of rails", "GPU"
  // One reading now. `t_s` is the monotonic time of the reading (synthetic sensors use it; real ones ignore it).
  // Throws Error when a rail cannot be read.
  virtual Reading read(double t_s) = 0;
};

// INA3221 (and Thor's INA238) rails under a root (hwmon or iio); name() is "ina3221" or "ina3221+ina238", followed
// by " (<note>)" when a note is given. Throws Error listing the searched directories when none exist.
std::unique_ptr<PowerSensor> make_ina3221_sensor(const SysfsRoot& root, const std::string& note = "");
// A synthetic sensor: power_w(t_s) per rail; total = sum of rails (or the rail named by total_rails' rule).
std::unique_ptr<PowerSensor> make_function_sensor(std::vector<std::string> rails,
                                                  std::function<std::vector<double>(double t_s)> power_w);

// "jetson" (INA3221 under the root) or "nvml:<index>". Throws UsageError naming the known kinds. When NVML answers
// NotSupported for power (NVML on a Jetson), "nvml:<index>" falls back to the INA rails under the root and its
// name() says so; with no rails either, Error.
std::unique_ptr<PowerSensor> open_power_sensor(const std::string& kind, const SysfsRoot& root);

}  // namespace modewise::telemetry
