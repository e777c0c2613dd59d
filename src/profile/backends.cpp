#include "modewise/profile/backends.h"

#include "modewise/control/jetson_backend.h"
#include "modewise/device/device_spec.h"
#include "modewise/profile/replay.h"
#include "modewise/sim/emulator.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::profile {

std::unique_ptr<device::Backend> open_backend(const std::string& spec, const BackendOptions& options) {
  if (util::starts_with(spec, "sim:"))
    return sim::make_sim_backend(device::resolve_device(spec.substr(4)), options.seed);
  if (util::starts_with(spec, "replay:")) {
    if (spec.size() == 7) throw UsageError("'replay:' needs a recorded profile: replay:<file.csv>");
    return make_replay_backend(spec.substr(7));
  }
  if (spec == "jetson") return control::make_jetson_backend(control::JetsonOptions::from_env(options.sysfs_root));
  if (util::starts_with(spec, "nvml:")) {
    long long index = -1;
    try {
      index = util::parse_int(spec.substr(5), "--device " + spec, "a GPU index");
    } catch (const Error&) {
    }
    if (index < 0 || index > 1024) throw UsageError("'{}': expected nvml:<GPU index>, e.g. nvml:0", spec);
    return control::make_nvml_backend(control::NvmlOptions::from_env(static_cast<unsigned>(index), options.sysfs_root));
  }
  throw UsageError("unknown device backend '{}' (expected sim:<device>, replay:<file.csv>, jetson or nvml:<index>)",
                   spec);
}

}  // namespace modewise::profile
