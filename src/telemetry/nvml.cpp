#include "modewise/telemetry/nvml.h"

#include <dlfcn.h>

#include <cstdlib>

#include "modewise/util/strings.h"

namespace modewise::telemetry {

// NVML's C types, declared here so no NVML header is needed to build.
using nvmlReturn_t = int;
using nvmlDevice_t = void*;
struct nvmlUtilization_t {
  unsigned int gpu;
  unsigned int memory;
};

struct Nvml::Api {
  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*shutdown)() = nullptr;
  const char* (*error_string)(nvmlReturn_t) = nullptr;
  nvmlReturn_t (*get_count)(unsigned int*) = nullptr;
  nvmlReturn_t (*get_handle)(unsigned int, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*get_name)(nvmlDevice_t, char*, unsigned int) = nullptr;
  nvmlReturn_t (*get_power)(nvmlDevice_t, unsigned int*) = nullptr;
  nvmlReturn_t (*get_energy)(nvmlDevice_t, unsigned long long*) = nullptr;
  nvmlReturn_t (*get_clock)(nvmlDevice_t, int, unsigned int*) = nullptr;
  // optional
  nvmlReturn_t (*get_max_clock)(nvmlDevice_t, int, unsigned int*) = nullptr;
  nvmlReturn_t (*get_mem_clocks)(nvmlDevice_t, unsigned int*, unsigned int*) = nullptr;
  nvmlReturn_t (*get_gr_clocks)(nvmlDevice_t, unsigned int, unsigned int*, unsigned int*) = nullptr;
  nvmlReturn_t (*get_util)(nvmlDevice_t, nvmlUtilization_t*) = nullptr;
  nvmlReturn_t (*lock_gpu)(nvmlDevice_t, unsigned int, unsigned int) = nullptr;
  nvmlReturn_t (*reset_gpu)(nvmlDevice_t) = nullptr;
  nvmlReturn_t (*lock_mem)(nvmlDevice_t, unsigned int, unsigned int) = nullptr;
  nvmlReturn_t (*reset_mem)(nvmlDevice_t) = nullptr;
};

std::string to_string(NvmlErrorKind kind) {
  switch (kind) {
    case NvmlErrorKind::library_not_found: return "library_not_found";
    case NvmlErrorKind::symbol_missing: return "symbol_missing";
    case NvmlErrorKind::not_supported: return "not_supported";
    case NvmlErrorKind::no_permission: return "no_permission";
    case NvmlErrorKind::invalid_argument: return "invalid_argument";
    case NvmlErrorKind::not_found: return "not_found";
    case NvmlErrorKind::gpu_lost: return "gpu_lost";
    case NvmlErrorKind::driver_not_loaded: return "driver_not_loaded";
    case NvmlErrorKind::other: return "other";
  }
  return "other";
}

NvmlErrorKind nvml_error_kind(int code) {
  switch (code) {
    case 2: return NvmlErrorKind::invalid_argument;
    case 3: return NvmlErrorKind::not_supported;
    case 4: return NvmlErrorKind::no_permission;
    case 6: return NvmlErrorKind::not_found;
    case 9: return NvmlErrorKind::driver_not_loaded;
    case 12: return NvmlErrorKind::library_not_found;
    case 13: return NvmlErrorKind::symbol_missing;
    case 15: return NvmlErrorKind::gpu_lost;
    default: return NvmlErrorKind::other;
  }
}

namespace {

template <typename Fn>
void resolve(void* handle, const char* symbol, Fn& out, bool required, const std::string& library) {
  dlerror();
  void* p = dlsym(handle, symbol);
  if (!p && required)
    throw NvmlError(NvmlErrorKind::symbol_missing, -1,
                    fmt::format("NVML library '{}' lacks {} (driver too old?)", library, symbol));
  out = reinterpret_cast<Fn>(p);
}

void check(const Nvml::Api& api, nvmlReturn_t rc, const char* call) {
  if (rc == 0) return;
  const char* text = api.error_string ? api.error_string(rc) : nullptr;
  std::string hint;
  if (rc == 4) hint = " (changing clocks needs root)";
  if (rc == 3) hint = " (this GPU does not support it)";
  throw NvmlError(nvml_error_kind(rc), rc, fmt::format("NVML {} failed: {} (code {}){}", call,
                                                       text ? text : "unknown error", rc, hint));
}

template <typename Fn>
Fn need(Fn fn, const char* symbol) {
  if (!fn)
    throw NvmlError(NvmlErrorKind::symbol_missing, -1,
                    fmt::format("NVML library lacks {} (driver too old for this query)", symbol));
  return fn;
}

unsigned mhz_arg(double mhz, const char* what) {
  if (!(mhz > 0 && mhz < 1e6)) throw Error("NVML: {} must be a positive clock in MHz, got {}", what, mhz);
  return static_cast<unsigned>(mhz + 0.5);
}

}  // namespace

std::shared_ptr<Nvml> Nvml::load(const std::string& library) {
  std::string lib = library;
  if (lib.empty()) {
    const char* env = std::getenv("MODEWISE_NVML_LIBRARY");
    lib = env && *env ? env : "libnvidia-ml.so.1";
  }
  void* handle = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    throw NvmlError(NvmlErrorKind::library_not_found, -1,
                    fmt::format("cannot load NVML '{}': {} (no NVIDIA driver on this machine? nvml:N needs a discrete "
                                "NVIDIA GPU; on a Jetson use --device jetson)",
                                lib, why ? why : "not found"));
  }
  std::shared_ptr<Nvml> nvml(new Nvml());
  nvml->handle_ = handle;
  nvml->library_ = lib;
  nvml->api_ = std::make_unique<Api>();
  Api& a = *nvml->api_;
  resolve(handle, "nvmlInit_v2", a.init, true, lib);
  resolve(handle, "nvmlShutdown", a.shutdown, true, lib);
  resolve(handle, "nvmlErrorString", a.error_string, true, lib);
  resolve(handle, "nvmlDeviceGetCount_v2", a.get_count, true, lib);
  resolve(handle, "nvmlDeviceGetHandleByIndex_v2", a.get_handle, true, lib);
  resolve(handle, "nvmlDeviceGetName", a.get_name, true, lib);
  resolve(handle, "nvmlDeviceGetPowerUsage", a.get_power, true, lib);
  resolve(handle, "nvmlDeviceGetTotalEnergyConsumption", a.get_energy, true, lib);
  resolve(handle, "nvmlDeviceGetClockInfo", a.get_clock, true, lib);
  resolve(handle, "nvmlDeviceGetMaxClockInfo", a.get_max_clock, false, lib);
  resolve(handle, "nvmlDeviceGetSupportedMemoryClocks", a.get_mem_clocks, false, lib);
  resolve(handle, "nvmlDeviceGetSupportedGraphicsClocks", a.get_gr_clocks, false, lib);
  resolve(handle, "nvmlDeviceGetUtilizationRates", a.get_util, false, lib);
  resolve(handle, "nvmlDeviceSetGpuLockedClocks", a.lock_gpu, false, lib);
  resolve(handle, "nvmlDeviceResetGpuLockedClocks", a.reset_gpu, false, lib);
  resolve(handle, "nvmlDeviceSetMemoryLockedClocks", a.lock_mem, false, lib);
  resolve(handle, "nvmlDeviceResetMemoryLockedClocks", a.reset_mem, false, lib);
  nvmlReturn_t rc = a.init();
  if (rc != 0) {
    nvml->api_->shutdown = nullptr;  // never initialized: no shutdown
    check(a, rc, "nvmlInit_v2");
  }
  return nvml;
}

Nvml::~Nvml() {
  if (api_ && api_->shutdown) api_->shutdown();
  if (handle_) dlclose(handle_);
}

unsigned Nvml::device_count() const {
  unsigned n = 0;
  check(*api_, api_->get_count(&n), "nvmlDeviceGetCount_v2");
  return n;
}

NvmlDevice Nvml::device(unsigned index) {
  unsigned n = device_count();
  if (index >= n)
    throw NvmlError(NvmlErrorKind::invalid_argument, 2,
                    fmt::format("NVML has {} GPU(s); there is no nvml:{} (expected 0 to {})", n, index,
                                n == 0 ? 0 : n - 1));
  nvmlDevice_t dev = nullptr;
  check(*api_, api_->get_handle(index, &dev), "nvmlDeviceGetHandleByIndex_v2");
  return NvmlDevice(shared_from_this(), dev, index);
}

std::string NvmlDevice::name() const {
  char buf[256] = {};
  check(nvml_->api(), nvml_->api().get_name(handle_, buf, sizeof buf - 1), "nvmlDeviceGetName");
  return std::string(buf);
}

double NvmlDevice::power_w() const {
  unsigned mw = 0;
  check(nvml_->api(), nvml_->api().get_power(handle_, &mw), "nvmlDeviceGetPowerUsage");
  return mw / 1000.0;
}

double NvmlDevice::total_energy_j() const {
  unsigned long long mj = 0;
  check(nvml_->api(), nvml_->api().get_energy(handle_, &mj), "nvmlDeviceGetTotalEnergyConsumption");
  return static_cast<double>(mj) / 1000.0;
}

double NvmlDevice::clock_mhz(NvmlClock which) const {
  unsigned v = 0;
  check(nvml_->api(), nvml_->api().get_clock(handle_, static_cast<int>(which), &v), "nvmlDeviceGetClockInfo");
  return v;
}

double NvmlDevice::max_clock_mhz(NvmlClock which) const {
  unsigned v = 0;
  auto fn = need(nvml_->api().get_max_clock, "nvmlDeviceGetMaxClockInfo");
  check(nvml_->api(), fn(handle_, static_cast<int>(which), &v), "nvmlDeviceGetMaxClockInfo");
  return v;
}

std::vector<double> NvmlDevice::supported_memory_clocks_mhz() const {
  auto fn = need(nvml_->api().get_mem_clocks, "nvmlDeviceGetSupportedMemoryClocks");
  unsigned clocks[256];
  unsigned n = 256;
  check(nvml_->api(), fn(handle_, &n, clocks), "nvmlDeviceGetSupportedMemoryClocks");
  return std::vector<double>(clocks, clocks + std::min(n, 256u));
}

std::vector<double> NvmlDevice::supported_graphics_clocks_mhz(double memory_mhz) const {
  auto fn = need(nvml_->api().get_gr_clocks, "nvmlDeviceGetSupportedGraphicsClocks");
  unsigned clocks[512];
  unsigned n = 512;
  check(nvml_->api(), fn(handle_, mhz_arg(memory_mhz, "memory clock"), &n, clocks),
        "nvmlDeviceGetSupportedGraphicsClocks");
  return std::vector<double>(clocks, clocks + std::min(n, 512u));
}

double NvmlDevice::gpu_utilization() const {
  auto fn = need(nvml_->api().get_util, "nvmlDeviceGetUtilizationRates");
  nvmlUtilization_t u{};
  check(nvml_->api(), fn(handle_, &u), "nvmlDeviceGetUtilizationRates");
  return u.gpu / 100.0;
}

void NvmlDevice::lock_gpu_clocks(double min_mhz, double max_mhz) const {
  auto fn = need(nvml_->api().lock_gpu, "nvmlDeviceSetGpuLockedClocks");
  check(nvml_->api(), fn(handle_, mhz_arg(min_mhz, "min GPU clock"), mhz_arg(max_mhz, "max GPU clock")),
        "nvmlDeviceSetGpuLockedClocks");
}

void NvmlDevice::reset_gpu_clocks() const {
  auto fn = need(nvml_->api().reset_gpu, "nvmlDeviceResetGpuLockedClocks");
  check(nvml_->api(), fn(handle_), "nvmlDeviceResetGpuLockedClocks");
}

void NvmlDevice::lock_memory_clocks(double min_mhz, double max_mhz) const {
  auto fn = need(nvml_->api().lock_mem, "nvmlDeviceSetMemoryLockedClocks");
  check(nvml_->api(), fn(handle_, mhz_arg(min_mhz, "min memory clock"), mhz_arg(max_mhz, "max memory clock")),
        "nvmlDeviceSetMemoryLockedClocks");
}

void NvmlDevice::reset_memory_clocks() const {
  auto fn = need(nvml_->api().reset_mem, "nvmlDeviceResetMemoryLockedClocks");
  check(nvml_->api(), fn(handle_), "nvmlDeviceResetMemoryLockedClocks");
}

namespace {

class NvmlSensor : public PowerSensor {
 public:
  explicit NvmlSensor(NvmlDevice dev) : dev_(std::move(dev)) {}
  std::string name() const override { return fmt::format("nvml:{}", dev_.index()); }
  std::vector<std::string> channels() const override { return {"total"}; }
  std::string total_rule() const override { return "GPU board power (NVML)"; }
  Reading read(double) override {
    Reading r;
    r.power_w = {dev_.power_w()};
    try {
      r.counter_energy_j = dev_.total_energy_j();
    } catch (const NvmlError& e) {
      if (e.kind() != NvmlErrorKind::not_supported) throw;
    }
    return r;
  }

 private:
  NvmlDevice dev_;
};

}  // namespace

std::unique_ptr<PowerSensor> make_nvml_sensor(std::shared_ptr<Nvml> nvml, unsigned index) {
  return std::make_unique<NvmlSensor>(nvml->device(index));
}

}  // namespace modewise::telemetry
