// A stand-in libnvidia-ml for tests: the NVML functions modewise resolves, one GPU ("Fake GPU"), fixed readings.
// FAKE_NVML_INIT_FAILS=1 makes nvmlInit_v2 fail (driver not loaded); clock locks need FAKE_NVML_ALLOW_SET=1 (else
// NVML_ERROR_NO_PERMISSION, as for a non-root user). FAKE_NVML_JETSON=1 behaves as NVML on a Jetson (JetPack 6/7):
// it initializes, then answers NVML_ERROR_NOT_SUPPORTED (3) for power, energy, clocks and utilization.
#include <cstdlib>
#include <cstring>

namespace {
struct FakeDevice {
  unsigned locked_gpu = 0, locked_mem = 0;
  unsigned long long energy_mj = 5000000;
} g_device;
bool g_init = false;
bool env_on(const char* name) {
  const char* v = std::getenv(name);
  return v && std::strcmp(v, "1") == 0;
}
const unsigned kMemClocks[] = {1593, 810};
const unsigned kGrClocks[] = {1410, 1200, 900, 600};
}  // namespace

extern "C" {
typedef void* nvmlDevice_t;
struct nvmlUtilization_t {
  unsigned int gpu, memory;
};

int nvmlInit_v2() {
  if (env_on("FAKE_NVML_INIT_FAILS")) return 9;
  g_init = true;
  return 0;
}
int nvmlShutdown() {
  g_init = false;
  return 0;
}
const char* nvmlErrorString(int rc) {
  switch (rc) {
    case 2: return "Invalid Argument";
    case 3: return "Not Supported";
    case 4: return "Insufficient Permissions";
    case 9: return "Driver Not Loaded";
    default: return "Unknown Error";
  }
}
int nvmlDeviceGetCount_v2(unsigned* n) {
  if (!g_init) return 1;
  *n = 1;
  return 0;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned i, nvmlDevice_t* d) {
  if (i != 0) return 2;
  *d = &g_device;
  return 0;
}
int nvmlDeviceGetName(nvmlDevice_t, char* buf, unsigned len) {
  std::strncpy(buf, "Fake GPU", len);
  return 0;
}
int nvmlDeviceGetPowerUsage(nvmlDevice_t, unsigned* mw) {
  if (env_on("FAKE_NVML_JETSON")) return 3;
  *mw = 123456;
  return 0;
}
int nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long* mj) {
  if (env_on("FAKE_NVML_JETSON")) return 3;
  auto* dev = static_cast<FakeDevice*>(d);
  dev->energy_mj += 1000;
  *mj = dev->energy_mj;
  return 0;
}
int nvmlDeviceGetClockInfo(nvmlDevice_t d, int type, unsigned* mhz) {
  if (env_on("FAKE_NVML_JETSON")) return 3;
  auto* dev = static_cast<FakeDevice*>(d);
  if (type == 0 || type == 1) *mhz = dev->locked_gpu ? dev->locked_gpu : 1410;
  else if (type == 2) *mhz = dev->locked_mem ? dev->locked_mem : 1593;
  else return 2;
  return 0;
}
int nvmlDeviceGetMaxClockInfo(nvmlDevice_t, int type, unsigned* mhz) {
  *mhz = type == 2 ? 1593 : 1410;
  return 0;
}
int nvmlDeviceGetSupportedMemoryClocks(nvmlDevice_t, unsigned* count, unsigned* clocks) {
  if (*count < 2) {
    *count = 2;
    return 7;
  }
  *count = 2;
  std::memcpy(clocks, kMemClocks, sizeof kMemClocks);
  return 0;
}
int nvmlDeviceGetSupportedGraphicsClocks(nvmlDevice_t, unsigned mem, unsigned* count, unsigned* clocks) {
  if (mem != 1593 && mem != 810) return 2;
  *count = 4;
  std::memcpy(clocks, kGrClocks, sizeof kGrClocks);
  return 0;
}
int nvmlDeviceGetUtilizationRates(nvmlDevice_t, nvmlUtilization_t* u) {
  u->gpu = 42;
  u->memory = 7;
  return 0;
}
int nvmlDeviceSetGpuLockedClocks(nvmlDevice_t d, unsigned lo, unsigned) {
  if (!env_on("FAKE_NVML_ALLOW_SET")) return 4;
  static_cast<FakeDevice*>(d)->locked_gpu = lo;
  return 0;
}
int nvmlDeviceResetGpuLockedClocks(nvmlDevice_t d) {
  static_cast<FakeDevice*>(d)->locked_gpu = 0;
  return 0;
}
int nvmlDeviceSetMemoryLockedClocks(nvmlDevice_t d, unsigned lo, unsigned) {
  if (!env_on("FAKE_NVML_ALLOW_SET")) return 4;
  static_cast<FakeDevice*>(d)->locked_mem = lo;
  return 0;
}
int nvmlDeviceResetMemoryLockedClocks(nvmlDevice_t d) {
  static_cast<FakeDevice*>(d)->locked_mem = 0;
  return 0;
}
}
