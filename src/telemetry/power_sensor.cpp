#include "modewise/telemetry/power_sensor.h"

#include <fmt/format.h>

#include "modewise/telemetry/nvml.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::telemetry {

namespace {

std::vector<std::string> with_total(const std::vector<std::string>& rails) {
  std::vector<std::string> out{"total"};
  out.insert(out.end(), rails.begin(), rails.end());
  return out;
}

// Total from rail powers: the input rail where the board has one, else the sum.
double total_of(const std::optional<size_t>& total_index, const std::vector<double>& rails_w) {
  if (total_index) return rails_w[*total_index];
  double sum = 0;
  for (double p : rails_w) sum += p;
  return sum;
}

class Ina3221Sensor : public PowerSensor {
 public:
  Ina3221Sensor(SysfsRoot root, std::vector<RailChannel> rails, std::string note)
      : root_(std::move(root)), rails_(std::move(rails)) {
    bool ina238 = false;
    for (const auto& r : rails_) {
      names_.push_back(r.name);
      ina238 = ina238 || r.chip == "ina238";
    }
    total_index_ = total_rail_index(names_);
    name_ = ina238 ? "ina3221+ina238" : "ina3221";
    if (!note.empty()) name_ += " (" + note + ")";
  }
  std::string name() const override { return name_; }
  std::vector<std::string> channels() const override { return with_total(names_); }
  std::string total_rule() const override { return telemetry::total_rule(names_); }
  Reading read(double) override {
    std::vector<double> rails_w;
    rails_w.reserve(rails_.size());
    for (const auto& r : rails_) rails_w.push_back(read_rail_mw(root_, r) / 1000.0);
    Reading out;
    out.power_w.push_back(total_of(total_index_, rails_w));
    out.power_w.insert(out.power_w.end(), rails_w.begin(), rails_w.end());
    return out;
  }

 private:
  SysfsRoot root_;
  std::vector<RailChannel> rails_;
  std::vector<std::string> names_;
  std::optional<size_t> total_index_;
  std::string name_;
};

class FunctionSensor : public PowerSensor {
 public:
  FunctionSensor(std::vector<std::string> rails, std::function<std::vector<double>(double)> fn)
      : rails_(std::move(rails)), fn_(std::move(fn)), total_index_(total_rail_index(rails_)) {}
  std::string name() const override { return "synthetic"; }
  std::vector<std::string> channels() const override { return with_total(rails_); }
  std::string total_rule() const override { return telemetry::total_rule(rails_); }
  Reading read(double t_s) override {
    std::vector<double> rails_w = fn_(t_s);
    if (rails_w.size() != rails_.size())
      throw Error("synthetic power curve returned {} values for {} rails", rails_w.size(), rails_.size());
    Reading out;
    out.power_w.push_back(total_of(total_index_, rails_w));
    out.power_w.insert(out.power_w.end(), rails_w.begin(), rails_w.end());
    return out;
  }

 private:
  std::vector<std::string> rails_;
  std::function<std::vector<double>(double)> fn_;
  std::optional<size_t> total_index_;
};

}  // namespace

std::unique_ptr<PowerSensor> make_ina3221_sensor(const SysfsRoot& root, const std::string& note) {
  auto rails = discover_rails(root);
  if (rails.empty())
    throw Error(
        "no INA3221/INA238 power rails under '{}' (looked in /sys/bus/i2c/drivers/ina3221/*/hwmon/hwmon*/, "
        "/sys/bus/i2c/drivers/ina238/*/hwmon/hwmon*/, /sys/class/hwmon/*/name and "
        "/sys/bus/i2c/drivers/ina3221x/*/iio:device*/; is this a Jetson, or does --sysfs-root point at a board tree?)",
        root.root());
  return std::make_unique<Ina3221Sensor>(root, std::move(rails), note);
}

std::unique_ptr<PowerSensor> make_function_sensor(std::vector<std::string> rails,
                                                  std::function<std::vector<double>(double)> power_w) {
  MW_CHECK(!rails.empty() && power_w);
  return std::make_unique<FunctionSensor>(std::move(rails), std::move(power_w));
}

std::unique_ptr<PowerSensor> open_power_sensor(const std::string& kind, const SysfsRoot& root) {
  if (kind == "jetson" || kind == "ina3221") return make_ina3221_sensor(root);
  if (util::starts_with(kind, "nvml:")) {
    long long index = util::parse_int(kind.substr(5), "--device " + kind, "a GPU index such as nvml:0");
    if (index < 0 || index > 1024) throw UsageError("--device {}: expected a GPU index such as nvml:0", kind);
    auto sensor = make_nvml_sensor(Nvml::load(), static_cast<unsigned>(index));
    try {
      (void)sensor->read(0);
      return sensor;
    } catch (const NvmlError& e) {
      // NVML on a Jetson (JetPack 6/7) initializes and then answers NotSupported for power: never a silent empty or
      // zero series. Fall back to the board's INA rails and say so in the sensor's name.
      if (e.kind() != NvmlErrorKind::not_supported) throw;
      if (discover_rails(root).empty())
        throw Error("{}: NVML answers NotSupported for power ({}) and no INA3221/INA238 rails were found under '{}' to "
                    "fall back to",
                    kind, e.what(), root.root());
      return make_ina3221_sensor(root, fmt::format("NVML power NotSupported on {}: INA rails instead", kind));
    }
  }
  throw UsageError("unknown power sensor '{}' (expected jetson or nvml:<index>)", kind);
}

}  // namespace modewise::telemetry
