#include "modewise/profile/backends.h"

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
  throw UsageError("unknown device backend '{}' (expected sim:<device>, replay:<file.csv>, jetson or nvml:<index>)",
                   spec);
}

}  // namespace modewise::profile
