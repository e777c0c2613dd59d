// The sim:<device> backend: errors, determinism, noise magnitude, warm-up phase and power trace.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "modewise/device/grid.h"
#include "modewise/sim/emulator.h"
#include "modewise/util/error.h"
#include "sim_test_util.h"

namespace modewise::sim {
namespace {

using testing::orin;
using testing::request;
using testing::warmup_end_index;

double mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }
double stdev(const std::vector<double>& v) {
  double m = mean(v), s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / (v.size() - 1));
}

TEST(SimErrors, UnknownWorkloadIsAUsageErrorListingTheNames) {
  auto spec = orin();
  try {
    estimate(spec, request("resnet9000", "train", 16), spec.maxn());
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("resnet9000"), std::string::npos) << msg;
    for (const auto& w : workload_names()) EXPECT_NE(msg.find(w), std::string::npos) << msg;
    EXPECT_NE(msg.find("ert:<AI>"), std::string::npos) << msg;
  }
  EXPECT_THROW(estimate(spec, request("resnet50", "finetune", 16), spec.maxn()), UsageError);
  EXPECT_THROW(estimate(spec, request("resnet50", "train", 0), spec.maxn()), UsageError);
  EXPECT_THROW(estimate(spec, request("ert:-1", "infer", 1), spec.maxn()), UsageError);
  EXPECT_THROW(estimate(spec, request("ert:abc", "infer", 1), spec.maxn()), UsageError);
  auto r = request("resnet50", "train", 16);
  r.storage = "floppy";
  EXPECT_THROW(estimate(spec, r, spec.maxn()), UsageError);
  auto b = make_sim_backend(spec, 1);
  EXPECT_THROW(b->run(request("nope", "train", 16), 10), UsageError);
}

TEST(SimErrors, InvalidModeIsAnError) {
  auto spec = orin();
  device::PowerMode bad = spec.maxn();
  bad.gpu_mhz = 1000;  // not in the GPU table
  try {
    estimate(spec, request("resnet50", "train", 16), bad);
    FAIL() << "expected Error";
  } catch (const UsageError&) {
    FAIL() << "an invalid mode is a runtime Error, not a usage error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gpu_mhz"), std::string::npos) << e.what();
  }
  auto b = make_sim_backend(spec, 1);
  device::PowerMode zero_cores = spec.maxn();
  zero_cores.cores = 0;
  EXPECT_THROW(b->apply(zero_cores), Error);
  EXPECT_TRUE(b->current_mode() == spec.maxn());  // unchanged after a failed apply
}

TEST(SimErrors, AliasesAndCatalog) {
  EXPECT_EQ(canonical_workload("mobnet"), "mobilenetv3");
  EXPECT_EQ(canonical_workload("BERT-Large"), "bert-large");
  EXPECT_TRUE(is_catalog_workload("lstm"));
  EXPECT_TRUE(is_catalog_workload("ert:0.5"));
  EXPECT_FALSE(is_catalog_workload("vgg16"));
  std::vector<std::string> want = {"resnet18", "resnet50", "mobilenetv3", "yolov8n", "bert-base", "bert-large", "lstm"};
  EXPECT_EQ(workload_names(), want);
}

TEST(SimBackend, NameProvenanceAndApply) {
  auto spec = device::builtin_device("xavier-agx");
  auto b = make_sim_backend(spec, 7);
  EXPECT_EQ(b->name(), "sim:xavier-agx");
  EXPECT_EQ(b->provenance(), device::Provenance::emulated);
  EXPECT_EQ(b->spec().name, "xavier-agx");
  device::PowerMode m = device::named_mode(spec, "MODE_15W");
  b->apply(m);
  EXPECT_TRUE(b->current_mode() == m);
}

TEST(SimBackend, DeterministicForASeedWhateverRanBefore) {
  auto spec = orin();
  auto r1 = request("resnet50", "train", 16), r2 = request("bert-base", "infer", 8);
  device::PowerMode m1 = spec.maxn(), m2 = device::named_mode(spec, "MODE_30W");

  auto a = make_sim_backend(spec, 42), b = make_sim_backend(spec, 42), c = make_sim_backend(spec, 43);
  a->apply(m1);
  auto a1 = a->run(r1, 20);
  a->apply(m2);
  auto a2 = a->run(r2, 20);
  // b runs the same two in the opposite order
  b->apply(m2);
  auto b2 = b->run(r2, 20);
  b->apply(m1);
  auto b1 = b->run(r1, 20);
  ASSERT_EQ(a1.minibatches.size(), b1.minibatches.size());
  for (size_t i = 0; i < a1.minibatches.size(); ++i) EXPECT_EQ(a1.minibatches[i].time_ms, b1.minibatches[i].time_ms);
  ASSERT_EQ(a2.power.size(), b2.power.size());
  for (size_t i = 0; i < a2.power.size(); ++i) EXPECT_EQ(a2.power[i].power_w, b2.power[i].power_w);
  // another seed, other numbers
  c->apply(m1);
  auto c1 = c->run(r1, 20);
  EXPECT_NE(a1.minibatches[5].time_ms, c1.minibatches[5].time_ms);
  // a repeat of the same run is a new draw (repeats have variance), and the n-th repeat reproduces
  a->apply(m1);
  auto a1_second = a->run(r1, 20);  // a: r1, r2, r1 -> second run of r1
  auto b1_second = b->run(r1, 20);  // b: r2, r1, r1 -> second run of r1
  EXPECT_NE(a1.minibatches[5].time_ms, a1_second.minibatches[5].time_ms);
  for (size_t i = 0; i < a1_second.minibatches.size(); ++i)
    EXPECT_EQ(a1_second.minibatches[i].time_ms, b1_second.minibatches[i].time_ms);
}

TEST(SimBackend, NoiseMagnitude) {
  auto spec = orin();
  auto r = request("resnet18", "train", 16);
  device::PowerMode m = device::named_mode(spec, "MODE_50W");
  Estimate est = estimate(spec, r, m);
  auto b = make_sim_backend(spec, 3);
  b->apply(m);
  auto tr = b->run(r, 400);
  std::vector<double> times;
  for (size_t i = 3; i < tr.minibatches.size(); ++i) times.push_back(tr.minibatches[i].time_ms);
  double cv = stdev(times) / mean(times);
  EXPECT_GT(cv, 0.015);
  EXPECT_LT(cv, 0.04);
  EXPECT_NEAR(mean(times) / est.time_ms, 1.0, 0.01);
  // power samples after the warm-up: ~1-2% spread around the estimate
  double run_start = tr.minibatches[3].start_s;
  std::vector<double> power;
  for (const auto& s : tr.power)
    if (s.t_s >= run_start) power.push_back(s.power_w);
  ASSERT_GT(power.size(), 100u);
  double pcv = stdev(power) / mean(power);
  EXPECT_GT(pcv, 0.005);
  EXPECT_LT(pcv, 0.025);
  EXPECT_NEAR(mean(power) / est.power_w, 1.0, 0.01);
  EXPECT_EQ(tr.extra.at("warmup_minibatches"), 3);
  EXPECT_NEAR(tr.gpu_util, est.gpu_util, 1e-12);
}

TEST(SimBackend, TraceShapeIdleThenWarmupThenRun) {
  auto spec = orin();
  auto b = make_sim_backend(spec, 5);
  auto tr = b->run(request("resnet50", "train", 16), 50);
  ASSERT_EQ(tr.minibatches.size(), 50u);
  EXPECT_NEAR(tr.minibatches[0].start_s, 1.0, 1e-9);  // ~1 s of idle samples first
  double idle = idle_power_w(spec, spec.maxn());
  int idle_samples = 0;
  for (const auto& s : tr.power)
    if (s.t_s < 1.0) {
      ++idle_samples;
      EXPECT_NEAR(s.power_w / idle, 1.0, 0.06);
    }
  EXPECT_EQ(idle_samples, 20);  // every 50 ms
  for (size_t i = 1; i < tr.power.size(); ++i) EXPECT_GT(tr.power[i].t_s, tr.power[i - 1].t_s);
  for (size_t i = 1; i < tr.minibatches.size(); ++i)
    EXPECT_NEAR(tr.minibatches[i].start_s,
                tr.minibatches[i - 1].start_s + tr.minibatches[i - 1].time_ms / 1000, 1e-9);
  // warm-up minibatches are slower than the steady ones
  double steady = 0;
  for (size_t i = 3; i < 50; ++i) steady += tr.minibatches[i].time_ms / 47;
  EXPECT_GT(tr.minibatches[0].time_ms, 2 * steady);
  EXPECT_GT(tr.minibatches[1].time_ms, 1.3 * steady);
  EXPECT_GT(tr.minibatches[2].time_ms, 1.05 * steady);
  for (const auto& mb : tr.minibatches) {
    EXPECT_GE(mb.fetch_ms, 0);
    EXPECT_NEAR(mb.fetch_ms + mb.compute_ms, mb.time_ms, 1e-9);
  }
}

// The published rule (first power sample >= 1.25x the mean of the previous 10) finds the end of the warm-up:
// the sample it flags lies in the first steady minibatch (within one sampling period of its start).
TEST(SimBackend, WarmupDetectableByThePublishedRule) {
  auto spec = orin();
  std::vector<device::PowerMode> modes = {spec.maxn(), device::named_mode(spec, "MODE_50W"),
                                          device::named_mode(spec, "MODE_30W"), {8, 1497.6, 930.75, 3199},
                                          {12, 1958.4, 1134.75, 2133}};
  int checked = 0;
  for (const auto& w : workload_names())
    for (const auto& m : modes) {
      SCOPED_TRACE(w + " @ " + m.key());
      auto b = make_sim_backend(spec, 11);
      b->apply(m);
      auto tr = b->run(request(w, "train", 16), 30);
      long idx = warmup_end_index(tr.power);
      ASSERT_GE(idx, 0);
      double t = tr.power[idx].t_s;
      double steady_start = tr.minibatches[3].start_s;
      double period = tr.power[idx].t_s - tr.power[idx - 1].t_s;
      EXPECT_GE(t, steady_start - 1e-9);
      EXPECT_LE(t, steady_start + period + 1e-9);
      ++checked;
    }
  EXPECT_EQ(checked, 35);
}

// Measured through the backend (noise and warm-up included), raising any one knob still makes the steady
// minibatches faster and the board hungrier, beyond the noise.
TEST(SimBackend, MonotoneWithinNoise) {
  auto spec = orin();
  auto steady = [&](const device::PowerMode& m, const device::WorkloadRequest& r) {
    auto b = make_sim_backend(spec, 21);
    b->apply(m);
    auto tr = b->run(r, 43);
    double t = 0, p = 0;
    int n = 0;
    for (size_t i = 3; i < tr.minibatches.size(); ++i) t += tr.minibatches[i].time_ms / 40;
    for (const auto& s : tr.power)
      if (s.t_s >= tr.minibatches[3].start_s) p += s.power_w, ++n;
    return std::pair<double, double>{t, p / n};
  };
  device::PowerMode hi{8, 1497.6, 930.75, 2133};
  struct Case {
    std::string knob, workload;
    int batch;
    device::PowerMode lo;
  };
  std::vector<Case> cases = {{"cores", "resnet18", 16, {2, 1497.6, 930.75, 2133}},
                             {"cpu", "mobilenetv3", 16, {8, 576.0, 930.75, 2133}},
                             {"gpu", "resnet50", 16, {8, 1497.6, 420.75, 2133}},
                             {"emc", "mobilenetv3", 16, {8, 1497.6, 930.75, 665.6}}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.knob);
    auto r = request(c.workload, "train", c.batch);
    auto [t_lo, p_lo] = steady(c.lo, r);
    auto [t_hi, p_hi] = steady(hi, r);
    EXPECT_GT(t_lo, t_hi * 1.05);  // noise on a 40-minibatch mean is ~0.4%
    EXPECT_LT(p_lo, p_hi);
  }
}

TEST(SimBackend, ManyModesAreCheap) {
  // 4,368 modes x 50 minibatches: correctness of every trace (timing is in bench/bench_sim.cpp).
  auto spec = orin();
  auto b = make_sim_backend(spec, 1);
  auto r = request("resnet18", "train", 16);
  size_t samples = 0;
  for (const auto& m : device::grid_modes(spec, "powertrain")) {
    b->apply(m);
    auto tr = b->run(r, 50);
    ASSERT_EQ(tr.minibatches.size(), 50u);
    samples += tr.power.size();
  }
  EXPECT_LT(samples, 4368u * 1600u);
}

}  // namespace
}  // namespace modewise::sim
