// The sim:<device> backend: a RunTrace drawn around the noise-free estimate, with ~1 s of idle power before
// the run, a warm-up phase (slow, low-power first minibatches), per-minibatch noise and sampled board power.
#include <map>

#include <fmt/format.h>

#include "modewise/device/grid.h"
#include "modewise/sim/emulator.h"
#include "modewise/util/error.h"
#include "sim/noise.h"

namespace modewise::sim {

namespace {

class SimBackend : public device::Backend {
 public:
  SimBackend(device::DeviceSpec spec, uint64_t seed, SimOptions options)
      : spec_(std::move(spec)), seed_(seed), options_(options), mode_(spec_.maxn()) {}

  std::string name() const override { return "sim:" + spec_.name; }
  device::Provenance provenance() const override { return device::Provenance::emulated; }
  const device::DeviceSpec& spec() const override { return spec_; }
  void apply(const device::PowerMode& mode) override {
    device::validate_mode(spec_, mode);
    mode_ = mode;
  }
  device::PowerMode current_mode() const override { return mode_; }

  device::RunTrace run(const device::WorkloadRequest& req, int minibatches) override {
    if (minibatches < 1) throw UsageError("sim: number of minibatches must be >= 1 (got {})", minibatches);
    Estimate est = estimate(spec_, req, mode_, options_);
    std::string key = fmt::format("{}|{}|{}|{}|{}|{}", mode_.key(), canonical_workload(req.workload), req.task,
                                  req.batch_size, req.workers, req.storage);
    uint64_t run_index = runs_[key]++;
    return detail::draw_trace(est, minibatches, detail::trace_seed(seed_, key, run_index));
  }

 private:
  device::DeviceSpec spec_;
  uint64_t seed_;
  SimOptions options_;
  device::PowerMode mode_;
  std::map<std::string, uint64_t> runs_;  // runs so far per (mode, workload): the n-th run reproduces
};

}  // namespace

std::unique_ptr<device::Backend> make_sim_backend(const device::DeviceSpec& spec, uint64_t seed) {
  return make_sim_backend(spec, seed, SimOptions{});
}

std::unique_ptr<device::Backend> make_sim_backend(const device::DeviceSpec& spec, uint64_t seed,
                                                  const SimOptions& options) {
  return std::make_unique<SimBackend>(spec, seed, options);
}

}  // namespace modewise::sim
