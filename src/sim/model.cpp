// The emulator's equations (docs/EMULATOR.md, "Model"). Everything here is deterministic; noise and
// warm-up live in src/sim/backend.cpp.
#include "sim/model.h"

#include <algorithm>
#include <cmath>

#include "modewise/util/error.h"

namespace modewise::sim::detail {

namespace {

double frac_of_top(double f_mhz, const std::vector<double>& table) { return f_mhz / table.back(); }

DeviceCoeffs scaled_from_orin(const device::DeviceSpec& spec) {
  // A board described only by its JSON: scale the AGX Orin coefficients by GPU size, bus width and envelope.
  DeviceCoeffs d;
  double gpu_scale = (spec.gpu_cuda_cores * spec.gpu_mhz.back()) / (2048.0 * 1300.5);
  double bus_scale = spec.mem_bus_bits / 256.0;
  d.gpu_side_bytes_per_cycle = 512.0 * spec.gpu_cuda_cores / 2048.0;
  d.gpu_dyn_w *= gpu_scale;
  d.gpu_leak_w *= std::sqrt(gpu_scale);
  d.emc_static_min_w *= bus_scale;
  d.emc_static_max_w *= bus_scale;
  if (spec.max_power_w > 0) d.board_static_w = std::clamp(spec.max_power_w / 10.0, 2.0, 8.0);
  return d;
}

}  // namespace

DeviceCoeffs device_coeffs(const device::DeviceSpec& spec) {
  DeviceCoeffs d;  // defaults: AGX Orin 64 GB (calibrated at MAXN, docs/EMULATOR.md)
  if (spec.name == "orin-agx") return d;
  if (spec.name == "xavier-agx") {  // 12 nm Carmel + Volta: less work per cycle, more energy per operation
    d.cpu_ipc = 0.75;
    d.gpu_side_bytes_per_cycle = 256;
    d.board_static_w = 5.0;
    d.cpu_core_leak_w = 0.45;
    d.cpu_core_dyn_w = 1.6;
    d.gpu_leak_w = 2.0;
    d.gpu_dyn_w = 16;
    d.emc_static_min_w = 0.7;
    d.emc_static_max_w = 3.0;
    d.mem_pj_per_byte = 60;  // LPDDR4x
    return d;
  }
  if (spec.name == "orin-nano") {  // 7-15 W module, GPU capped at 624.75 MHz (low voltage)
    d.gpu_side_bytes_per_cycle = 256;
    d.board_static_w = 2.5;
    d.cpu_core_leak_w = 0.2;
    d.cpu_core_dyn_w = 0.6;
    d.gpu_leak_w = 0.8;
    d.gpu_dyn_w = 5.0;
    d.emc_static_min_w = 0.4;
    d.emc_static_max_w = 1.2;
    return d;
  }
  return scaled_from_orin(spec);
}

Storage storage_medium(const std::string& name) {
  if (name == "nvme") return {2000, 0.05};
  if (name == "ssd") return {450, 0.1};
  if (name == "emmc") return {250, 0.3};
  if (name == "sd") return {40, 2.0};    // small random reads on a UHS-I card
  if (name == "hdd") return {100, 10.0};  // USB hard disk: seek per file
  throw UsageError("unknown storage medium '{}' (expected one of sd, emmc, ssd, nvme, hdd)", name);
}

void check_request(const device::WorkloadRequest& req) {
  if (req.task != "train" && req.task != "infer")
    throw UsageError("workload '{}': unknown task '{}' (expected train or infer)", req.workload, req.task);
  if (req.batch_size < 1)
    throw UsageError("workload '{}': batch size must be >= 1 (got {})", req.workload, req.batch_size);
  if (req.workers < 0)
    throw UsageError("workload '{}': DataLoader workers must be >= 0 (got {})", req.workload, req.workers);
}

double rel_voltage(const DeviceCoeffs& dc, double f_mhz, double top_mhz) {
  double x = f_mhz / top_mhz;
  return dc.v_floor + (1.0 - dc.v_floor) * std::max(0.0, (x - dc.v_knee) / (1.0 - dc.v_knee));
}

MinibatchWork model_work(const WorkloadParams& w, const device::WorkloadRequest& req, const Framework&) {
  bool train = req.task == "train" && !is_ert(w);
  double bs = req.batch_size;
  MinibatchWork m;
  m.gflop = bs * w.fwd_gflop * (train ? 3.0 : 1.0);  // forward + backward = 3x forward (Pagoda)
  // activations 3x when training; weights read in forward and twice in backward, then the optimizer
  // reads weights, gradients and momentum and writes weights and momentum (6 passes).
  m.dram_mb = bs * w.fwd_act_mb * (train ? 3.0 : 1.0) + w.param_mb * (train ? 9.0 : 1.0);
  m.kernels = w.kernels_fwd * (train ? 2.5 : 1.0) + (train ? 12 : 0);
  m.ops = w.ops_fwd * (train ? 2.5 : 1.0) + (train ? 12 : 0);
  return m;
}

double model_idle_power_w(const device::DeviceSpec& spec, const DeviceCoeffs& dc, const device::PowerMode& mode) {
  double vc = rel_voltage(dc, mode.cpu_mhz, spec.cpu_mhz.back());
  double vg = rel_voltage(dc, mode.gpu_mhz, spec.gpu_mhz.back());
  double fc = frac_of_top(mode.cpu_mhz, spec.cpu_mhz), fg = frac_of_top(mode.gpu_mhz, spec.gpu_mhz);
  double fe = frac_of_top(mode.emc_mhz, spec.emc_mhz);
  double cpu = mode.cores * (dc.cpu_core_leak_w * vc + dc.cpu_core_dyn_w * vc * vc * fc * dc.cpu_idle_activity);
  double gpu = dc.gpu_leak_w * vg + dc.gpu_dyn_w * vg * vg * fg * 0.02;
  double mem = dc.emc_static_min_w + (dc.emc_static_max_w - dc.emc_static_min_w) * fe;
  return dc.board_static_w + cpu + gpu + mem;
}

namespace {

// The model at a mode whose GPU may run below its set clock (throttling): idle power stays that of the mode.
Estimate estimate_at(const device::DeviceSpec& spec, const DeviceCoeffs& dc, const Framework& fw,
                     const WorkloadParams& w, const device::WorkloadRequest& req, const device::PowerMode& mode,
                     const SimOptions& options) {
  const bool train = req.task == "train" && !is_ert(w);
  const double bs = req.batch_size;
  const MinibatchWork work = model_work(w, req, fw);

  // --- GPU: roofline per kernel class + per-kernel overhead ---
  const double peak_gflops = spec.peak_fp32_gflops(mode.gpu_mhz);
  const double fill = w.half_fill_samples > 0 ? bs / (bs + w.half_fill_samples) : 1.0;
  const double bw_gbps = std::min(spec.peak_dram_gbps(mode.emc_mhz) * w.mem_eff,
                                  dc.gpu_side_bytes_per_cycle * mode.gpu_mhz / 1000.0);
  const double act_mb = work.dram_mb - w.param_mb * (train ? 9.0 : 1.0);
  const double weight_mb = work.dram_mb - act_mb;
  const double f1 = work.gflop * w.compute_flop_share, f2 = work.gflop - f1;
  const double b1 = act_mb * w.compute_byte_share + weight_mb, b2 = act_mb - act_mb * w.compute_byte_share;
  const double c1_s = f1 / (peak_gflops * w.compute_eff * fill), c2_s = f2 / (peak_gflops * w.elementwise_eff * fill);
  const double t1_s = std::max(c1_s, b1 / 1000.0 / bw_gbps);
  const double t2_s = std::max(c2_s, b2 / 1000.0 / bw_gbps);
  const double per_kernel_us = fw.kernel_gpu_fixed_us + fw.kernel_gpu_kcycles * 1000.0 / mode.gpu_mhz;
  // recurrent networks: each time step waits for the previous one (a dependent chain of small kernels)
  const double serial_us = fw.serial_step_fixed_us + fw.serial_step_kcycles * 1000.0 / mode.gpu_mhz;
  const double serial_steps = w.serial_steps * (train ? 2.0 : 1.0);
  const double gpu_overhead_ms = (work.kernels * per_kernel_us + serial_steps * serial_us) / 1000.0;
  const double gpu_ms = (t1_s + t2_s) * 1000.0 + gpu_overhead_ms;

  // --- launcher: one Python main thread, cost in cycles ---
  const double cpu_kcycles_per_ms = mode.cpu_mhz * dc.cpu_ipc;
  double launch_kcycles = work.ops * fw.launch_kcycles_per_op + work.kernels * fw.driver_kcycles_per_kernel +
                          1000.0 * (train ? fw.host_mcycles_per_step_train : fw.host_mcycles_per_step_infer);
  if (!train) launch_kcycles += 1000.0 * bs * w.host_mcycles_per_sample_infer;
  const double launch_ms = launch_kcycles / cpu_kcycles_per_ms;

  const double step_ms = std::max(launch_ms, gpu_ms) + fw.overlap_rho * std::min(launch_ms, gpu_ms);

  // --- DataLoader ---
  const bool loads = !is_ert(w) && (train || options.infer_loads_data);
  double data_ms = 0, fetch_ms = 0, worker_cpu_ms = 0;
  if (loads) {
    Storage st = storage_medium(req.storage);
    double prep_ms = 1000.0 * (train ? w.prep_mcycles_train : w.prep_mcycles_infer) / cpu_kcycles_per_ms;
    worker_cpu_ms = bs * prep_ms;
    // the storage device serves one read at a time (seek / command latency + transfer); decoding runs in
    // the workers in parallel
    const double device_ms = bs * (st.latency_ms + w.input_kb / 1024.0 / st.mb_per_s * 1000.0);
    if (req.workers == 0 || mode.cores < 2) {
      // the main thread (or one core shared by everything) loads, then computes: no overlap
      data_ms = bs * prep_ms + device_ms;
      fetch_ms = data_ms;
    } else {
      double usable = std::min(req.workers, mode.cores - 1);
      data_ms = std::max(bs * prep_ms / usable, device_ms);
      fetch_ms = std::max(0.0, data_ms - step_ms);
    }
  }
  const double time_ms = step_ms + fetch_ms;

  Estimate e;
  e.time_ms = time_ms;
  e.fetch_ms = fetch_ms;
  e.compute_ms = gpu_ms;
  e.launch_ms = launch_ms;
  e.data_ms = data_ms;
  e.gpu_util = std::min(1.0, gpu_ms / time_ms);
  const double busy_cores = std::min<double>(mode.cores, (launch_ms + worker_cpu_ms) / time_ms);
  e.cpu_util = busy_cores / mode.cores;
  e.dram_gbps = work.dram_mb / time_ms;  // MB/ms = GB/s
  e.mem_used_mb = fw.context_mb + w.param_mb * (train ? 4.0 : 1.0) + bs * w.fwd_act_mb * (train ? 0.5 : 0.1) +
                  256 + (loads ? std::min(req.workers, 16) * 150.0 : 0.0);

  // --- power ---
  const double vc = rel_voltage(dc, mode.cpu_mhz, spec.cpu_mhz.back());
  const double vg = rel_voltage(dc, mode.gpu_mhz, spec.gpu_mhz.back());
  const double fc = frac_of_top(mode.cpu_mhz, spec.cpu_mhz), fg = frac_of_top(mode.gpu_mhz, spec.gpu_mhz);
  e.idle_power_w = model_idle_power_w(spec, dc, mode);  // at the throttled clock when throttling
  const double cpu_dyn = dc.cpu_core_dyn_w * vc * vc * fc * busy_cores * (1.0 - dc.cpu_idle_activity);
  // SMs issuing work (compute time and per-kernel overhead) burn at the busy level; time a kernel only waits
  // for DRAM costs through the traffic it moves (so a faster memory clock never lowers GPU power).
  const double issue_frac = std::min(1.0, ((c1_s + c2_s) * 1000.0 + gpu_overhead_ms) / time_ms);
  const double flop_frac = work.gflop / (time_ms / 1000.0) / peak_gflops;
  const double side_frac = e.dram_gbps / (dc.gpu_side_bytes_per_cycle * mode.gpu_mhz / 1000.0);
  const double gpu_dyn = dc.gpu_dyn_w * vg * vg * fg * w.gpu_activity *
                         (dc.gpu_busy_activity * issue_frac + dc.gpu_flop_activity * flop_frac +
                          dc.gpu_byte_activity * side_frac);
  const double mem_dyn = e.dram_gbps * 1e9 * dc.mem_pj_per_byte * 1e-12;
  e.power_w = e.idle_power_w + cpu_dyn + gpu_dyn + mem_dyn;
  e.gpu_mhz_effective = mode.gpu_mhz;
  return e;
}

}  // namespace

Estimate model_estimate(const device::DeviceSpec& spec, const DeviceCoeffs& dc, const Framework& fw,
                        const WorkloadParams& w, const device::WorkloadRequest& req, const device::PowerMode& mode,
                        const SimOptions& options) {
  Estimate e = estimate_at(spec, dc, fw, w, req, mode, options);
  const double cap_w = dc.throttle_w > 0 ? dc.throttle_w : spec.max_power_w * 1.1;
  if (cap_w <= 0 || e.power_w <= cap_w) return e;
  // Over-current throttling: the GPU clock drops (continuously) until board power is back at the cap.
  double lo = spec.gpu_mhz.front() * 0.25, hi = mode.gpu_mhz;
  for (int i = 0; i < 40; ++i) {
    device::PowerMode m = mode;
    m.gpu_mhz = 0.5 * (lo + hi);
    (estimate_at(spec, dc, fw, w, req, m, options).power_w > cap_w ? hi : lo) = m.gpu_mhz;
  }
  device::PowerMode m = mode;
  m.gpu_mhz = lo;
  Estimate t = estimate_at(spec, dc, fw, w, req, m, options);
  t.idle_power_w = e.idle_power_w;
  return t;
}

}  // namespace modewise::sim::detail
