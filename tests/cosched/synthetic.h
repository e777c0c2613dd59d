// A synthetic co-scheduling problem for tests: a 3 x 6 x 6 x 3 lattice with analytic, monotone time and
// power (time falls and power rises with every knob; an inference batch amortizes a fixed cost), so tests
// do not depend on the emulator's calibration.
#pragma once
#include <cmath>
#include <memory>

#include "modewise/cosched/oracle.h"

namespace modewise::cosched::test {

inline device::GridAxes synthetic_axes() {
  device::GridAxes a;
  a.cores = {4, 8, 12};
  a.cpu_mhz = {422.4, 729.6, 1036.8, 1344.0, 1651.2, 2201.6};
  a.gpu_mhz = {114.75, 318.75, 522.75, 726.75, 930.75, 1300.5};
  a.emc_mhz = {665.6, 2133, 3199};
  return a;
}

inline Workloads synthetic_workloads() { return {"synthetic-train", "synthetic-infer", 16, {1, 4, 16, 32}}; }

inline ModeProfile synthetic_profile(const device::PowerMode& m, const Workloads& w) {
  const double c = m.cpu_mhz / 2201.6, g = m.gpu_mhz / 1300.5, e = m.emc_mhz / 3199, k = m.cores / 12.0;
  ModeProfile p;
  const double data = 20.0 / (c * std::min(m.cores - 1, 4));  // DataLoader
  const double gpu = 60.0 / g + 25.0 / e;
  p.train.time_ms = std::max(data, gpu + 8.0 / c) + 0.2 * std::min(data, gpu);
  p.train.power_w = 6.0 + 2.5 * k * (0.4 + c * c) + 22.0 * g * g * g + 4.0 * e;
  for (int b : w.infer_batch_sizes) {
    TaskPoint t;
    t.time_ms = (1.5 + 0.35 * b) * (0.9 / g + 0.35 / e) + 2.0 / c;
    t.power_w = 5.5 + 2.0 * k * (0.3 + c * c) + 18.0 * g * g * g * (b / (b + 4.0)) + 3.5 * e;
    p.infer.push_back(t);
  }
  return p;
}

inline ProfileSource synthetic_source(const ModeLattice& lat, const Workloads& w) {
  return [lat, w](size_t i) { return synthetic_profile(lat.mode(i), w); };
}

inline std::shared_ptr<const ProfileTable> synthetic_table(const ModeLattice& lat, const Workloads& w) {
  return std::make_shared<const ProfileTable>(build_table(synthetic_source(lat, w), lat));
}

// The true best throughput for a budget (0 when nothing is feasible), by brute force.
inline double brute_force_optimum(const ProfileTable& t, const ModeLattice& lat, const Workloads& w, const Budget& b) {
  double best = 0;
  for (size_t i : lat.available_indices())
    for (size_t k = 0; k < w.infer_batch_sizes.size(); ++k) {
      Outcome o = evaluate(t[i].train, t[i].infer[k], w.train_batch_size, w.infer_batch_sizes[k], b.arrival_rate_per_s);
      if (check(o, b).ok()) best = std::max(best, o.train_throughput);
    }
  return best;
}

// The synthetic problem as the planner tests use it: its lattice, workloads and true table, an oracle on the table
// (optionally noisy), and the true outcome of a plan's answer.
struct SyntheticProblem {
  ModeLattice lat{synthetic_axes()};
  Workloads w = synthetic_workloads();
  std::shared_ptr<const ProfileTable> table = synthetic_table(lat, w);
  ProfileOracle oracle(NoiseModel noise = {}) const { return ProfileOracle(lat, w, table_source(table), noise); }
  Outcome truth(size_t mode_index, size_t batch_slot, double arrival_rate_per_s) const {
    const ModeProfile& m = (*table)[mode_index];
    return evaluate(m.train, m.infer[batch_slot], w.train_batch_size, w.infer_batch_sizes[batch_slot],
                    arrival_rate_per_s);
  }
};

}  // namespace modewise::cosched::test
