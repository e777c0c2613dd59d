// One interface for every device backend: a real Jetson (control module), the emulator (sim:), a recorded
// profile (replay:), NVML. A backend applies a power mode, runs N minibatches of a workload and reports the
// minibatch timeline and board power samples. Where its numbers come from is part of its answer.
#pragma once
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "modewise/device/device_spec.h"
#include "modewise/device/power_mode.h"

namespace modewise::device {

// Where numbers come from. Every number printed from a non-measured backend is labelled with this.
enum class Provenance { measured, emulated, replayed };
std::string to_string(Provenance p);

struct WorkloadRequest {
  std::string workload;        // catalog name (resnet18, ...) or a user label
  std::string task = "train";  // "train" or "infer"
  int batch_size = 16;
  int workers = 4;               // DataLoader worker processes
  std::string storage = "nvme";  // sd, emmc, ssd, nvme, hdd (emulator); dataset medium (real board)
  std::string command;           // user command run per mode (jetson backend), empty otherwise
};

struct MinibatchRecord {
  double start_s = 0;     // since the start of the run
  double time_ms = 0;     // wall time of the minibatch
  double fetch_ms = 0;    // part of it blocked waiting for data (fetch stall)
  double compute_ms = 0;  // part of it in forward/backward/optimizer
};

struct PowerSample {
  double t_s = 0;      // since the start of the run (monotonic clock)
  double power_w = 0;  // board total
};

constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

struct RunTrace {
  std::vector<MinibatchRecord> minibatches;
  std::vector<PowerSample> power;  // board power over the whole run, warm-up included
  double gpu_util = kUnknown;      // 0..1, mean over the run
  double cpu_util = kUnknown;      // 0..1 of online cores, mean over the run
  double mem_used_mb = kUnknown;
  std::map<std::string, double> extra;  // backend-specific metrics
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;  // "sim:orin-agx", "replay:file.csv", "jetson"
  virtual Provenance provenance() const = 0;
  // How the board total in PowerSample::power_w is formed, for metadata ("total_rule" in profile --json):
  // "input rail VIN", "sum of rails", "GPU board power (NVML)", ... "" when the backend does not say.
  virtual std::string total_rule() const { return ""; }
  virtual const DeviceSpec& spec() const = 0;
  // Set the power mode. Throws Error for a mode the board lacks.
  virtual void apply(const PowerMode& mode) = 0;
  virtual PowerMode current_mode() const = 0;
  // Run `minibatches` minibatches of the workload at the current mode (warm-up included).
  virtual RunTrace run(const WorkloadRequest& workload, int minibatches) = 0;
};

}  // namespace modewise::device
