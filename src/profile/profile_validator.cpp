#include "modewise/profile/profile_validator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::profile {

namespace {

std::string where(const Profile& p, const ProfileRow& r) {
  return r.line > 0 ? fmt::format("{}:{}", p.source, r.line) : p.source;
}

void check_range(const Profile& p, const ProfileRow& r, const char* field, double v, double lo, double hi,
                 bool lo_open, const char* expected) {
  if (std::isnan(v)) return;  // an optional column left empty
  bool ok = std::isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
  if (!ok) throw Error("{}: field '{}': expected {}, found {}", where(p, r), field, expected, util::format_number(v));
}

// Core count within the device's; each clock within its table's range. Not every table value: a board on another
// JetPack release has another ladder (GPU 306 MHz on JetPack 5.1 AGX Orin), and its measurements stay readable.
void check_mode_on_device(const Profile& p, const ProfileRow& r, const device::DeviceSpec& spec) {
  const auto& m = r.mode;
  if (m.cores < spec.min_cores || m.cores > spec.cpu_cores())
    throw Error("{}: field 'cores': {} has {} to {} CPU cores, found {}", where(p, r), spec.name, spec.min_cores,
                spec.cpu_cores(), m.cores);
  auto clock = [&](const std::vector<double>& table, double v, const char* field) {
    if (table.empty()) return;
    auto [lo, hi] = std::minmax_element(table.begin(), table.end());
    if (v < *lo * (1 - 1e-6) || v > *hi * (1 + 1e-6))
      throw Error("{}: field '{}': {} clocks from {} to {} MHz, found {}", where(p, r), field, spec.name,
                  util::format_number(*lo), util::format_number(*hi), util::format_number(v));
  };
  clock(spec.cpu_mhz, m.cpu_mhz, "cpu_mhz");
  clock(spec.gpu_mhz, m.gpu_mhz, "gpu_mhz");
  clock(spec.emc_mhz, m.emc_mhz, "emc_mhz");
}

bool is_builtin(const std::string& name) {
  auto names = device::builtin_device_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

static std::string accepted_provenance_list() {
  std::string s;
  for (const auto& v : provenance_values_accepted())
    if (!v.empty()) s += (s.empty() ? "'" : ", '") + v + "'";
  return s;
}

void validate_profile(const Profile& p, const ValidationOptions& o) {
  std::map<std::string, device::DeviceSpec> builtin;
  using Key = std::tuple<std::string, std::string, std::string, int, std::string>;
  std::map<Key, int> seen;  // -> line
  for (const auto& r : p.rows) {
    check_range(p, r, "cpu_mhz", r.mode.cpu_mhz, 0, kMaxClockMhz, true, "a clock > 0 and at most 100000 MHz");
    check_range(p, r, "gpu_mhz", r.mode.gpu_mhz, 0, kMaxClockMhz, true, "a clock > 0 and at most 100000 MHz");
    check_range(p, r, "emc_mhz", r.mode.emc_mhz, 0, kMaxClockMhz, true, "a clock > 0 and at most 100000 MHz");
    check_range(p, r, "time_ms", r.time_ms, 0, kMaxTimeMs, true, "a number > 0 and at most 1e8 (ms per minibatch)");
    check_range(p, r, "power_w", r.power_w, 0, kMaxPowerW, true, "a number > 0 and at most 10000 (watts)");
    check_range(p, r, "energy_j", r.energy_j, 0, kMaxEnergyJ, false, "a number from 0 to 1e12 (joules per minibatch)");
    check_range(p, r, "time_sd_ms", r.time_sd_ms, 0, kMaxTimeMs, false, "a number from 0 to 1e8");
    check_range(p, r, "power_sd_w", r.power_sd_w, 0, kMaxPowerW, false, "a number from 0 to 10000");
    if (r.samples < 0) throw Error("{}: field 'samples': expected 0 or more, found {}", where(p, r), r.samples);
    if (!r.provenance.empty() && !is_valid_provenance(r.provenance))
      throw Error("{}: field 'provenance': expected one of {} (or empty), found '{}'", where(p, r),
                  accepted_provenance_list(), r.provenance);
    for (const auto& [name, v] : r.metrics) {
      if (name == "stall_fraction" || name == "gpu_util" || name == "cpu_util")
        check_range(p, r, name.c_str(), v, 0, 1, false, "a fraction from 0 to 1");
      else
        check_range(p, r, name.c_str(), v, 0, 1e12, false, "a number >= 0");
    }

    if (o.check_device_tables) {
      const device::DeviceSpec* spec = o.device;
      if (!spec && !r.device.empty() && is_builtin(r.device)) {
        auto it = builtin.find(r.device);
        if (it == builtin.end()) it = builtin.emplace(r.device, device::builtin_device(r.device)).first;
        spec = &it->second;
      }
      if (spec) check_mode_on_device(p, r, *spec);
    }

    if (o.reject_duplicates) {
      // A merged fleet profile has a mode once per board (docs/FLEET.md): the board tells the rows apart.
      Key key{r.device, util::to_lower(r.workload), r.task, r.batch_size,
              r.board.empty() ? r.mode.key() : r.mode.key() + "@" + r.board};
      auto [it, inserted] = seen.emplace(key, r.line);
      if (!inserted) {
        std::string of;
        if (!r.workload.empty()) of += fmt::format(" workload '{}'", r.workload);
        if (!r.task.empty()) of += fmt::format(" task '{}'", r.task);
        if (r.batch_size > 0) of += fmt::format(" batch size {}", r.batch_size);
        throw Error("{}: power mode {}{} is also on line {} (one row per mode: remove the duplicate, or tell them "
                    "apart with device/workload/task/batch_size/board columns)",
                    where(p, r), r.mode.key(), of.empty() ? "" : " for" + of, it->second);
      }
    }
  }
}

}  // namespace modewise::profile
