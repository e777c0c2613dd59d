// The managed-interleaving runtime with emulated jobs at 1/100 of real time (a 100 ms minibatch sleeps 1 ms).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "modewise/cosched/des.h"
#include "modewise/cosched/runtime.h"

using namespace modewise;
using namespace modewise::cosched;

namespace {
constexpr double kScale = 0.01;

// Counts callbacks running at once: managed interleaving must never overlap them.
struct Overlap {
  std::atomic<int> running{0}, worst{0};
  void enter() {
    int now = ++running;
    int w = worst.load();
    while (now > w && !worst.compare_exchange_weak(w, now)) {}
  }
  void leave() { --running; }
};
}  // namespace

TEST(CoschedRuntime, ManagedServesEveryRequestInBatchesWithoutOverlap) {
  Overlap ov;
  std::atomic<int> biggest{0};
  TrainStep train = [&](int64_t) {
    ov.enter();
    sleep_scaled(100, kScale);
    ov.leave();
    return true;
  };
  InferBatch infer = [&](const std::vector<Request>& batch) {
    ov.enter();
    biggest = std::max<int>(biggest, static_cast<int>(batch.size()));
    sleep_scaled(10 + 5.0 * batch.size(), kScale);
    ov.leave();
  };
  ManagedInterleaver rt(train, infer, {4, 0});
  rt.start();
  replay_arrivals(steady_arrivals(40, 10), kScale, [&] { rt.submit(); });  // 400 requests in 0.1 s of wall time
  rt.stop();
  RuntimeStats s = rt.stats();
  EXPECT_EQ(s.submitted, 400u);
  EXPECT_EQ(s.latencies_ms.size(), 400u);
  EXPECT_EQ(ov.worst.load(), 1);
  EXPECT_LE(biggest.load(), 4);
  EXPECT_GE(s.infer_batches, 100);
  EXPECT_GE(s.train_minibatches, 1);  // timing on a loaded machine decides how many
  for (double l : s.latencies_ms) EXPECT_GT(l, 0);
}

TEST(CoschedRuntime, ModeSwitchesHappenBetweenMinibatches) {
  Overlap ov;
  std::atomic<bool> in_minibatch{false}, switched_inside{false};
  std::atomic<int> hook_calls{0};
  std::atomic<double> minibatch_ms{100};
  TrainStep train = [&](int64_t) {
    in_minibatch = true;
    sleep_scaled(minibatch_ms, kScale);
    in_minibatch = false;
    return true;
  };
  InferBatch infer = [&](const std::vector<Request>&) { sleep_scaled(20, kScale); };
  ManagedInterleaver rt(train, infer, {2, 0});
  rt.set_mode_hook([&](const device::PowerMode& m) {
    if (in_minibatch) switched_inside = true;
    ++hook_calls;
    minibatch_ms = m.gpu_mhz > 1000 ? 100 : 300;  // a slower mode makes minibatches longer
  });
  rt.request_mode({12, 2201.6, 1300.5, 3199});
  rt.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  rt.request_mode({4, 1036.8, 522.75, 2133});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  rt.stop();
  EXPECT_EQ(hook_calls.load(), 2);
  EXPECT_FALSE(switched_inside.load());
  EXPECT_EQ(rt.stats().mode_switches, 2);
  EXPECT_EQ(minibatch_ms.load(), 300);
}

TEST(CoschedRuntime, PartialBatchesFlushAfterTheDeadlineOrWhenTrainingEnds) {
  std::vector<size_t> sizes;
  std::mutex mu;
  InferBatch infer = [&](const std::vector<Request>& b) {
    std::lock_guard lock(mu);
    sizes.push_back(b.size());
  };
  {  // no training job: partial batches run at once
    ManagedInterleaver rt(nullptr, infer, {8, 0});
    rt.start();
    rt.submit();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(rt.stats().latencies_ms.size(), 1u);
    rt.stop();
  }
  sizes.clear();
  {  // training forever: a lone request waits for the flush deadline
    TrainStep train = [](int64_t) {
      sleep_scaled(100, kScale);
      return true;
    };
    ManagedInterleaver rt(train, infer, {8, 5.0});
    rt.start();
    rt.submit();
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    RuntimeStats s = rt.stats();
    ASSERT_EQ(s.latencies_ms.size(), 1u);
    EXPECT_GE(s.latencies_ms[0], 5.0);
    rt.stop();
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{1}));
}

TEST(CoschedRuntime, NativeBaselineServesEveryRequestOneAtATime) {
  Overlap ov;
  TrainStep train = [&](int64_t) {
    ov.enter();
    sleep_scaled(100, kScale);
    ov.leave();
    return true;
  };
  std::atomic<int> biggest{0};
  InferBatch infer = [&](const std::vector<Request>& b) {
    ov.enter();
    biggest = std::max<int>(biggest, static_cast<int>(b.size()));
    sleep_scaled(12, kScale);
    ov.leave();
  };
  NativeInterleaver rt(train, infer);
  rt.start();
  replay_arrivals(steady_arrivals(20, 10), kScale, [&] { rt.submit(); });
  rt.stop();
  RuntimeStats s = rt.stats();
  EXPECT_EQ(s.latencies_ms.size(), 200u);
  EXPECT_EQ(biggest.load(), 1);
  EXPECT_EQ(ov.worst.load(), 1);  // the GPU lock serializes them too
  EXPECT_GT(s.train_minibatches, 0);
}

// The "GPU" is granted in request order: a training thread that re-requests it at once cannot starve inference,
// so each request waits at most about one training minibatch plus its own inference.
TEST(CoschedRuntime, NativeBaselineDoesNotStarveInference) {
  std::atomic<int64_t> trained{0};
  TrainStep train = [&](int64_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ++trained;
    return true;
  };
  InferBatch infer = [&](const std::vector<Request>&) { std::this_thread::sleep_for(std::chrono::milliseconds(2)); };
  NativeInterleaver rt(train, infer);
  rt.start();
  for (int i = 0; i < 5; ++i) {
    rt.submit();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // one request at a time: no queueing
  }
  rt.stop();
  RuntimeStats s = rt.stats();
  ASSERT_EQ(s.latencies_ms.size(), 5u);
  for (double l : s.latencies_ms) EXPECT_LT(l, 150.0);  // ~one 20 ms minibatch + 2 ms; starved would be seconds
  EXPECT_GT(trained.load(), 5);
}
