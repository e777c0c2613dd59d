// Acceptance tests of the emulator's physics on noise-free estimates: monotone in every clock, memory-bound vs
// compute-bound GPU scaling, CPU-bound data loading, MAXN not the energy optimum, plausible power per device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "modewise/device/grid.h"
#include "modewise/sim/emulator.h"
#include "sim_test_util.h"

namespace modewise::sim {
namespace {

using testing::orin;
using testing::request;

std::vector<device::WorkloadRequest> representative_requests() {
  std::vector<device::WorkloadRequest> rs;
  for (const auto& w : workload_names()) {
    rs.push_back(request(w, "train", 16));
    rs.push_back(request(w, "infer", 1));
    rs.push_back(request(w, "infer", 32));
  }
  return rs;
}

// Raising any one knob (cores, CPU, GPU, EMC) by one step never makes a minibatch slower and always raises
// board power (more leakage, higher clocks, higher utilisation), over the whole published grid.
void expect_monotone_over_grid(const device::DeviceSpec& spec, const std::string& grid) {
  device::GridAxes ax = device::grid_axes(spec, grid);
  for (const auto& req : representative_requests()) {
    SCOPED_TRACE(spec.name + " " + req.workload + " " + req.task + " bs" + std::to_string(req.batch_size));
    int violations = 0;
    for (size_t c = 0; c < ax.cores.size(); ++c)
      for (size_t i = 0; i < ax.cpu_mhz.size(); ++i)
        for (size_t g = 0; g < ax.gpu_mhz.size(); ++g)
          for (size_t e = 0; e < ax.emc_mhz.size(); ++e) {
            device::PowerMode m{ax.cores[c], ax.cpu_mhz[i], ax.gpu_mhz[g], ax.emc_mhz[e]};
            Estimate base = estimate(spec, req, m);
            std::vector<device::PowerMode> ups;
            if (c + 1 < ax.cores.size()) ups.push_back({ax.cores[c + 1], m.cpu_mhz, m.gpu_mhz, m.emc_mhz});
            if (i + 1 < ax.cpu_mhz.size()) ups.push_back({m.cores, ax.cpu_mhz[i + 1], m.gpu_mhz, m.emc_mhz});
            if (g + 1 < ax.gpu_mhz.size()) ups.push_back({m.cores, m.cpu_mhz, ax.gpu_mhz[g + 1], m.emc_mhz});
            if (e + 1 < ax.emc_mhz.size()) ups.push_back({m.cores, m.cpu_mhz, m.gpu_mhz, ax.emc_mhz[e + 1]});
            for (const auto& u : ups) {
              Estimate up = estimate(spec, req, u);
              bool throttled = up.gpu_mhz_effective < u.gpu_mhz;  // at the power cap: power flat
              bool ok = up.time_ms <= base.time_ms * (1 + 1e-9) &&
                        (up.power_w > base.power_w || (throttled && up.power_w >= base.power_w * (1 - 1e-9)));
              if (!ok && violations++ < 3)
                ADD_FAILURE() << m.key() << " -> " << u.key() << ": time " << base.time_ms << " -> " << up.time_ms
                              << " ms, power " << base.power_w << " -> " << up.power_w << " W";
            }
            EXPECT_GE(base.power_w, idle_power_w(spec, m));
          }
    EXPECT_EQ(violations, 0);
  }
}

TEST(SimPhysics, MonotoneInEveryKnobOnOrinPowertrainGrid) { expect_monotone_over_grid(orin(), "powertrain"); }
TEST(SimPhysics, MonotoneInEveryKnobOnXavierAndNano) {
  expect_monotone_over_grid(device::builtin_device("xavier-agx"), "powertrain");
  expect_monotone_over_grid(device::builtin_device("orin-nano"), "powertrain");
}

TEST(SimPhysics, EachClockSpeedsUpTheWorkloadItLimits) {
  auto spec = orin();
  device::PowerMode maxn = spec.maxn();
  // GPU clock: a compute-bound batch
  {
    auto r = request("resnet50", "infer", 64);
    device::PowerMode lo = maxn;
    lo.gpu_mhz = spec.gpu_mhz.front();
    EXPECT_GT(estimate(spec, r, lo).time_ms, 5 * estimate(spec, r, maxn).time_ms);
  }
  // EMC clock: a memory-bound batch
  {
    auto r = request("mobilenetv3", "infer", 64);
    device::PowerMode lo = maxn;
    lo.emc_mhz = 665.6;
    EXPECT_GT(estimate(spec, r, lo).time_ms, 2.5 * estimate(spec, r, maxn).time_ms);
  }
  // CPU clock: a launch-bound batch (batch 1 inference)
  {
    auto r = request("mobilenetv3", "infer", 1);
    device::PowerMode lo = maxn;
    lo.cpu_mhz = 729.6;
    double ratio = estimate(spec, r, lo).time_ms / estimate(spec, r, maxn).time_ms;
    EXPECT_GT(ratio, 2.5);
  }
}

// A memory-bound network (MobileNetV3) gains little from the GPU clock, a compute-bound one (ResNet-50, BERT)
// gains nearly in proportion.
TEST(SimPhysics, MemoryBoundGainsLittleFromGpuClock) {
  auto spec = orin();
  device::PowerMode hi = spec.maxn(), mid = hi;
  mid.gpu_mhz = 624.75;  // 48% of the top GPU clock
  auto speedup = [&](const std::string& w, const std::string& task, int bs) {
    auto r = request(w, task, bs);
    return estimate(spec, r, mid).time_ms / estimate(spec, r, hi).time_ms;
  };
  for (auto [task, bs] : {std::pair<std::string, int>{"infer", 64}, {"infer", 16}}) {
    double mob = speedup("mobilenetv3", task, bs);
    double res = speedup("resnet50", task, bs);
    double bert = speedup("bert-large", task, bs);
    SCOPED_TRACE(task + " bs" + std::to_string(bs));
    EXPECT_LT(mob, 1.3) << "mobilenetv3 should be memory-bound";
    EXPECT_GT(res, 1.6);
    EXPECT_GT(bert, 1.8);
    EXPECT_GT(res - 1, 2 * (mob - 1));
  }
  // GPU-side time of training shows the same split
  auto gpu_speedup = [&](const std::string& w) {
    auto r = request(w, "train", 16);
    return estimate(spec, r, mid).compute_ms / estimate(spec, r, hi).compute_ms;
  };
  EXPECT_LT(gpu_speedup("mobilenetv3"), 1.35);
  EXPECT_GT(gpu_speedup("resnet50"), 1.6);
}

// 2 online cores, 4 DataLoader workers: one core is left for the workers, so training waits for data.
TEST(SimPhysics, TwoCoresFourWorkersTrainingIsCpuBound) {
  auto spec = orin();
  for (const std::string w : {"resnet18", "resnet50", "mobilenetv3", "yolov8n"}) {
    SCOPED_TRACE(w);
    auto r = request(w, "train", 16, 4);
    device::PowerMode two{2, 2201.6, 1300.5, 3199};
    Estimate e2 = estimate(spec, r, two);
    if (w != "resnet50") {  // ResNet-50's GPU time per sample nearly matches one worker's decode time
      EXPECT_GT(e2.stall_fraction(), 0.15);
      EXPECT_GE(e2.data_ms, e2.time_ms * (1 - 1e-12));  // the loader sets the pace
    }
    EXPECT_GT(e2.cpu_util, 0.5);  // the worker core saturated, the main thread partly
    double prev = e2.time_ms;
    for (int cores : {4, 6, 8, 12}) {
      Estimate e = estimate(spec, r, {cores, 2201.6, 1300.5, 3199});
      EXPECT_LE(e.time_ms, prev * (1 + 1e-12)) << cores << " cores";
      prev = e.time_ms;
    }
    Estimate e12 = estimate(spec, r, spec.maxn());
    EXPECT_LT(e12.time_ms, e2.time_ms * (w == "resnet50" ? 1.0 : 0.8));
    EXPECT_LT(e12.stall_fraction(), 0.1);
  }
  // the headline case, ResNet-18: data loading dominates at 2 cores
  Estimate e = estimate(spec, request("resnet18", "train", 16, 4), {2, 2201.6, 1300.5, 3199});
  EXPECT_GT(e.stall_fraction(), 0.5);
  EXPECT_GT(e.data_ms, 2 * e.compute_ms);
}

TEST(SimPhysics, FewerWorkersOrSlowerStorageStallMore) {
  auto spec = orin();
  device::PowerMode m = spec.maxn();
  double prev = 0;
  for (int workers : {4, 2, 1, 0}) {
    Estimate e = estimate(spec, request("resnet18", "train", 16, workers), m);
    EXPECT_GE(e.time_ms, prev) << workers << " workers";
    prev = e.time_ms;
  }
  auto on = [&](const std::string& medium) {
    auto r = request("resnet18", "train", 16, 8);
    r.storage = medium;
    return estimate(spec, r, m).time_ms;
  };
  EXPECT_LE(on("nvme"), on("ssd"));
  EXPECT_LE(on("ssd"), on("emmc"));
  EXPECT_LT(on("emmc"), on("sd"));
  EXPECT_LT(on("emmc"), on("hdd"));
  EXPECT_GT(on("sd"), 1.15 * on("nvme"));
}

TEST(SimPhysics, InferenceDoesNotLoadDataUnlessAsked) {
  auto spec = orin();
  auto r = request("resnet50", "infer", 16, 0);
  device::PowerMode two{2, 729.6, 1300.5, 3199};
  EXPECT_EQ(estimate(spec, r, two).fetch_ms, 0.0);
  SimOptions load;
  load.infer_loads_data = true;
  EXPECT_GT(estimate(spec, r, two, load).fetch_ms, 0.0);
}

// MAXN is never the most energy-efficient mode: energy per minibatch is minimised elsewhere, for every
// workload, training and inference.
TEST(SimPhysics, MaxnIsNotTheEnergyOptimum) {
  auto spec = orin();
  auto modes = device::grid_modes(spec, "powertrain");
  for (const auto& w : workload_names())
    for (auto [task, bs] : {std::pair<std::string, int>{"train", 16}, {"infer", 1}, {"infer", 32}}) {
      SCOPED_TRACE(w + " " + task + " bs" + std::to_string(bs));
      auto r = request(w, task, bs);
      double best = std::numeric_limits<double>::infinity();
      device::PowerMode best_mode;
      for (const auto& m : modes) {
        double e = estimate(spec, r, m).energy_j();
        if (e < best) best = e, best_mode = m;
      }
      double at_maxn = estimate(spec, r, spec.maxn()).energy_j();
      EXPECT_FALSE(best_mode == spec.maxn());
      EXPECT_GT(at_maxn, 1.05 * best) << "best " << best_mode.key();
    }
}

TEST(SimPhysics, PowerRangesArePlausiblePerDevice) {
  struct Range {
    std::string device;
    double lo_w, hi_w;
  };
  for (const auto& rg : {Range{"orin-agx", 5, 66}, Range{"xavier-agx", 6, 42}, Range{"orin-nano", 3, 16}}) {
    auto spec = device::builtin_device(rg.device);
    double lo = 1e9, hi = 0;
    for (const auto& m : device::grid_modes(spec, "powertrain"))
      for (const auto& w : workload_names()) {
        double p = estimate(spec, request(w, "train", 16), m).power_w;
        lo = std::min(lo, p);
        hi = std::max(hi, p);
      }
    EXPECT_GE(lo, rg.lo_w) << rg.device;
    EXPECT_LE(hi, rg.hi_w) << rg.device;
    EXPECT_GT(hi, 2 * lo) << rg.device;
  }
  // idle power: below every running power, rising from the lowest to the highest mode
  auto spec = orin();
  EXPECT_LT(idle_power_w(spec, spec.min_mode()), idle_power_w(spec, spec.maxn()));
  EXPECT_GT(idle_power_w(spec, spec.min_mode()), 4.0);
}

TEST(SimPhysics, SameParametersDriveEveryDevice) {
  // A smaller GPU and narrower bus make every workload slower at each device's MAXN.
  auto orin_spec = orin();
  auto nano = device::builtin_device("orin-nano");
  for (const auto& w : workload_names()) {
    auto r = request(w, "infer", 16);
    EXPECT_GT(estimate(nano, r, nano.maxn()).time_ms, estimate(orin_spec, r, orin_spec.maxn()).time_ms) << w;
    EXPECT_LT(estimate(nano, r, nano.maxn()).power_w, estimate(orin_spec, r, orin_spec.maxn()).power_w) << w;
  }
}

TEST(SimPhysics, TrainingDoesMoreWorkThanInference) {
  for (const auto& w : workload_names()) {
    MinibatchWork inf = minibatch_work(request(w, "infer", 16));
    MinibatchWork tr = minibatch_work(request(w, "train", 16));
    EXPECT_NEAR(tr.gflop, 3 * inf.gflop, 1e-9) << w;
    EXPECT_GT(tr.dram_mb, 2.5 * inf.dram_mb) << w;
    EXPECT_GT(tr.kernels, 2 * inf.kernels) << w;
  }
}

// Work is per sample: FLOPs and activation traffic grow with the batch, weights are read once per minibatch, and
// kernels and operator calls are per minibatch.
TEST(SimPhysics, WorkScalesWithTheBatch) {
  for (const auto& w : workload_names()) {
    for (const char* task : {"infer", "train"}) {
      SCOPED_TRACE(w + " " + task);
      MinibatchWork one = minibatch_work(request(w, task, 1)), b16 = minibatch_work(request(w, task, 16)),
                    b32 = minibatch_work(request(w, task, 32));
      EXPECT_NEAR(b32.gflop, 32 * one.gflop, 1e-9 * b32.gflop);
      // traffic is affine in the batch: the same increment per 16 samples, and a fixed part (weights) >= 0
      const double per16 = b32.dram_mb - b16.dram_mb;
      EXPECT_GT(per16, 0);
      EXPECT_NEAR(b16.dram_mb - one.dram_mb, per16 * 15.0 / 16.0, 1e-6 * b32.dram_mb);
      EXPECT_GE(one.dram_mb - per16 / 16.0, -1e-9);
      EXPECT_EQ(b32.kernels, one.kernels);
      EXPECT_EQ(b32.ops, one.ops);
    }
  }
}

// The time of a compute-bound minibatch follows its FLOPs: ResNet-50 and ResNet-18 share their calibrated
// efficiencies, so at batch 64 at MAXN (GPU-bound, launches hidden) the GPU-time ratio is the FLOP ratio.
TEST(SimPhysics, ComputeBoundTimeFollowsTheWork) {
  auto spec = orin();
  for (const char* task : {"infer", "train"}) {
    SCOPED_TRACE(task);
    auto r50 = request("resnet50", task, 64), r18 = request("resnet18", task, 64);
    const double flop_ratio = minibatch_work(r50).gflop / minibatch_work(r18).gflop;
    ASSERT_GT(flop_ratio, 1.5);  // a real difference in work, else the check below says nothing
    const double time_ratio = estimate(spec, r50, spec.maxn()).compute_ms / estimate(spec, r18, spec.maxn()).compute_ms;
    EXPECT_NEAR(time_ratio / flop_ratio, 1.0, 0.2);
    // and halving the GPU clock nearly doubles it
    device::PowerMode half = spec.maxn();
    half.gpu_mhz = 624.75;
    const double clock_ratio = spec.maxn().gpu_mhz / half.gpu_mhz;
    EXPECT_NEAR(estimate(spec, r50, half).compute_ms / estimate(spec, r50, spec.maxn()).compute_ms / clock_ratio, 1.0,
                0.2);
  }
}

TEST(SimPhysics, ErtFollowsTheRoofline) {
  auto spec = orin();
  device::PowerMode m = spec.maxn();
  // low arithmetic intensity: bandwidth-bound, EMC matters and the GPU clock hardly does
  auto low = request("ert:0.25", "infer", 16);
  device::PowerMode slow_gpu = m, slow_emc = m;
  slow_gpu.gpu_mhz = 726.75;
  slow_emc.emc_mhz = 2133;
  EXPECT_LT(estimate(spec, low, slow_gpu).time_ms / estimate(spec, low, m).time_ms, 1.05);
  EXPECT_NEAR(estimate(spec, low, slow_emc).time_ms / estimate(spec, low, m).time_ms, 3199.0 / 2133, 0.1);
  // high arithmetic intensity: compute-bound, time ~ 1/GPU clock (below the power cap; at MAXN a pure FMA
  // loop draws more than the module allows and the GPU clock is throttled, as on a real board)
  auto high = request("ert:64", "infer", 16);
  device::PowerMode g1 = m, g2 = m;
  g1.gpu_mhz = 624.75;
  g2.gpu_mhz = 1032.75;
  ASSERT_EQ(estimate(spec, high, g2).gpu_mhz_effective, g2.gpu_mhz);
  EXPECT_NEAR(estimate(spec, high, g1).time_ms / estimate(spec, high, g2).time_ms, 1032.75 / 624.75, 0.1);
  EXPECT_LT(estimate(spec, high, slow_emc).time_ms / estimate(spec, high, m).time_ms, 1.02);
  Estimate throttled = estimate(spec, high, m);
  EXPECT_LT(throttled.gpu_mhz_effective, m.gpu_mhz);
  EXPECT_NEAR(throttled.power_w, 1.1 * spec.max_power_w, 1e-6);
  // attainable performance stays below the peaks and close to them for long runs
  auto big = request("ert:64", "infer", 64);
  Estimate e = estimate(spec, big, m);
  double gflops = minibatch_work(big).gflop / (e.time_ms / 1000);
  EXPECT_LT(gflops, spec.peak_fp32_gflops(m.gpu_mhz));
  EXPECT_GT(gflops, 0.7 * spec.peak_fp32_gflops(m.gpu_mhz));
  double gbps = minibatch_work(request("ert:0.25", "infer", 64)).dram_mb /
                estimate(spec, request("ert:0.25", "infer", 64), m).time_ms;
  EXPECT_LT(gbps, spec.peak_dram_gbps(m.emc_mhz));
  EXPECT_GT(gbps, 0.6 * spec.peak_dram_gbps(m.emc_mhz));
  // compute-bound kernels burn more than bandwidth-bound ones
  EXPECT_GT(estimate(spec, high, m).power_w, estimate(spec, low, m).power_w);
}

}  // namespace
}  // namespace modewise::sim
