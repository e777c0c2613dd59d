// The real-hardware backends behind `--device jetson` and `--device nvml:N` (measured numbers).
//   jetson: discovers the board under the sysfs root (board.h); apply() sets the mode through a ModeController
//           (state file, safe order, read-back, restore on destruction) and waits `settle_s` (default 0: the
//           campaign settles, `profile --settle-ms`); run() runs the user's
//           command (WorkloadRequest::command) with the probe protocol while sampling the INA3221 rails.
//   nvml:N: a discrete NVIDIA GPU through NVML; reads power, the energy counter and clocks. apply() changes clocks
//           (locked GPU and memory clocks) only with allow_writes (MODEWISE_NVML_ALLOW_WRITES=1); without it, a mode
//           other than the current clocks is refused. CPU cores and frequency are not controlled.
// Both check for a caught SIGINT/SIGTERM (SignalCatcher, installed from the first apply()) and throw Interrupted;
// destroying the backend then restores the board.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "modewise/device/backend.h"

namespace modewise::control {

struct JetsonOptions {
  std::string sysfs_root = "/";
  std::string state_dir;             // "" = StateStore::default_dir()
  double sample_interval_s = 0.005;  // INA3221 sampling (200 Hz)
  double settle_s = 0;               // wait after a mode change (`profile` settles itself: --settle-ms)
  std::function<void(const std::string&)> log;
  // MODEWISE_STATE_DIR, MODEWISE_SAMPLE_INTERVAL_MS, MODEWISE_SETTLE_S override the defaults.
  static JetsonOptions from_env(const std::string& sysfs_root);
};

std::unique_ptr<device::Backend> make_jetson_backend(const JetsonOptions& options);

struct NvmlOptions {
  unsigned index = 0;
  bool allow_writes = false;  // MODEWISE_NVML_ALLOW_WRITES=1
  std::string sysfs_root = "/";  // for /proc/stat and the host CPU frequency
  double sample_interval_s = 0.01;
  std::function<void(const std::string&)> log;
  static NvmlOptions from_env(unsigned index, const std::string& sysfs_root);
};

std::unique_ptr<device::Backend> make_nvml_backend(const NvmlOptions& options);

}  // namespace modewise::control
