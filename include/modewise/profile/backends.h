// The backend factory: one place that knows every kind of device backend.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "modewise/device/backend.h"

namespace modewise::profile {

struct BackendOptions {
  std::string sysfs_root = "/";
  uint64_t seed = 1;
};

// "sim:<device>" | "replay:<file.csv>" | "jetson" | "nvml:<index>". Throws UsageError naming the known kinds.
std::unique_ptr<device::Backend> open_backend(const std::string& spec, const BackendOptions& options);

}  // namespace modewise::profile
