// Turning --device arguments into device specs and backends.
//   modes/predict/...: "orin-agx", "sim:orin-agx", "replay:FILE" (spec of the replayed device), "jetson", a .json file
//   profile/...:       "sim:<device>", "replay:FILE.csv", "jetson", "nvml:N"; a bare built-in name means sim:<name>
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "cli/command.h"
#include "modewise/device/backend.h"
#include "modewise/device/device_spec.h"

namespace modewise::cli {

device::DeviceSpec resolve_device_arg(const std::string& arg, const GlobalOptions& global);
std::unique_ptr<device::Backend> open_backend_arg(const std::string& arg, const GlobalOptions& global, uint64_t seed);

}  // namespace modewise::cli
