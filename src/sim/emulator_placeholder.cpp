// Placeholder until the emulator lands (replaced by src/sim/*.cpp).
#include "modewise/sim/emulator.h"
#include "modewise/util/error.h"

namespace modewise::sim {
std::vector<std::string> workload_names() { return {}; }
bool is_catalog_workload(const std::string&) { return false; }
Estimate estimate(const device::DeviceSpec&, const device::WorkloadRequest&, const device::PowerMode&) {
  throw Error("emulator not built yet");
}
std::unique_ptr<device::Backend> make_sim_backend(const device::DeviceSpec&, uint64_t) {
  throw Error("emulator not built yet");
}
}  // namespace modewise::sim
