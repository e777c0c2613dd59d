// NVML for discrete NVIDIA GPUs, loaded at run time with dlopen("libnvidia-ml.so.1") so modewise builds and runs
// everywhere; where no driver is installed, Nvml::load() throws NvmlError(kind = library_not_found).
// Reads: name, power (mW), the total-energy counter (mJ), clocks (MHz), supported clocks, utilization.
// Writes (locked GPU / memory clocks) only through NvmlDevice::lock_* and only when the caller opted in.
// $MODEWISE_NVML_LIBRARY names another library file (tests load a fake one).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "modewise/telemetry/power_sensor.h"
#include "modewise/util/error.h"

namespace modewise::telemetry {

enum class NvmlErrorKind {
  library_not_found,  // dlopen failed
  symbol_missing,     // the library lacks a function (old driver)
  not_supported,      // NVML_ERROR_NOT_SUPPORTED
  no_permission,      // NVML_ERROR_NO_PERMISSION
  invalid_argument,   // NVML_ERROR_INVALID_ARGUMENT (bad index, bad clock)
  not_found,          // NVML_ERROR_NOT_FOUND
  gpu_lost,           // NVML_ERROR_GPU_IS_LOST
  driver_not_loaded,  // NVML_ERROR_DRIVER_NOT_LOADED
  other,
};
std::string to_string(NvmlErrorKind kind);

class NvmlError : public Error {
 public:
  NvmlError(NvmlErrorKind kind, int code, const std::string& what) : Error(what), kind_(kind), code_(code) {}
  NvmlErrorKind kind() const { return kind_; }
  int code() const { return code_; }  // the nvmlReturn_t, or -1 for loader errors

 private:
  NvmlErrorKind kind_;
  int code_;
};
// The kind for an nvmlReturn_t code.
NvmlErrorKind nvml_error_kind(int code);

enum class NvmlClock { graphics = 0, sm = 1, memory = 2, video = 3 };

class NvmlDevice;

// A loaded and initialized NVML (nvmlInit_v2 on load, nvmlShutdown when the last reference goes).
class Nvml : public std::enable_shared_from_this<Nvml> {
 public:
  // library: "" = $MODEWISE_NVML_LIBRARY or "libnvidia-ml.so.1".
  static std::shared_ptr<Nvml> load(const std::string& library = "");
  ~Nvml();
  unsigned device_count() const;
  NvmlDevice device(unsigned index);
  const std::string& library() const { return library_; }

  struct Api;  // resolved function pointers (nvml.cpp)
  const Api& api() const { return *api_; }

 private:
  Nvml() = default;
  void* handle_ = nullptr;
  std::string library_;
  std::unique_ptr<Api> api_;
};

class NvmlDevice {
 public:
  unsigned index() const { return index_; }
  std::string name() const;
  double power_w() const;               // nvmlDeviceGetPowerUsage
  double total_energy_j() const;        // nvmlDeviceGetTotalEnergyConsumption (since the driver loaded)
  double clock_mhz(NvmlClock which) const;
  double max_clock_mhz(NvmlClock which) const;
  std::vector<double> supported_memory_clocks_mhz() const;
  std::vector<double> supported_graphics_clocks_mhz(double memory_mhz) const;
  double gpu_utilization() const;  // 0..1
  // Writes (root, supported GPUs only).
  void lock_gpu_clocks(double min_mhz, double max_mhz) const;
  void reset_gpu_clocks() const;
  void lock_memory_clocks(double min_mhz, double max_mhz) const;
  void reset_memory_clocks() const;

 private:
  friend class Nvml;
  NvmlDevice(std::shared_ptr<Nvml> nvml, void* handle, unsigned index)
      : nvml_(std::move(nvml)), handle_(handle), index_(index) {}
  std::shared_ptr<Nvml> nvml_;
  void* handle_;
  unsigned index_;
};

// A PowerSensor reading one GPU: channel "total" (= the GPU's board power), energy from NVML's counter.
std::unique_ptr<PowerSensor> make_nvml_sensor(std::shared_ptr<Nvml> nvml, unsigned index);

}  // namespace modewise::telemetry
