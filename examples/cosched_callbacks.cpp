// Managed interleaving of YOUR training and inference jobs with the modewise runtime.
//
// On a Jetson each job is a callback into user code: `train_step` runs one training minibatch (forward,
// backward, optimizer step) and `infer_batch` runs one inference batch for the queued requests. The runtime
// runs them on ONE executor thread, so the two jobs never share the GPU at the same time; requests arrive
// from any thread through submit() and are batched b at a time. A power-mode hook is called between
// minibatches to apply the mode chosen by `modewise cosched plan` (here through a device backend: "jetson"
// on a board, "sim:orin-agx" anywhere else, where apply() only validates the mode).
//
// Build (after building the library in build/):
//   g++ -std=c++20 -O2 -Iinclude examples/cosched_callbacks.cpp -o cosched_callbacks  (one line, with:)
//       build/src/libmodewise_cosched.a build/src/libmodewise_optimize.a build/src/libmodewise_predict.a
//       build/src/libmodewise_profile.a build/src/libmodewise_control.a build/src/libmodewise_telemetry.a
//       build/src/libmodewise_sim.a build/src/libmodewise_device.a build/src/libmodewise_util.a -lfmt -lpthread -ldl
// (tests/cosched/test_example.cpp compiles and runs it as part of the test suite.)
// Run: ./cosched_callbacks [device] [seconds]      e.g. ./cosched_callbacks jetson 60
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "modewise/cosched/des.h"
#include "modewise/cosched/runtime.h"
#include "modewise/device/device_spec.h"
#include "modewise/profile/backends.h"

namespace {

// ---- your code goes here: replace these two functions with real work (e.g. calls into libtorch) ----
void my_training_minibatch(int64_t index) {
  (void)index;
  std::this_thread::sleep_for(std::chrono::milliseconds(40));  // stand-in for forward + backward + step
}
void my_inference(const std::vector<modewise::cosched::Request>& batch) {
  std::this_thread::sleep_for(std::chrono::milliseconds(4 + 2 * static_cast<int>(batch.size())));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace modewise;
  const std::string device = argc > 1 ? argv[1] : "sim:orin-agx";
  const double seconds = argc > 2 ? std::atof(argv[2]) : 2.0;

  // The mode and batch size would come from `modewise cosched plan --json`; here: MAXN and b = 4.
  std::unique_ptr<device::Backend> board = profile::open_backend(device, {});
  const device::PowerMode mode = board->spec().maxn();
  const int batch_size = 4;

  cosched::TrainStep train = [](int64_t k) {
    my_training_minibatch(k);
    return true;  // return false when the training job is done
  };
  cosched::ManagedInterleaver runtime(train, my_inference, {batch_size, /*flush_after_ms=*/0});
  runtime.set_mode_hook([&](const device::PowerMode& m) { board->apply(m); });  // between minibatches only
  runtime.request_mode(mode);
  runtime.start();

  // Requests: Poisson arrivals at 50 per second from this thread (in a server: from the request handler).
  cosched::replay_arrivals(cosched::poisson_arrivals(50, seconds, 1), 1.0, [&] { runtime.submit(); });
  runtime.stop();

  const cosched::RuntimeStats s = runtime.stats();
  const cosched::LatencyStats lat = cosched::latency_stats(s.latencies_ms);
  std::printf("device %s, mode %s, b=%d\n", board->name().c_str(), mode.key().c_str(), batch_size);
  std::printf("requests %llu served %zu: latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
              static_cast<unsigned long long>(s.submitted), lat.count, lat.p50_ms, lat.p99_ms, lat.max_ms);
  std::printf("training minibatches %lld (%.1f per second), inference batches %lld, mode switches %d\n",
              static_cast<long long>(s.train_minibatches), s.train_minibatches / s.elapsed_s,
              static_cast<long long>(s.infer_batches), s.mode_switches);
  return lat.count == s.submitted ? 0 : 1;
}
