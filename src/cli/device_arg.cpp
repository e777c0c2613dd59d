#include "cli/device_arg.h"

#include "modewise/device/device_spec.h"
#include "modewise/profile/backends.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::cli {

namespace {
bool is_builtin(const std::string& name) {
  for (const auto& n : device::builtin_device_names())
    if (n == name) return true;
  return false;
}
}  // namespace

device::DeviceSpec resolve_device_arg(const std::string& arg, const GlobalOptions& global) {
  if (util::starts_with(arg, "sim:")) return device::resolve_device(arg.substr(4));
  if (util::starts_with(arg, "replay:") || arg == "jetson" || util::starts_with(arg, "nvml:"))
    return open_backend_arg(arg, global, 1)->spec();
  return device::resolve_device(arg);
}

std::unique_ptr<device::Backend> open_backend_arg(const std::string& arg, const GlobalOptions& global,
                                                  uint64_t seed) {
  profile::BackendOptions opts;
  opts.sysfs_root = global.sysfs_root;
  opts.seed = seed;
  if (is_builtin(arg) || (arg.size() > 5 && arg.substr(arg.size() - 5) == ".json"))
    return profile::open_backend("sim:" + arg, opts);
  return profile::open_backend(arg, opts);
}

}  // namespace modewise::cli
