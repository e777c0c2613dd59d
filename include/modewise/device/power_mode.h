// A power mode: online CPU cores and the CPU, GPU and memory (EMC) clocks, in MHz.
#pragma once
#include <functional>
#include <string>

namespace modewise::device {

struct PowerMode {
  int cores = 0;
  double cpu_mhz = 0;
  double gpu_mhz = 0;
  double emc_mhz = 0;

  // Frequencies compare at 1 kHz resolution, so 1300.5 read from a CSV equals 1300.5 from a table.
  bool operator==(const PowerMode& o) const;
  bool operator<(const PowerMode& o) const;
  // "12c/2201.6/1300.5/3199" (cores, CPU, GPU, EMC MHz): stable, used as a database key.
  std::string key() const;
  // "12 cores, CPU 2201.6 MHz, GPU 1300.5 MHz, EMC 3199 MHz"
  std::string describe() const;
};

// Integer kHz, the resolution at which modes are compared.
long long to_khz(double mhz);

struct PowerModeHash {
  size_t operator()(const PowerMode& m) const;
};

}  // namespace modewise::device
