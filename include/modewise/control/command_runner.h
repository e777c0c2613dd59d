// Running a user's command as the workload of a power mode (the `jetson` and `nvml:` backends' run()):
//   1. a private FIFO is created (mkdtemp under $TMPDIR) and its path passed as $MODEWISE_PIPE, with
//      $MODEWISE_MINIBATCHES (how many minibatches modewise wants) and any extra variables (MODEWISE_MODE, ...);
//   2. the power sampler starts, then `/bin/sh -c COMMAND` in its own process group, stdin from /dev/null and
//      stdout sent to modewise's stderr (stdout stays clean for CSV);
//   3. protocol lines (probe_protocol.h) become minibatch records on the sampler's clock (CLOCK_MONOTONIC);
//   4. after the requested number of minibatches the process group gets SIGTERM (SIGKILL after a grace period);
//      a command that ends by itself is fine as long as it reported at least one minibatch and exited with 0.
//   The group is led by a small supervisor (a forked copy of modewise that runs the shell as its child and exits with
//   its status): if modewise dies without stopping the command (kill -9), the kernel tells the supervisor
//   (PR_SET_PDEATHSIG) and it stops the whole group the same way, so no workload outlives modewise.
// A caught SIGINT/SIGTERM (SignalCatcher) stops the command and throws Interrupted.
#pragma once
#include <functional>
#include <map>
#include <string>

#include "modewise/device/backend.h"
#include "modewise/telemetry/power_sensor.h"
#include "modewise/telemetry/sysfs.h"

namespace modewise::control {

struct CommandOptions {
  double sample_interval_s = 0.005;  // power sampling (200 Hz)
  double stop_grace_s = 5;           // SIGTERM -> SIGKILL
  double idle_timeout_s = 900;       // no protocol line for this long: the command is stopped, Error
  std::string gpu_load_file;         // board path of the GPU load (0..1000), sampled for gpu_util; empty: none
  std::map<std::string, std::string> env;  // extra environment for the command
  std::function<void(const std::string&)> log;
};

device::RunTrace run_command(const std::string& command, int minibatches, telemetry::PowerSensor& sensor,
                             const telemetry::SysfsRoot& root, const CommandOptions& options);

// The environment a command gets for a workload request and mode (MODEWISE_WORKLOAD, MODEWISE_TASK,
// MODEWISE_BATCH_SIZE, MODEWISE_WORKERS, MODEWISE_STORAGE, MODEWISE_MODE, MODEWISE_CORES, MODEWISE_CPU_MHZ, ...).
std::map<std::string, std::string> workload_env(const device::WorkloadRequest& w, const device::PowerMode& mode);

}  // namespace modewise::control
