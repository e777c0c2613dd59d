// Synthetic workloads for the predict tests: time and power from a small roofline-like formula (GPU work over
// the GPU and memory clocks, a launcher over the CPU clock, a DataLoader over min(cores, 4) x CPU clock; DVFS
// power), so tests do not depend on the emulator's calibration. Not measurements, not the emulator.
#pragma once
#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "modewise/device/device_spec.h"
#include "modewise/device/grid.h"
#include "modewise/profile/profile.h"
#include "modewise/util/error.h"

namespace modewise::test {

// The AGX Orin description every predict test uses.
inline const device::DeviceSpec& orin() {
  static const device::DeviceSpec s = device::builtin_device("orin-agx");
  return s;
}

// The message of the modewise::Error f throws, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

struct SyntheticWorkload {
  std::string name = "synthetic";
  double gpu_work = 40, mem_work = 20, launch = 12, loader = 30;  // ms at 1 GHz-ish scales
  double gpu_activity = 1.0;
};

inline profile::ProfileRow synthetic_row(const device::DeviceSpec& spec, const SyntheticWorkload& w,
                                         const device::PowerMode& m, double noise = 0, std::mt19937_64* rng = nullptr) {
  const double cpu = m.cpu_mhz / 1000, gpu = m.gpu_mhz / 1000, emc = m.emc_mhz / 1000;
  const double compute = w.gpu_work / gpu + w.mem_work / emc;
  const double data = w.loader / (std::min(m.cores, 4) * cpu);
  const double launch = w.launch / cpu;
  const double time = std::max({compute + 0.2 * launch, launch, data});
  const double util = compute / time;
  const double power = 6 + 0.25 * m.cores * cpu * cpu + 9 * w.gpu_activity * util * gpu * gpu * (0.6 + gpu) +
                       1.5 * emc * (0.3 + 0.7 * util);
  profile::ProfileRow r;
  r.device = spec.name;
  r.workload = w.name;
  r.task = "train";
  r.batch_size = 16;
  r.mode = m;
  r.provenance = "synthetic";
  std::normal_distribution<double> n(0, 1);
  r.time_ms = time * (1 + (rng ? noise * n(*rng) : 0));
  r.power_w = power * (1 + (rng ? noise * n(*rng) : 0));
  return r;
}

inline std::vector<profile::ProfileRow> synthetic_rows(const device::DeviceSpec& spec, const SyntheticWorkload& w,
                                                       const std::vector<device::PowerMode>& modes) {
  std::vector<profile::ProfileRow> out;
  for (const auto& m : modes) out.push_back(synthetic_row(spec, w, m));
  return out;
}

// n modes of the spec's powertrain grid, seeded.
inline std::vector<device::PowerMode> sample_grid(const device::DeviceSpec& spec, size_t n, uint64_t seed,
                                                  const std::string& grid = "powertrain") {
  auto modes = device::grid_modes(spec, grid);
  std::mt19937_64 rng(seed);
  std::shuffle(modes.begin(), modes.end(), rng);
  modes.resize(std::min(n, modes.size()));
  return modes;
}

inline double mape_pct(const std::vector<double>& pred, const std::vector<double>& truth) {
  double s = 0;
  for (size_t i = 0; i < pred.size(); ++i) s += std::abs(pred[i] / truth[i] - 1);
  return 100 * s / static_cast<double>(pred.size());
}

}  // namespace modewise::test
