#include "modewise/telemetry/rails.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::telemetry {

namespace {

const char* kTotalRails[] = {"VDD_IN", "POM_5V_IN", "VIN"};

// "in3_label" -> 3 when the name is prefix + digits + suffix.
std::optional<int> channel_of(const std::string& name, const std::string& prefix, const std::string& suffix) {
  if (name.size() <= prefix.size() + suffix.size() || !util::starts_with(name, prefix) ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return std::nullopt;
  std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.empty() || digits.size() > 3) return std::nullopt;
  for (char c : digits)
    if (c < '0' || c > '9') return std::nullopt;
  return std::stoi(digits);
}

// INA3221 channels of one hwmon directory (inK_label, inK_input mV, currK_input mA), in channel order.
void add_ina3221_channels(const SysfsRoot& root, const std::string& dir, std::vector<RailChannel>& out) {
  std::vector<std::pair<int, std::string>> labels;
  for (const auto& f : root.list(dir))
    if (auto ch = channel_of(f, "in", "_label")) labels.emplace_back(*ch, f);
  std::sort(labels.begin(), labels.end());
  for (const auto& [ch, file] : labels) {
    auto label = root.try_read(dir + "/" + file);
    if (!label || !is_real_rail(*label)) continue;
    RailChannel r;
    r.name = *label;
    r.layout = "hwmon";
    r.chip = "ina3221";
    r.device = dir;
    r.voltage_file = fmt::format("{}/in{}_input", dir, ch);
    r.current_file = fmt::format("{}/curr{}_input", dir, ch);
    if (!root.exists(r.voltage_file) || !root.exists(r.current_file)) continue;
    out.push_back(std::move(r));
  }
}

// A TI INA238 (Thor's carrier-board input rail): in1_input mV, curr1_input mA, power1_input uW. The driver has no
// labels: the rail is "VIN" unless in1_label says otherwise.
void add_ina238_channel(const SysfsRoot& root, const std::string& dir, std::vector<RailChannel>& out) {
  RailChannel r;
  auto label = root.try_read(dir + "/in1_label");
  r.name = label && is_real_rail(*label) ? *label : "VIN";
  r.layout = "hwmon";
  r.chip = "ina238";
  r.device = dir;
  r.voltage_file = dir + "/in1_input";
  r.current_file = dir + "/curr1_input";
  if (root.exists(dir + "/power1_input")) {
    r.power_file = dir + "/power1_input";
    r.power_file_mw_per_unit = 0.001;  // uW
  }
  if (r.power_file.empty() && (!root.exists(r.voltage_file) || !root.exists(r.current_file))) return;
  out.push_back(std::move(r));
}

// The hwmon directories of the devices bound to an i2c driver: /sys/bus/i2c/drivers/<driver>/<dev>/hwmon/hwmonN.
std::vector<std::string> driver_hwmon_dirs(const SysfsRoot& root, const std::string& driver_dir) {
  std::vector<std::string> out;
  for (const auto& dev : root.list(driver_dir)) {
    std::string hwmon_parent = driver_dir + "/" + dev + "/hwmon";
    for (const auto& hw : root.list(hwmon_parent))
      if (util::starts_with(hw, "hwmon")) out.push_back(hwmon_parent + "/" + hw);
  }
  return out;
}

void add_iio_rails(const SysfsRoot& root, const std::string& driver_dir, std::vector<RailChannel>& out) {
  for (const auto& dev : root.list(driver_dir)) {
    std::string devdir = driver_dir + "/" + dev;
    for (const auto& iio : root.list(devdir)) {
      if (!util::starts_with(iio, "iio:device")) continue;
      std::string dir = devdir + "/" + iio;
      std::vector<std::pair<int, std::string>> names;
      for (const auto& f : root.list(dir))
        if (auto ch = channel_of(f, "rail_name_", "")) names.emplace_back(*ch, f);
      std::sort(names.begin(), names.end());
      for (const auto& [ch, file] : names) {
        auto label = root.try_read(dir + "/" + file);
        if (!label || !is_real_rail(*label)) continue;
        RailChannel r;
        r.name = *label;
        r.layout = "iio";
        r.chip = "ina3221";
        r.device = dir;
        r.voltage_file = fmt::format("{}/in_voltage{}_input", dir, ch);
        r.current_file = fmt::format("{}/in_current{}_input", dir, ch);
        std::string power = fmt::format("{}/in_power{}_input", dir, ch);
        if (root.exists(power)) r.power_file = power;
        if (r.power_file.empty() && (!root.exists(r.voltage_file) || !root.exists(r.current_file))) continue;
        out.push_back(std::move(r));
      }
    }
  }
}

}  // namespace

std::optional<size_t> total_rail_index(const std::vector<std::string>& names) {
  for (const char* want : kTotalRails)
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == want) return i;
  return std::nullopt;
}

std::string total_rule(const std::vector<std::string>& names) {
  auto i = total_rail_index(names);
  return i ? "input rail " + names[*i] : std::string("sum of rails");
}

bool is_real_rail(const std::string& label) {
  std::string l = util::to_lower(util::trim(label));
  return !l.empty() && l != "nc" && l.find("sum of shunt") == std::string::npos;
}

std::vector<RailChannel> discover_rails(const SysfsRoot& root) {
  std::vector<RailChannel> out;
  std::set<std::string> seen;  // resolved hwmon directories: a device is found by both routes
  auto visit = [&](const std::string& dir, const std::string& chip) {
    auto resolved = root.resolve(dir);
    if (!seen.insert(resolved ? *resolved : dir).second) return;
    if (chip == "ina238")
      add_ina238_channel(root, dir, out);
    else
      add_ina3221_channels(root, dir, out);
  };
  for (const auto& dir : driver_hwmon_dirs(root, "/sys/bus/i2c/drivers/ina3221")) visit(dir, "ina3221");
  for (const auto& dir : driver_hwmon_dirs(root, "/sys/bus/i2c/drivers/ina238")) visit(dir, "ina238");
  // Every hwmon device by its name (JetPack 6/7 and Thor: the i2c driver directories are not the only route).
  // USB-C "ucsi-source-psy-*" entries describe negotiated USB-PD supplies, not measured rails: skipped, as is every
  // other chip.
  const std::string cls = "/sys/class/hwmon";
  for (const auto& hw : root.list(cls)) {
    std::string dir = cls + "/" + hw;
    auto name = root.try_read(dir + "/name");
    if (!name) continue;
    if (*name == "ina3221" || *name == "ina238") visit(dir, *name);
  }
  add_iio_rails(root, "/sys/bus/i2c/drivers/ina3221x", out);
  return out;
}

double read_rail_mw(const SysfsRoot& root, const RailChannel& rail) {
  if (!rail.power_file.empty()) return static_cast<double>(root.read_int(rail.power_file)) * rail.power_file_mw_per_unit;
  double mv = static_cast<double>(root.read_int(rail.voltage_file));
  double ma = static_cast<double>(root.read_int(rail.current_file));
  return mv * ma / 1000.0;
}

}  // namespace modewise::telemetry
