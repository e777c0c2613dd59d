#include "modewise/predict/model.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "modewise/util/atomic_file.h"
#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"
#include "predict/json_util.h"

namespace modewise::predict {

ModeRange ModeRange::of(const std::vector<device::PowerMode>& modes) {
  ModeRange r;
  if (modes.empty()) return r;
  r.cores_min = r.cores_max = modes.front().cores;
  r.cpu_min_mhz = r.cpu_max_mhz = modes.front().cpu_mhz;
  r.gpu_min_mhz = r.gpu_max_mhz = modes.front().gpu_mhz;
  r.emc_min_mhz = r.emc_max_mhz = modes.front().emc_mhz;
  for (const auto& m : modes) {
    r.cores_min = std::min(r.cores_min, m.cores);
    r.cores_max = std::max(r.cores_max, m.cores);
    r.cpu_min_mhz = std::min(r.cpu_min_mhz, m.cpu_mhz);
    r.cpu_max_mhz = std::max(r.cpu_max_mhz, m.cpu_mhz);
    r.gpu_min_mhz = std::min(r.gpu_min_mhz, m.gpu_mhz);
    r.gpu_max_mhz = std::max(r.gpu_max_mhz, m.gpu_mhz);
    r.emc_min_mhz = std::min(r.emc_min_mhz, m.emc_mhz);
    r.emc_max_mhz = std::max(r.emc_max_mhz, m.emc_mhz);
  }
  return r;
}

bool ModeRange::contains(const device::PowerMode& m) const {
  using device::to_khz;
  auto in = [](double v, double lo, double hi) { return to_khz(v) >= to_khz(lo) && to_khz(v) <= to_khz(hi); };
  return m.cores >= cores_min && m.cores <= cores_max && in(m.cpu_mhz, cpu_min_mhz, cpu_max_mhz) &&
         in(m.gpu_mhz, gpu_min_mhz, gpu_max_mhz) && in(m.emc_mhz, emc_min_mhz, emc_max_mhz);
}

std::string ModeRange::describe() const {
  using util::format_number;
  return fmt::format("cores {}-{}, CPU {}-{} MHz, GPU {}-{} MHz, EMC {}-{} MHz", cores_min, cores_max,
                     format_number(cpu_min_mhz), format_number(cpu_max_mhz), format_number(gpu_min_mhz),
                     format_number(gpu_max_mhz), format_number(emc_min_mhz), format_number(emc_max_mhz));
}

size_t count_outside(const PerfModel& model, const std::vector<device::PowerMode>& modes) {
  if (model.info.range.empty()) return 0;
  size_t n = 0;
  for (const auto& m : modes) n += !model.info.range.contains(m);
  return n;
}

PerfModel::PerfModel(const PerfModel& o)
    : info(o.info),
      time(o.time ? o.time->clone() : nullptr),
      power(o.power ? o.power->clone() : nullptr),
      base(o.base) {}

PerfModel& PerfModel::operator=(const PerfModel& o) {
  if (this != &o) *this = PerfModel(o);
  return *this;
}

void PerfModel::check_device(const device::DeviceSpec& spec) const {
  if (spec.name != info.device)
    throw Error("the model is for device '{}', not '{}' (transfer it to {} with `modewise transfer --base MODEL "
                "--profile NEW.csv` on a profile of that device)",
                info.device, spec.name, spec.name);
}

void PerfModel::set_base_signals(FeatureCache& fc) const {
  if (!base) return;
  Eigen::VectorXd bt, bp;
  base->predict_log(fc.spec(), fc.modes(), bt, bp);
  fc.set_signal("base_time", std::move(bt));
  fc.set_signal("base_power", std::move(bp));
}

void PerfModel::predict_log(const device::DeviceSpec& spec, const std::vector<device::PowerMode>& modes,
                            Eigen::VectorXd& log_time, Eigen::VectorXd& log_power, Eigen::VectorXd* power_log_sd) const {
  MW_CHECK(time && power);
  FeatureCache fc(spec, modes);
  set_base_signals(fc);
  log_time = time->predict_log(fc);
  fc.set_signal("time", log_time);
  log_power = power->predict_log(fc);
  if (!power_log_sd) return;
  if (!power->predict_log_sd(fc, *power_log_sd)) {
    power_log_sd->resize(0);
    return;
  }
  // A power model that reads the predicted time also inherits its uncertainty: first-order propagation by
  // evaluating the power model at time +- one standard deviation.
  const auto used = power->signals_used();
  Eigen::VectorXd time_sd;
  if (std::find(used.begin(), used.end(), "time") != used.end() && time->predict_log_sd(fc, time_sd)) {
    fc.set_signal("time", log_time + time_sd);
    Eigen::VectorXd up = power->predict_log(fc);
    fc.set_signal("time", log_time - time_sd);
    Eigen::VectorXd down = power->predict_log(fc);
    fc.set_signal("time", log_time);
    *power_log_sd = (power_log_sd->array().square() + (0.5 * (up - down)).array().square()).sqrt().matrix();
  }
}

Predictions PerfModel::predict(const device::DeviceSpec& spec, const std::vector<device::PowerMode>& modes,
                               bool with_uncertainty) const {
  check_device(spec);
  Eigen::VectorXd lt, lp, sd;
  predict_log(spec, modes, lt, lp, with_uncertainty ? &sd : nullptr);
  Predictions p;
  p.power_log_sd.assign(sd.data(), sd.data() + sd.size());
  p.time_ms.resize(modes.size());
  p.power_w.resize(modes.size());
  for (size_t i = 0; i < modes.size(); ++i) {
    p.time_ms[i] = std::exp(lt(static_cast<Eigen::Index>(i)));
    p.power_w[i] = std::exp(lp(static_cast<Eigen::Index>(i)));
  }
  return p;
}

nlohmann::json PerfModel::to_json() const {
  MW_CHECK(time && power);
  const ModeRange& r = info.range;
  nlohmann::json range = {{"cores", {r.cores_min, r.cores_max}},
                          {"cpu_mhz", {r.cpu_min_mhz, r.cpu_max_mhz}},
                          {"gpu_mhz", {r.gpu_min_mhz, r.gpu_max_mhz}},
                          {"emc_mhz", {r.emc_min_mhz, r.emc_max_mhz}}};
  nlohmann::json prov = {{"data", info.provenance}, {"profile", info.profile}, {"modes", info.modes}, {"range", range},
                         {"base", info.base},       {"created_by", info.created_by}, {"seed", info.seed}};
  return {{"format", kModelFormat},
          {"version", kModelFormatVersion},
          {"device", info.device},
          {"workload", info.workload},
          {"task", info.task},
          {"batch_size", info.batch_size},
          {"method", info.method},
          {"provenance", prov},
          {"targets", {{"time_ms", {{"transform", "log"}, {"model", time->to_json()}}},
                       {"power_w", {{"transform", "log"}, {"model", power->to_json()}}}}},
          {"base", base ? base->to_json() : nlohmann::json(nullptr)}};
}

PerfModel PerfModel::from_json(const nlohmann::json& j, const std::string& source) {
  using namespace detail;
  if (!j.is_object() || !j.contains("format") || j["format"] != kModelFormat)
    throw Error("{}: not a modewise model file (expected \"format\": \"{}\")", source, kModelFormat);
  int version = integer(j, "version", source);
  if (version != kModelFormatVersion)
    throw Error("{}: model format version {} is not supported (this modewise reads version {})", source, version,
                kModelFormatVersion);
  PerfModel m;
  m.info.device = text(j, "device", source);
  if (m.info.device.empty()) throw Error("{}.device: expected a device name", source);
  m.info.workload = text(j, "workload", source);
  m.info.task = text(j, "task", source);
  m.info.batch_size = integer(j, "batch_size", source);
  m.info.method = text(j, "method", source);
  const auto& prov = field(j, "provenance", source);
  std::string pw = source + ".provenance";
  m.info.provenance = text(prov, "data", pw);
  m.info.profile = text(prov, "profile", pw);
  m.info.modes = integer(prov, "modes", pw);
  if (prov.contains("range")) {
    const auto& rj = prov["range"];
    const std::string rw = pw + ".range";
    auto pair = [&](const char* key) {
      auto v = numbers(rj, key, rw, 2);
      if (v[0] > v[1]) throw Error("{}.{}: expected [min, max], found [{}, {}]", rw, key, v[0], v[1]);
      return v;
    };
    auto c = pair("cores"), cpu = pair("cpu_mhz"), gpu = pair("gpu_mhz"), emc = pair("emc_mhz");
    m.info.range = {static_cast<int>(c[0]), static_cast<int>(c[1]), cpu[0], cpu[1], gpu[0], gpu[1], emc[0], emc[1]};
  }
  m.info.base = text(prov, "base", pw);
  m.info.created_by = text(prov, "created_by", pw);
  const auto& seed = field(prov, "seed", pw);
  if (!seed.is_number_unsigned() && !seed.is_number_integer()) throw Error("{}.seed: expected an integer", pw);
  m.info.seed = seed.get<uint64_t>();
  const auto& targets = field(j, "targets", source);
  auto target = [&](const char* name) {
    std::string tw = source + ".targets." + name;
    const auto& t = field(targets, name, source + ".targets");
    std::string transform = text(t, "transform", tw);
    if (transform != "log") throw Error("{}.transform: expected \"log\", found \"{}\"", tw, transform);
    return target_model_from_json(field(t, "model", tw), tw + ".model");
  };
  m.time = target("time_ms");
  m.power = target("power_w");
  const auto& base = field(j, "base", source);
  if (!base.is_null()) m.base = std::make_shared<const PerfModel>(from_json(base, source + ".base"));
  // Every signal a target reads must be available when it is evaluated.
  auto check_signals = [&](const TargetModel& t, const char* name, bool time_available) {
    for (const auto& s : t.signals_used()) {
      bool ok = ((s == "base_time" || s == "base_power") && m.base) || (s == "time" && time_available);
      if (!ok)
        throw Error("{}.targets.{}: reads '{}', which this file does not provide{}", source, name, s,
                    m.base ? "" : " (no base model)");
    }
  };
  check_signals(*m.time, "time_ms", false);
  check_signals(*m.power, "power_w", true);
  return m;
}

void save_model(const PerfModel& model, const std::string& path) {
  util::write_file_atomically(path, model.to_json().dump() + "\n");  // a failed write leaves an old model as it was
}

PerfModel load_model(const std::string& path) {
  std::string text = util::read_text_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error("{}: corrupt model file: not valid JSON (at byte {}: {})", path, e.byte, e.what());
  }
  return PerfModel::from_json(j, path);
}

}  // namespace modewise::predict
