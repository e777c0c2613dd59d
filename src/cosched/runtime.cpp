#include "modewise/cosched/runtime.h"

#include "modewise/util/error.h"

namespace modewise::cosched {

namespace {
double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}
}  // namespace

// ---- ManagedInterleaver ----

ManagedInterleaver::ManagedInterleaver(TrainStep train, InferBatch infer, ManagedOptions options)
    : train_(std::move(train)), infer_(std::move(infer)), options_(options) {
  if (options_.infer_batch_size < 1) throw UsageError("inference batch size must be >= 1");
  if (!infer_) throw UsageError("the managed runtime needs an inference callback");
  if (!train_) training_done_ = true;
}

ManagedInterleaver::~ManagedInterleaver() { stop(); }

void ManagedInterleaver::set_mode_hook(ModeHook hook) {
  std::lock_guard lock(mu_);
  MW_CHECK(!executor_.joinable());
  hook_ = std::move(hook);
}

void ManagedInterleaver::request_mode(const device::PowerMode& mode) {
  {
    std::lock_guard lock(mu_);
    pending_mode_ = mode;
  }
  cv_.notify_all();
}

void ManagedInterleaver::start() {
  std::lock_guard lock(mu_);
  MW_CHECK(!executor_.joinable());
  start_ = Clock::now();
  executor_ = std::thread([this] { executor_loop(); });
}

uint64_t ManagedInterleaver::submit() {
  uint64_t id;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    queue_.push_back({id, Clock::now()});
    ++stats_.submitted;
  }
  cv_.notify_all();
  return id;
}

void ManagedInterleaver::stop() {
  {
    std::lock_guard lock(mu_);
    if (!executor_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  executor_.join();
  std::lock_guard lock(mu_);
  stats_.elapsed_s = std::chrono::duration<double>(Clock::now() - start_).count();
}

RuntimeStats ManagedInterleaver::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void ManagedInterleaver::executor_loop() {
  const size_t b = static_cast<size_t>(options_.infer_batch_size);
  std::unique_lock lock(mu_);
  for (;;) {
    if (pending_mode_) {  // a safe point: nothing runs between minibatches
      device::PowerMode mode = *pending_mode_;
      pending_mode_.reset();
      ++stats_.mode_switches;
      if (hook_) {
        lock.unlock();
        hook_(mode);
        lock.lock();
      }
      continue;
    }
    const bool flush_due = !queue_.empty() && options_.flush_after_ms > 0 &&
                           ms_between(queue_.front().arrival, Clock::now()) >= options_.flush_after_ms;
    const bool partial_allowed = stopping_ || training_done_ || flush_due;
    if (queue_.size() >= b || (!queue_.empty() && partial_allowed)) {
      std::vector<Request> batch;
      while (!queue_.empty() && batch.size() < b) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      lock.unlock();
      const auto t0 = Clock::now();
      infer_(batch);
      const auto t1 = Clock::now();
      lock.lock();
      for (const auto& r : batch) stats_.latencies_ms.push_back(ms_between(r.arrival, t1));
      stats_.infer_busy_s += std::chrono::duration<double>(t1 - t0).count();
      ++stats_.infer_batches;
      continue;
    }
    if (stopping_) return;
    if (!training_done_) {
      const int64_t index = stats_.train_minibatches;
      lock.unlock();
      const auto t0 = Clock::now();
      const bool more = train_(index);
      const auto t1 = Clock::now();
      lock.lock();
      stats_.train_busy_s += std::chrono::duration<double>(t1 - t0).count();
      ++stats_.train_minibatches;
      if (!more) training_done_ = true;
      continue;
    }
    // Idle: wait for a request, a mode switch or stop (or the flush deadline of the oldest request).
    if (options_.flush_after_ms > 0 && !queue_.empty())
      cv_.wait_until(lock, queue_.front().arrival + std::chrono::duration_cast<Clock::duration>(
                                                         std::chrono::duration<double, std::milli>(
                                                             options_.flush_after_ms)));
    else
      cv_.wait(lock, [&] { return stopping_ || pending_mode_ || !queue_.empty(); });
  }
}

// ---- NativeInterleaver ----

void NativeInterleaver::FifoLock::lock() {
  std::unique_lock l(m_);
  const uint64_t ticket = next_++;
  cv_.wait(l, [&] { return serving_ == ticket; });
}

void NativeInterleaver::FifoLock::unlock() {
  {
    std::lock_guard l(m_);
    ++serving_;
  }
  cv_.notify_all();
}

NativeInterleaver::NativeInterleaver(TrainStep train, InferBatch infer)
    : train_(std::move(train)), infer_(std::move(infer)) {
  if (!infer_) throw UsageError("the native runtime needs an inference callback");
}

NativeInterleaver::~NativeInterleaver() { stop(); }

void NativeInterleaver::start() {
  start_ = Clock::now();
  if (train_)
    train_thread_ = std::thread([this] {
      for (int64_t k = 0; !stop_training_.load(); ++k) {
        bool more;
        Clock::time_point t0, t1;
        {
          std::lock_guard gpu(gpu_);
          t0 = Clock::now();
          more = train_(k);
          t1 = Clock::now();
        }
        std::lock_guard lock(mu_);
        stats_.train_busy_s += std::chrono::duration<double>(t1 - t0).count();
        ++stats_.train_minibatches;
        if (!more) break;
      }
    });
  infer_thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      std::vector<Request> one{queue_.front()};
      queue_.pop_front();
      lock.unlock();
      Clock::time_point t0, t1;
      {
        std::lock_guard gpu(gpu_);
        t0 = Clock::now();
        infer_(one);
        t1 = Clock::now();
      }
      lock.lock();
      stats_.latencies_ms.push_back(ms_between(one.front().arrival, t1));
      stats_.infer_busy_s += std::chrono::duration<double>(t1 - t0).count();
      ++stats_.infer_batches;
    }
  });
}

uint64_t NativeInterleaver::submit() {
  uint64_t id;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    queue_.push_back({id, Clock::now()});
    ++stats_.submitted;
  }
  cv_.notify_all();
  return id;
}

void NativeInterleaver::stop() {
  {
    std::lock_guard lock(mu_);
    if (!infer_thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  infer_thread_.join();  // drains the queue first
  stop_training_ = true;
  if (train_thread_.joinable()) train_thread_.join();
  std::lock_guard lock(mu_);
  stats_.elapsed_s = std::chrono::duration<double>(Clock::now() - start_).count();
}

RuntimeStats NativeInterleaver::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

// ---- emulated jobs ----

void sleep_scaled(double duration_ms, double time_scale) {
  std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(duration_ms * time_scale));
}

TrainStep emulated_train(std::function<double()> time_ms, double time_scale, int64_t max_minibatches) {
  return [time_ms = std::move(time_ms), time_scale, max_minibatches](int64_t k) {
    sleep_scaled(time_ms(), time_scale);
    return max_minibatches < 0 || k + 1 < max_minibatches;
  };
}

InferBatch emulated_infer(std::function<double(int)> time_ms, double time_scale) {
  return [time_ms = std::move(time_ms), time_scale](const std::vector<Request>& batch) {
    sleep_scaled(time_ms(static_cast<int>(batch.size())), time_scale);
  };
}

void replay_arrivals(const std::vector<double>& arrivals_s, double time_scale, const std::function<void()>& submit) {
  const auto t0 = Clock::now();
  for (double a : arrivals_s) {
    std::this_thread::sleep_until(t0 + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(a * time_scale)));
    submit();
  }
}

}  // namespace modewise::cosched
