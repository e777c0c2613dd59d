#include "modewise/control/jetson_backend.h"

#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "modewise/control/board.h"
#include "modewise/control/command_runner.h"
#include "modewise/control/mode_controller.h"
#include "modewise/control/signals.h"
#include "modewise/telemetry/nvml.h"
#include "modewise/telemetry/power_sensor.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::control {

namespace {

double env_double(const char* name, double fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  double d = util::parse_double(v, fmt::format("${}", name), "a number");
  if (d < 0) throw UsageError("${}: expected a non-negative number, found '{}'", name, v);
  return d;
}

void stderr_log(const std::string& msg) { fmt::print(stderr, "modewise: {}\n", msg); }

void check_interrupt() {
  if (int sig = SignalCatcher::caught()) throw Interrupted(sig);
}

class JetsonBackend : public device::Backend {
 public:
  explicit JetsonBackend(JetsonOptions o) : o_(std::move(o)), root_(o_.sysfs_root), board_(discover_board(root_)) {
    std::vector<std::string> warnings;
    spec_ = board_spec(board_, &warnings);
    if (o_.log)
      for (const auto& w : warnings) o_.log("warning: " + w);
  }

  std::string name() const override { return "jetson"; }
  device::Provenance provenance() const override { return device::Provenance::measured; }
  std::string total_rule() const override { return board_.total_rule; }
  const device::DeviceSpec& spec() const override { return spec_; }

  void apply(const device::PowerMode& mode) override {
    if (!catcher_) catcher_ = std::make_unique<SignalCatcher>();
    check_interrupt();
    if (!controller_) {
      ControlOptions co;
      co.sysfs_root = o_.sysfs_root;
      co.state_dir = o_.state_dir;
      co.log = o_.log;
      controller_ = std::make_unique<ModeController>(board_, co);
    }
    auto writes = controller_->apply(mode);
    current_ = controller_->resolve(mode).mode;
    if (!writes.empty() && o_.settle_s > 0) SignalCatcher::wait(o_.settle_s);
    check_interrupt();
  }

  device::PowerMode current_mode() const override {
    if (current_) return *current_;
    return mode_of(board_, read_knobs(root_, board_));
  }

  device::RunTrace run(const device::WorkloadRequest& w, int minibatches) override {
    check_interrupt();
    if (w.command.empty())
      throw Error("the jetson backend runs your own workload: pass --command \"python train.py ...\"; the command "
                  "reports minibatches on $MODEWISE_PIPE (python/modewise_probe.py, docs/HARDWARE.md)");
    if (!sensor_) sensor_ = telemetry::make_ina3221_sensor(root_);
    CommandOptions co;
    co.sample_interval_s = o_.sample_interval_s;
    co.gpu_load_file = board_.gpu ? board_.gpu->load_file : "";
    co.env = workload_env(w, current_mode());
    co.log = o_.log;
    return run_command(w.command, minibatches, *sensor_, root_, co);
  }

  ~JetsonBackend() override {
    controller_.reset();  // restores the board (errors are logged by the controller)
  }

 private:
  JetsonOptions o_;
  telemetry::SysfsRoot root_;
  JetsonBoard board_;
  device::DeviceSpec spec_;
  std::unique_ptr<SignalCatcher> catcher_;
  std::unique_ptr<ModeController> controller_;
  std::unique_ptr<telemetry::PowerSensor> sensor_;
  std::optional<device::PowerMode> current_;
};

class NvmlBackend : public device::Backend {
 public:
  explicit NvmlBackend(NvmlOptions o)
      : o_(std::move(o)), root_(o_.sysfs_root), nvml_(telemetry::Nvml::load()), dev_(nvml_->device(o_.index)) {
    spec_.name = fmt::format("nvml:{}", o_.index);
    spec_.description = dev_.name() + " (NVML)";
    unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    std::vector<int> all;
    for (unsigned i = 0; i < cpus; ++i) all.push_back(static_cast<int>(i));
    spec_.cpu_clusters = {all};
    spec_.min_cores = static_cast<int>(cpus);  // host cores are not controlled
    double cpu_mhz = 0;
    if (auto khz = root_.try_read_int("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")) cpu_mhz = *khz / 1000.0;
    spec_.cpu_mhz = {cpu_mhz};
    try {
      spec_.emc_mhz = dev_.supported_memory_clocks_mhz();
      std::sort(spec_.emc_mhz.begin(), spec_.emc_mhz.end());
      if (!spec_.emc_mhz.empty()) spec_.gpu_mhz = dev_.supported_graphics_clocks_mhz(spec_.emc_mhz.back());
      std::sort(spec_.gpu_mhz.begin(), spec_.gpu_mhz.end());
    } catch (const telemetry::NvmlError&) {
      spec_.emc_mhz.clear();
      spec_.gpu_mhz.clear();
    }
    try {
      if (spec_.gpu_mhz.empty()) spec_.gpu_mhz = {dev_.max_clock_mhz(telemetry::NvmlClock::graphics)};
      if (spec_.emc_mhz.empty()) spec_.emc_mhz = {dev_.max_clock_mhz(telemetry::NvmlClock::memory)};
      (void)dev_.clock_mhz(telemetry::NvmlClock::graphics);
    } catch (const telemetry::NvmlError& e) {
      if (e.kind() != telemetry::NvmlErrorKind::not_supported) throw;
      // NVML on a Jetson (JetPack 6/7) initializes, then answers NotSupported for clocks and power.
      throw Error("nvml:{}: NVML answers NotSupported for the GPU clocks ({}); on a Jetson use --device jetson, which "
                  "reads the board's clock tables and its INA power rails",
                  o_.index, e.what());
    }
    spec_.rails = {"total"};
  }

  ~NvmlBackend() override {
    if (!locked_) return;
    try {
      dev_.reset_gpu_clocks();
      dev_.reset_memory_clocks();
    } catch (const std::exception& e) {
      if (o_.log) o_.log(fmt::format("warning: could not reset the locked clocks of nvml:{}: {}", o_.index, e.what()));
    }
  }

  std::string name() const override { return spec_.name; }
  device::Provenance provenance() const override { return device::Provenance::measured; }
  std::string total_rule() const override { return "GPU board power (NVML)"; }
  const device::DeviceSpec& spec() const override { return spec_; }

  void apply(const device::PowerMode& mode) override {
    if (!catcher_) catcher_ = std::make_unique<SignalCatcher>();
    check_interrupt();
    device::PowerMode now = current_mode();
    if (device::to_khz(now.gpu_mhz) == device::to_khz(mode.gpu_mhz) &&
        device::to_khz(now.emc_mhz) == device::to_khz(mode.emc_mhz))
      return;
    if (!o_.allow_writes)
      throw Error("nvml:{} runs at GPU {} MHz / memory {} MHz; changing clocks to {} is off by default: set "
                  "MODEWISE_NVML_ALLOW_WRITES=1 to lock clocks (root; reset when modewise exits)",
                  o_.index, util::format_number(now.gpu_mhz), util::format_number(now.emc_mhz), mode.describe());
    locked_ = true;
    dev_.lock_memory_clocks(mode.emc_mhz, mode.emc_mhz);
    dev_.lock_gpu_clocks(mode.gpu_mhz, mode.gpu_mhz);
    locked_mode_ = mode;
  }

  device::PowerMode current_mode() const override {
    if (locked_mode_) return *locked_mode_;
    device::PowerMode m;
    m.cores = spec_.cpu_cores();
    m.cpu_mhz = spec_.cpu_mhz.front();
    m.gpu_mhz = dev_.clock_mhz(telemetry::NvmlClock::graphics);
    m.emc_mhz = dev_.clock_mhz(telemetry::NvmlClock::memory);
    return m;
  }

  device::RunTrace run(const device::WorkloadRequest& w, int minibatches) override {
    check_interrupt();
    if (w.command.empty())
      throw Error("the nvml backend runs your own workload: pass --command \"python train.py ...\" (docs/HARDWARE.md)");
    // Power from NVML, or from the INA rails where NVML answers NotSupported (the sensor's name says which).
    auto sensor = telemetry::open_power_sensor(fmt::format("nvml:{}", o_.index), root_);
    if (o_.log && sensor->name() != fmt::format("nvml:{}", o_.index)) o_.log("power source: " + sensor->name());
    CommandOptions co;
    co.sample_interval_s = o_.sample_interval_s;
    co.env = workload_env(w, current_mode());
    co.log = o_.log;
    double e0 = -1;
    try {
      e0 = dev_.total_energy_j();
    } catch (const telemetry::NvmlError&) {
    }
    auto trace = run_command(w.command, minibatches, *sensor, root_, co);
    if (e0 >= 0) trace.extra["nvml_counter_energy_j"] = dev_.total_energy_j() - e0;
    try {
      trace.gpu_util = dev_.gpu_utilization();
    } catch (const telemetry::NvmlError&) {
    }
    return trace;
  }

 private:
  NvmlOptions o_;
  telemetry::SysfsRoot root_;
  std::shared_ptr<telemetry::Nvml> nvml_;
  telemetry::NvmlDevice dev_;
  device::DeviceSpec spec_;
  std::unique_ptr<SignalCatcher> catcher_;
  bool locked_ = false;
  std::optional<device::PowerMode> locked_mode_;
};

}  // namespace

JetsonOptions JetsonOptions::from_env(const std::string& sysfs_root) {
  JetsonOptions o;
  o.sysfs_root = sysfs_root;
  if (const char* d = std::getenv("MODEWISE_STATE_DIR"); d && *d) o.state_dir = d;
  o.sample_interval_s = env_double("MODEWISE_SAMPLE_INTERVAL_MS", o.sample_interval_s * 1000) / 1000.0;
  if (o.sample_interval_s <= 0) throw UsageError("$MODEWISE_SAMPLE_INTERVAL_MS must be positive");
  o.settle_s = env_double("MODEWISE_SETTLE_S", o.settle_s);
  o.log = stderr_log;
  return o;
}

NvmlOptions NvmlOptions::from_env(unsigned index, const std::string& sysfs_root) {
  NvmlOptions o;
  o.index = index;
  o.sysfs_root = sysfs_root;
  const char* w = std::getenv("MODEWISE_NVML_ALLOW_WRITES");
  o.allow_writes = w && std::string(w) == "1";
  o.log = stderr_log;
  return o;
}

std::unique_ptr<device::Backend> make_jetson_backend(const JetsonOptions& options) {
  return std::make_unique<JetsonBackend>(options);
}

std::unique_ptr<device::Backend> make_nvml_backend(const NvmlOptions& options) {
  return std::make_unique<NvmlBackend>(options);
}

}  // namespace modewise::control
