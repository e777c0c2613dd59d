// The board emulator behind `sim:<device>`: time and power of a DNN workload at any power mode, built from
// first principles (GPU roofline over the workload's kernels, a single-threaded launcher whose cost scales
// with CPU clock, a DataLoader worker pool, storage bandwidth, imperfect overlap, DVFS power) and calibrated
// against published measurements (docs/EMULATOR.md). Its numbers are emulated, never measured.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "modewise/device/backend.h"
#include "modewise/device/device_spec.h"

namespace modewise::sim {

// Noise-free steady-state answer of the emulator for one workload at one mode.
struct Estimate {
  double time_ms = 0;        // mean time per minibatch
  double power_w = 0;        // mean board power while running
  double fetch_ms = 0;       // part of time_ms stalled waiting for data
  double compute_ms = 0;     // GPU-side time per minibatch (kernels)
  double launch_ms = 0;      // CPU-side launcher (Python main thread) time per minibatch
  double gpu_util = 0;       // 0..1
  double cpu_util = 0;       // 0..1 of online cores
  double mem_used_mb = 0;
  double energy_j() const { return time_ms / 1000.0 * power_w; }
};

// Names of the catalog workloads (resnet18, resnet50, mobilenetv3, yolov8n, bert-base, bert-large, lstm, ...).
std::vector<std::string> workload_names();
bool is_catalog_workload(const std::string& name);  // accepts aliases such as "mobnet"

// Noise-free estimate. Throws UsageError for an unknown workload or task, Error for a mode the device lacks.
Estimate estimate(const device::DeviceSpec& spec, const device::WorkloadRequest& workload,
                  const device::PowerMode& mode);

// A Backend that emulates `spec`: apply() checks the mode, run() draws per-minibatch noise, a warm-up phase
// and a power trace from the estimate. Deterministic for a given seed.
std::unique_ptr<device::Backend> make_sim_backend(const device::DeviceSpec& spec, uint64_t seed);

}  // namespace modewise::sim
