#include "modewise/device/power_mode.h"

#include <cmath>
#include <tuple>

#include <fmt/format.h>

#include "modewise/util/strings.h"

namespace modewise::device {

long long to_khz(double mhz) { return std::llround(mhz * 1000.0); }

bool PowerMode::operator==(const PowerMode& o) const {
  return cores == o.cores && to_khz(cpu_mhz) == to_khz(o.cpu_mhz) && to_khz(gpu_mhz) == to_khz(o.gpu_mhz) &&
         to_khz(emc_mhz) == to_khz(o.emc_mhz);
}

bool PowerMode::operator<(const PowerMode& o) const {
  return std::make_tuple(cores, to_khz(cpu_mhz), to_khz(gpu_mhz), to_khz(emc_mhz)) <
         std::make_tuple(o.cores, to_khz(o.cpu_mhz), to_khz(o.gpu_mhz), to_khz(o.emc_mhz));
}

std::string PowerMode::key() const {
  using util::format_number;
  return fmt::format("{}c/{}/{}/{}", cores, format_number(to_khz(cpu_mhz) / 1000.0),
                     format_number(to_khz(gpu_mhz) / 1000.0), format_number(to_khz(emc_mhz) / 1000.0));
}

std::string PowerMode::describe() const {
  using util::format_number;
  return fmt::format("{} cores, CPU {} MHz, GPU {} MHz, EMC {} MHz", cores, format_number(cpu_mhz),
                     format_number(gpu_mhz), format_number(emc_mhz));
}

size_t PowerModeHash::operator()(const PowerMode& m) const {
  size_t h = std::hash<long long>()(m.cores);
  for (double f : {m.cpu_mhz, m.gpu_mhz, m.emc_mhz}) h = h * 1000003u ^ std::hash<long long>()(to_khz(f));
  return h;
}

}  // namespace modewise::device
