// Shared by the characterization tests: an emulated sweep definition on sim:orin-agx.
#pragma once
#include <string>
#include <vector>

#include "modewise/device/grid.h"
#include "modewise/profile/characterize.h"

namespace modewise::profile::test {

inline device::DeviceSpec orin() { return device::builtin_device("orin-agx"); }

// A characterization of `workload` on sim:orin-agx over `sweeps` ("workers=0,2", ...); MAXN when no mode sweep.
inline CharacterizationSpec sim_spec(const std::string& workload, const std::vector<std::string>& sweeps) {
  CharacterizationSpec s;
  s.backend = "sim:orin-agx";
  s.device = "orin-agx";
  s.provenance = "emulated";
  s.workload.workload = workload;
  s.minibatches = 30;
  for (const auto& w : sweeps) parse_sweep(w, orin(), s.axes);
  if (s.axes.modes.empty()) s.axes.modes = {{"maxn", orin().maxn()}};
  return s;
}

}  // namespace modewise::profile::test
