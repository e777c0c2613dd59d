// A synthetic replay profile for CLI tests: modes of a published orin-agx grid with time and power from a formula
// (no measurement behind it; the tests only need a replayable, deterministic profile).
#pragma once
#include <fstream>
#include <string>

#include "modewise/device/grid.h"

namespace modewise::test {

struct SyntheticProfile {
  std::string grid = "fulcrum";  // which orin-agx grid the modes come from
  size_t stride = 1;             // row i is mode i * stride (mod the grid's size)
  double cores_ms = 0.0;         // time_ms gains cores_ms / cores (0: the time does not depend on the cores)
};

// Writes n rows (device orin-agx, workload toy, train, batch 16) to `path`; returns `path`.
inline std::string write_synthetic_profile(const std::string& path, size_t n, const SyntheticProfile& how = {}) {
  auto modes = modewise::device::grid_modes(modewise::device::builtin_device("orin-agx"), how.grid);
  std::ofstream f(path);
  f << "device,workload,task,batch_size,cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w\n";
  for (size_t i = 0; i < n; ++i) {
    const auto& m = modes[i * how.stride % modes.size()];
    f << "orin-agx,toy,train,16," << m.cores << "," << m.cpu_mhz << "," << m.gpu_mhz << "," << m.emc_mhz << ","
      << 50000.0 / m.gpu_mhz + 1000.0 / m.cpu_mhz + how.cores_ms / m.cores << "," << 8 + m.gpu_mhz / 60 + m.emc_mhz / 800
      << "\n";
  }
  return path;
}

}  // namespace modewise::test
