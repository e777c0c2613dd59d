// The managed-interleaving runtime: ONE executor thread runs the minibatch callbacks of a training job and
// the batch callbacks of an inference job, never both at once. Requests are queued with their arrival
// timestamps; when b are queued the batch runs as soon as the current training minibatch ends, otherwise
// the executor runs the next training minibatch. Every request's latency (arrival to completion of its
// batch) is recorded. Power-mode switches requested from any thread are applied by the executor between
// minibatches through a hook (on a board: control::apply; in the emulator: a different time/power table).
//
// NativeInterleaver is the baseline without a policy: a training thread and an inference thread compete for
// one "GPU" mutex, requests are served one at a time as they come.
//
// Jobs are callbacks into user code (see examples/cosched_callbacks.cpp); emulated_* helpers build jobs that
// sleep for emulated durations scaled by time_scale, so tests run fast.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "modewise/cosched/model.h"
#include "modewise/device/power_mode.h"

namespace modewise::cosched {

using Clock = std::chrono::steady_clock;

struct Request {
  uint64_t id = 0;
  Clock::time_point arrival;
};

// One training minibatch (index counts from 0). Return false to stop training (e.g. the epoch budget is spent).
using TrainStep = std::function<bool(int64_t minibatch)>;
// One inference batch (1..b requests).
using InferBatch = std::function<void(const std::vector<Request>& batch)>;
// Called on the executor thread, between minibatches, when a new power mode takes effect.
using ModeHook = std::function<void(const device::PowerMode& mode)>;

struct RuntimeStats {
  std::vector<double> latencies_ms;  // per served request, wall clock
  int64_t train_minibatches = 0;
  int64_t infer_batches = 0;
  double elapsed_s = 0;   // start() to stop()
  double train_busy_s = 0;
  double infer_busy_s = 0;
  int mode_switches = 0;
  uint64_t submitted = 0;
};

struct ManagedOptions {
  int infer_batch_size = 1;
  // Run a partial batch once its oldest request has waited this long (0: never, as in the model; partial
  // batches then run only when training has finished or at stop()).
  double flush_after_ms = 0;
};

class ManagedInterleaver {
 public:
  ManagedInterleaver(TrainStep train, InferBatch infer, ManagedOptions options);
  ~ManagedInterleaver();  // stops and joins
  ManagedInterleaver(const ManagedInterleaver&) = delete;
  ManagedInterleaver& operator=(const ManagedInterleaver&) = delete;

  void set_mode_hook(ModeHook hook);  // before start()
  // Ask for a power mode; the executor applies it before its next minibatch (the latest request wins).
  void request_mode(const device::PowerMode& mode);
  void start();
  // A request arrives now (thread-safe). Returns its id.
  uint64_t submit();
  // Serve every queued request (partial batches included), then stop the executor and join it.
  void stop();
  RuntimeStats stats() const;  // a copy; consistent after stop()

 private:
  void executor_loop();

  TrainStep train_;
  InferBatch infer_;
  ManagedOptions options_;
  ModeHook hook_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  std::optional<device::PowerMode> pending_mode_;
  bool stopping_ = false, training_done_ = false;
  uint64_t next_id_ = 0;
  RuntimeStats stats_;
  Clock::time_point start_;
  std::thread executor_;
};

class NativeInterleaver {
 public:
  NativeInterleaver(TrainStep train, InferBatch infer);
  ~NativeInterleaver();
  NativeInterleaver(const NativeInterleaver&) = delete;
  NativeInterleaver& operator=(const NativeInterleaver&) = delete;

  void start();
  uint64_t submit();
  void stop();  // serves the queued requests, then joins both threads
  RuntimeStats stats() const;

 private:
  TrainStep train_;
  InferBatch infer_;
  // The contended "GPU": granted in request order (a ticket lock), as a driver time-slices two contexts; a plain
  // mutex would let the training thread re-acquire it at once and starve inference.
  class FifoLock {
   public:
    void lock();
    void unlock();

   private:
    std::mutex m_;
    std::condition_variable cv_;
    uint64_t next_ = 0, serving_ = 0;
  };
  FifoLock gpu_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  std::atomic<bool> stop_training_{false};
  uint64_t next_id_ = 0;
  RuntimeStats stats_;
  Clock::time_point start_;
  std::thread train_thread_, infer_thread_;
};

// ---- emulated jobs and arrivals ----

// Sleep for an emulated duration scaled by time_scale (0.1: ten times faster than the board).
void sleep_scaled(double duration_ms, double time_scale);

// A training job whose minibatch takes time_ms() (read at each minibatch, so a mode hook can change it).
TrainStep emulated_train(std::function<double()> time_ms, double time_scale, int64_t max_minibatches = -1);
// An inference job whose batch of n requests takes time_ms(n).
InferBatch emulated_infer(std::function<double(int n)> time_ms, double time_scale);

// Calls submit() at each arrival time (seconds, scaled by time_scale) on the calling thread.
void replay_arrivals(const std::vector<double>& arrivals_s, double time_scale, const std::function<void()>& submit);

}  // namespace modewise::cosched
