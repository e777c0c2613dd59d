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

// One point against an estimate: relative errors and whether each is within the tolerance.
CheckRow check_row(const ReferencePoint& p, const Estimate& e, const Tolerance& tol);
// checked, failed, mean and max absolute errors of r.rows (excluded points left out).
void summarize(CheckResult& r);
CheckResult check_against_reference(const device::DeviceSpec& spec, const std::vector<ReferencePoint>& points,
                                    const Tolerance& tolerance = Tolerance{});

// Offline calibration helper (`sim-check --fit`): fits the calibrated parameters of the emulator to the points
// and returns a report of old -> new values. The emulator does not change; the values are copied by hand
// into src/sim/workloads.cpp and src/sim/model.h.
std::string fit_to_reference(const device::DeviceSpec& spec, const std::vector<ReferencePoint>& points,
                             const Tolerance& tolerance = Tolerance{});

// The number of parameters `fit_to_reference` fits for these points (11 global + 6 per workload with points) and
// the number of targets they are fitted to (time and power of every point not excluded).
int calibrated_parameter_count(const std::vector<ReferencePoint>& points);
int calibration_target_count(const std::vector<ReferencePoint>& points);

// Out-of-sample check of the calibration procedure (`sim-check --leave-one-out`). For each held-out group (a
// workload's points, or one point), the parameters are refitted on the other points from NEUTRAL starting
// values, with the prior pulling towards those neutral values (never towards the shipped constants, which were
// fitted with the held-out points), and the held-out points are predicted. With HoldOut::workload the held-out
// workload's own parameters have no data and keep their neutral values: the error a workload outside the
// calibration set can expect. Neutral values: the geometric centre of each parameter's search range; ops and
// kernels as counted from the model.
enum class HoldOut { workload, point };

struct LeaveOneOutResult {
  HoldOut unit = HoldOut::workload;
  Tolerance tolerance;
  int parameters = 0;            // fitted in the full-data refit (the full set less `fixed`)
  int targets = 0;               // of the full fit
  int refits = 0;
  CheckResult predicted;         // every point as predicted by the refit that did not see it
  CheckResult neutral_in_sample; // the full-data refit from the same neutral start, on its own data
  double seconds = 0;            // wall time of the whole check
};
// `fixed`: parameters held at their neutral values instead of fitted, by name ("kernels_fwd" for every workload's,
// "framework.overlap_rho" for one): to see whether fewer parameters predict better. Unknown names: UsageError.
LeaveOneOutResult leave_one_out(const device::DeviceSpec& spec, const std::vector<ReferencePoint>& points,
                                const Tolerance& tolerance = Tolerance{}, HoldOut unit = HoldOut::workload,
                                const std::vector<std::string>& fixed = {});

// Default location of the reference file in the source tree.
std::string default_reference_csv();

}  // namespace modewise::sim
