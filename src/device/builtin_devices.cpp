// Built-in device descriptions. Facts: docs/DEVICES.md (from NVIDIA's tables and nvpmodel files).
#include <algorithm>
#include <cmath>

#include "modewise/device/device_spec.h"
#include "modewise/util/error.h"

namespace modewise::device {

namespace {

// base, base+step, ... up to (and including) last_step_max, then any extra values.
std::vector<double> ladder(double base, double step, double max, std::vector<double> extra = {}) {
  std::vector<double> out;
  for (int k = 0;; ++k) {
    double v = std::round((base + step * k) * 10.0) / 10.0;
    if (v > max + 1e-6) break;
    out.push_back(v);
  }
  for (double e : extra)
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  std::sort(out.begin(), out.end());
  return out;
}

DeviceSpec orin_agx() {
  DeviceSpec d;
  d.name = "orin-agx";
  d.description = "NVIDIA Jetson AGX Orin 64GB (12x Cortex-A78AE, 2048-core Ampere GPU, 256-bit LPDDR5)";
  d.cpu_clusters = {{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10, 11}};
  d.cpu_mhz = ladder(115.2, 76.8, 2188.8, {2201.6});
  d.gpu_mhz = {114.75, 216.75, 318.75, 420.75, 522.75, 624.75, 726.75, 828.75, 930.75, 1032.75, 1134.75, 1236.75, 1300.5};
  d.emc_mhz = {204, 665.6, 2133, 3199};
  d.cpu_arch = "Cortex-A78AE";
  d.gpu_arch = "Ampere";
  d.mem_type = "LPDDR5";
  d.gpu_cuda_cores = 2048;
  d.gpu_tensor_cores = 64;
  d.mem_bus_bits = 256;
  d.max_power_w = 60;
  d.rails = {"VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0", "VDDQ_VDD2_1V8AO"};
  d.total_rail = "";  // no input rail on AGX Orin: total = sum of rails
  d.grids["powertrain"] = GridAxes{{2, 4, 6, 8, 10, 12},
                                   {268.8, 422.4, 576.0, 729.6, 883.2, 1036.8, 1190.4, 1344.0, 1497.6, 1651.2, 1804.8,
                                    1958.4, 2112.0, 2201.6},
                                   d.gpu_mhz,
                                   d.emc_mhz};
  d.grids["fulcrum"] = GridAxes{{4, 8, 12},
                                {422.4, 729.6, 1036.8, 1344.0, 1651.2, 1958.4, 2201.6},
                                {114.75, 318.75, 522.75, 726.75, 930.75, 1134.75, 1300.5},
                                {665.6, 2133, 3199}};
  // nvpmodel_p3701_0000.conf (JetPack 5.1): caps in MHz, 0 = uncapped.
  d.presets = {{0, "MAXN", 12, 0, 0, 0, false, {}},
               {1, "MODE_15W", 4, 1113.6, 408, 2133, false, {}},
               {2, "MODE_30W", 8, 1728.0, 612, 0, false, {}},
               {3, "MODE_50W", 12, 1497.6, 816, 0, false, {}}};
  return d;
}

DeviceSpec xavier_agx() {
  DeviceSpec d;
  d.name = "xavier-agx";
  d.description = "NVIDIA Jetson AGX Xavier 32GB (8x Carmel, 512-core Volta GPU, 256-bit LPDDR4x)";
  d.cpu_clusters = {{0, 1}, {2, 3}, {4, 5}, {6, 7}};
  d.cpu_mhz = ladder(115.2, 76.8, 2265.6);
  d.gpu_mhz = {114.75, 216.75, 318.75, 420.75, 522.75, 624.75, 675.75,
               828.75, 905.25, 1032.75, 1198.5, 1236.75, 1338.75, 1377};
  d.emc_mhz = {204, 408, 665.6, 800, 1065.6, 1331.2, 1600, 1866, 2133};
  d.cpu_arch = "Carmel";
  d.gpu_arch = "Volta";
  d.mem_type = "LPDDR4x";
  d.gpu_cuda_cores = 512;
  d.gpu_tensor_cores = 64;
  d.mem_bus_bits = 256;
  d.max_power_w = 65;
  d.rails = {"GPU", "CPU", "SOC", "CV", "VDDRQ", "SYS5V"};
  d.total_rail = "";  // no input rail on AGX Xavier: total = sum of rails
  d.grids["powertrain"] = GridAxes{{2, 4, 6, 8},
                                   {422.4, 729.6, 1036.8, 1344.0, 1651.2, 1958.4, 2265.6},
                                   {318.75, 522.75, 675.75, 905.25, 1198.5, 1377},
                                   {665.6, 1331.2, 2133}};
  d.presets = {{0, "MAXN", 8, 0, 0, 0, false, {}},
               {1, "MODE_10W", 2, 1200, 520, 1066, false, {}},
               {2, "MODE_15W", 4, 1200, 670, 1333, false, {}},
               {3, "MODE_30W_ALL", 8, 1200, 900, 0, false, {}}};
  return d;
}

DeviceSpec orin_nano() {
  DeviceSpec d;
  d.name = "orin-nano";
  d.description = "NVIDIA Jetson Orin Nano 8GB (6x Cortex-A78AE, 1024-core Ampere GPU, 128-bit LPDDR5)";
  d.cpu_clusters = {{0, 1, 2, 3}, {4, 5}};
  d.cpu_mhz = ladder(115.2, 76.8, 1497.6, {1510.4});
  d.gpu_mhz = {306, 408, 510, 624.75};
  d.emc_mhz = {665.6, 2133};
  d.cpu_arch = "Cortex-A78AE";
  d.gpu_arch = "Ampere";
  d.mem_type = "LPDDR5";
  d.gpu_cuda_cores = 1024;
  d.gpu_tensor_cores = 32;
  d.mem_bus_bits = 128;
  d.max_power_w = 15;
  d.rails = {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"};
  d.total_rail = "VDD_IN";
  d.grids["powertrain"] = GridAxes{{2, 4, 6},
                                   {422.4, 576.0, 729.6, 883.2, 1036.8, 1190.4, 1344.0, 1420.8, 1497.6, 1510.4},
                                   {306, 510, 624.75},
                                   {665.6, 2133}};
  d.presets = {{0, "15W", 6, 0, 0, 0, false, {}}, {1, "7W", 4, 1190.4, 408, 0, false, {}}};
  return d;
}

}  // namespace

std::vector<std::string> builtin_device_names() { return {"orin-agx", "xavier-agx", "orin-nano"}; }

DeviceSpec builtin_device(const std::string& name) {
  if (name == "orin-agx") return orin_agx();
  if (name == "xavier-agx") return xavier_agx();
  if (name == "orin-nano") return orin_nano();
  throw UsageError("unknown device '{}' (expected one of orin-agx, xavier-agx, orin-nano, or a device .json file)",
                   name);
}

}  // namespace modewise::device
