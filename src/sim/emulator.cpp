// Public entry points of the emulator: catalog lookups and the noise-free estimate.
#include "modewise/sim/emulator.h"

#include "modewise/device/grid.h"
#include "modewise/util/error.h"
#include "sim/model.h"
#include "sim/workloads.h"

namespace modewise::sim {

std::vector<std::string> workload_names() {
  std::vector<std::string> names;
  for (const auto& w : detail::catalog()) names.push_back(w.name);
  return names;
}

bool is_catalog_workload(const std::string& name) {
  try {
    detail::find_workload(name);
    return true;
  } catch (const UsageError&) {
    return false;
  }
}

std::string canonical_workload(const std::string& name) { return detail::find_workload(name).name; }

MinibatchWork minibatch_work(const device::WorkloadRequest& workload) {
  detail::WorkloadParams w = detail::find_workload(workload.workload);
  detail::check_request(workload);
  return detail::model_work(w, workload, detail::Framework{});
}

Estimate estimate(const device::DeviceSpec& spec, const device::WorkloadRequest& workload,
                  const device::PowerMode& mode) {
  return estimate(spec, workload, mode, SimOptions{});
}

Estimate estimate(const device::DeviceSpec& spec, const device::WorkloadRequest& workload,
                  const device::PowerMode& mode, const SimOptions& options) {
  detail::WorkloadParams w = detail::find_workload(workload.workload);
  detail::check_request(workload);
  detail::storage_medium(workload.storage);  // validates the medium even when nothing is loaded
  device::validate_mode(spec, mode);
  return detail::model_estimate(spec, detail::device_coeffs(spec), detail::Framework{}, w, workload, mode, options);
}

double idle_power_w(const device::DeviceSpec& spec, const device::PowerMode& mode) {
  device::validate_mode(spec, mode);
  return detail::model_idle_power_w(spec, detail::device_coeffs(spec), mode);
}

}  // namespace modewise::sim
