// The loader-bound transfer case two predict test files share: a reference that knows a DataLoader-bound regime
// (a poly fit of 300 synthetic modes) and NEW = the same workload 1.3x slower in every term. The bottleneck prior
// fitted only where NEW's loader is not the bottleneck cannot know that term; the plain correction can.
// Data: synthetic formulas (synthetic.h), not measurements.
#pragma once
#include <algorithm>

#include "modewise/predict/train.h"
#include "predict/synthetic.h"

namespace modewise::test {

// Share of the mode's minibatch time taken by w's DataLoader term (1: loader-bound), from synthetic_row's formula.
inline double loader_share(const SyntheticWorkload& w, const device::PowerMode& m) {
  return w.loader / (std::min(m.cores, 4) * m.cpu_mhz / 1000) / synthetic_row(orin(), w, m).time_ms;
}

struct LoaderBoundCase {
  SyntheticWorkload reference_workload;
  predict::PerfModel reference;  // poly fit of 300 seeded grid modes of reference_workload
  SyntheticWorkload slower;      // NEW: every time term x1.3
};

inline const LoaderBoundCase& loader_bound_case() {
  static const LoaderBoundCase c = [] {
    LoaderBoundCase out;
    out.reference_workload.loader = 300;
    predict::FitOptions f;
    f.method = "poly";
    out.reference = predict::fit_model(
        orin(), synthetic_rows(orin(), out.reference_workload, sample_grid(orin(), 300, 1)), f, "ref.csv");
    out.slower = out.reference_workload;
    out.slower.name = "slower";
    for (double* term : {&out.slower.gpu_work, &out.slower.mem_work, &out.slower.launch, &out.slower.loader})
      *term *= 1.3;
    return out;
  }();
  return c;
}

}  // namespace modewise::test
