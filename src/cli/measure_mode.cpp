#include "cli/measure_mode.h"

#include <cmath>

#include "modewise/profile/replay.h"
#include "modewise/profile/warmup.h"
#include "modewise/sim/emulator.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::cli {

optimize::MeasuredPoint measure_mode(device::Backend& backend, const device::WorkloadRequest& workload,
                                     const device::PowerMode& mode) {
  backend.apply(mode);
  profile::RunSummary s = profile::summarize_run(backend.run(workload, kConfirmMinibatches), kConfirmWindowMinibatches);
  if (!std::isfinite(s.time_ms) || !(s.time_ms > 0) || !std::isfinite(s.power_w) || !(s.power_w > 0))
    throw Error("{}: no usable time and power for {} at mode {} (time {} ms, power {} W)", backend.name(),
                workload.workload, mode.key(), s.time_ms, s.power_w);
  return {s.time_ms, s.power_w};
}

optimize::MeasureFn mode_measurer(device::Backend& backend, const device::WorkloadRequest& workload) {
  return [&backend, workload](const device::PowerMode& m) { return measure_mode(backend, workload, m); };
}

void check_backend_workload(device::Backend& backend, const device::WorkloadRequest& workload) {
  if (auto* replay = dynamic_cast<profile::ReplayBackend*>(&backend)) {
    try {
      replay->modes_for(workload);  // throws, naming the file and the workloads it has
    } catch (const UsageError&) {
      throw;
    } catch (const Error& e) {
      throw UsageError("{}", e.what());
    }
  } else if (util::starts_with(backend.name(), "sim:") && !sim::is_catalog_workload(workload.workload)) {
    std::string names;
    for (const auto& n : sim::workload_names()) names += (names.empty() ? "" : ", ") + n;
    throw UsageError("unknown workload '{}' for the emulator (expected one of: {}); other workloads need "
                     "--device replay:FILE.csv or a real board",
                     workload.workload, names);
  }
}

}  // namespace modewise::cli
