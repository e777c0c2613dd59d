// The emulator's model, with every coefficient explicit so calibration can vary them (src/sim/calibration.cpp).
#pragma once
#include <string>

#include "modewise/device/backend.h"
#include "modewise/device/device_spec.h"
#include "modewise/sim/emulator.h"
#include "sim/workloads.h"

namespace modewise::sim::detail {

// The software stack (PyTorch eager on Linux): the same on every device; CPU costs are in cycles of an
// A78AE core (a device's cpu_ipc converts). [fit] marks values fitted by `modewise sim-check --fit`.
struct Framework {
  double launch_kcycles_per_op = 132;         // [fit] Python + dispatcher per operator call (60 us at 2.2 GHz)
  double driver_kcycles_per_kernel = 6.27;    // [fit] cudaLaunchKernel per GPU kernel (2.8 us at 2.2 GHz)
  double host_mcycles_per_step_train = 3.3;   // loop, zero_grad, loss.item() per minibatch (1.5 ms at 2.2 GHz)
  double host_mcycles_per_step_infer = 0.434; // [fit] loop, input copy, output sync per minibatch
  double kernel_gpu_fixed_us = 1.44;          // [fit] per-kernel GPU overhead: launch latency + tail
  double kernel_gpu_kcycles = 2.0;            // per-kernel GPU overhead in GPU cycles (ramp up / drain)
  double serial_step_fixed_us = 5.68;         // [fit] latency of one dependent recurrent step (RNNs) ...
  double serial_step_kcycles = 8.0;           // ... plus this many GPU cycles
  double overlap_rho = 0.375;                 // [fit] T = max(launch, gpu) + rho * min(launch, gpu)
  double context_mb = 1200;                   // CUDA context + framework resident memory
};

// Per-device constants of the board (power coefficients and hardware rates). Defaults: AGX Orin.
struct DeviceCoeffs {
  double cpu_ipc = 1.0;                   // work per cycle relative to Cortex-A78AE
  double gpu_side_bytes_per_cycle = 512;  // SM -> L2 -> memory controller bytes per GPU cycle
  // power, at each domain's top frequency and voltage
  double board_static_w = 3.12;        // [fit] regulators, module, carrier, SYS5V
  double cpu_core_leak_w = 0.225;      // [fit] per online core, scales with V
  double cpu_core_dyn_w = 1.3;         // per fully busy core at top clock, scales with V^2 f
  double cpu_idle_activity = 0.04;     // activity of an idle online core (clock tree, ticks)
  double gpu_leak_w = 2.5;             // scales with V
  double gpu_dyn_w = 43;               // [fit] full-activity GPU at top clock, scales with V^2 f
  double gpu_busy_activity = 0.34;     // [fit] activity of SMs issuing work (compute or per-kernel overhead)
  double gpu_flop_activity = 1.0;      // extra activity per unit of achieved FLOP/s over peak
  double gpu_byte_activity = 2.28;     // [fit] activity per unit of DRAM traffic over the GPU-side byte rate
  double emc_static_min_w = 0.8;       // EMC + DRAM background at the lowest EMC clock
  double emc_static_max_w = 3.5;       // ... at the highest
  double mem_pj_per_byte = 40;         // DRAM + controller energy per byte moved
  double v_floor = 0.6;                // voltage at and below the knee, relative to top voltage
  double throttle_w = 0;               // board power at which the GPU clock is throttled; 0: 1.1 x max_power_w
  double v_knee = 0.4;                 // frequency (relative to top) above which voltage rises linearly
};

DeviceCoeffs device_coeffs(const device::DeviceSpec& spec);

struct Storage {
  double mb_per_s = 0;
  double latency_ms = 0;
};
Storage storage_medium(const std::string& name);  // throws UsageError listing the media

// The model. `mode` is not validated here (estimate() validates).
Estimate model_estimate(const device::DeviceSpec& spec, const DeviceCoeffs& dc, const Framework& fw,
                        const WorkloadParams& w, const device::WorkloadRequest& req, const device::PowerMode& mode,
                        const SimOptions& options);
MinibatchWork model_work(const WorkloadParams& w, const device::WorkloadRequest& req, const Framework& fw);
double model_idle_power_w(const device::DeviceSpec& spec, const DeviceCoeffs& dc, const device::PowerMode& mode);
// Relative voltage of a domain at f (top of its table = 1).
double rel_voltage(const DeviceCoeffs& dc, double f_mhz, double top_mhz);

// Validated request: known task, batch >= 1, workers >= 0 (throws UsageError).
void check_request(const device::WorkloadRequest& req);

}  // namespace modewise::sim::detail
