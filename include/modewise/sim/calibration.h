// Checking the emulator against real measurements: the reference points of
// data/pagoda-maxn-inference.csv (AGX Orin at MAXN, inference) and the per-point comparison that
// `modewise sim-check` prints.
#pragma once
#include <string>
#include <vector>

#include "modewise/device/device_spec.h"
#include "modewise/device/power_mode.h"
#include "modewise/sim/emulator.h"

namespace modewise::sim {

struct ReferencePoint {
  std::string source;      // "file.csv:12"
  std::string model;       // as written in the file ("mobnet")
  std::string workload;    // catalog name ("mobilenetv3")
  int batch_size = 0;
  device::PowerMode mode;
  double time_ms = 0;      // measured time per batch
  double power_w = 0;      // measured board power
  bool excluded = false;   // a known glitch in the source data
  std::string note;        // why it is excluded
};

// Reads model,bs,cores,cpu_khz,gpu_hz,mem_hz,observed_time_ms,observed_power_w. Marks the known glitch
// (resnet50 batch 32, power 18.355 W: a logging error in the source) as excluded. Throws Error naming
// file:line for a bad row or an unknown model.
std::vector<ReferencePoint> read_reference_csv(const std::string& path);

struct Tolerance {
  double time = 0.20;   // relative
  double power = 0.15;
};

struct CheckRow {
  ReferencePoint ref;
  Estimate est;               // emulated, noise-free
  double time_err = 0;        // (emulated - measured) / measured
  double power_err = 0;
  bool time_ok = false, power_ok = false;
  bool ok() const { return ref.excluded || (time_ok && power_ok); }
};

struct CheckResult {
  std::vector<CheckRow> rows;
  Tolerance tolerance;
  int checked = 0;            // points not excluded
  int failed = 0;             // checked points out of tolerance
  double time_mape = 0, power_mape = 0;           // over checked points
  double time_max_err = 0, power_max_err = 0;     // largest |relative error| over checked points
};

CheckResult check_against_reference(const device::DeviceSpec& spec, const std::vector<ReferencePoint>& points,
                                    const Tolerance& tolerance = Tolerance{});

// Offline calibration helper (`sim-check --fit`): fits the calibrated parameters of the emulator to the points
// and returns a report of old -> new values. The emulator does not change; the values are copied by hand
// into src/sim/workloads.cpp and src/sim/model.h.
std::string fit_to_reference(const device::DeviceSpec& spec, const std::vector<ReferencePoint>& points,
                             const Tolerance& tolerance = Tolerance{});

// Default location of the reference file in the source tree.
std::string default_reference_csv();

}  // namespace modewise::sim
