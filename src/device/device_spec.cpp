#include "modewise/device/device_spec.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::device {

int DeviceSpec::cpu_cores() const {
  int n = 0;
  for (const auto& c : cpu_clusters) n += static_cast<int>(c.size());
  return n;
}

double DeviceSpec::peak_fp32_gflops(double f_mhz) const { return gpu_cuda_cores * 2.0 * f_mhz / 1000.0; }

double DeviceSpec::peak_dram_gbps(double f_mhz) const { return f_mhz * 2.0 * (mem_bus_bits / 8.0) / 1000.0; }

PowerMode DeviceSpec::maxn() const { return {cpu_cores(), cpu_mhz.back(), gpu_mhz.back(), emc_mhz.back()}; }

PowerMode DeviceSpec::min_mode() const { return {min_cores, cpu_mhz.front(), gpu_mhz.front(), emc_mhz.front()}; }

DeviceSpec resolve_device(const std::string& name) {
  if (name.size() > 5 && name.substr(name.size() - 5) == ".json") return load_device_json(name);
  return builtin_device(name);
}

DeviceSpec load_device_json(const std::string& path) {
  std::string text = util::read_text_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error("{}: not valid JSON: {}", path, e.what());
  }
  return device_from_json(j, path);
}

namespace {

template <typename T>
T get(const nlohmann::json& j, const char* key, const std::string& source) {
  if (!j.contains(key)) throw Error("{}: missing field '{}'", source, key);
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw Error("{}: field '{}' has the wrong type ({})", source, key, e.what());
  }
}

void check_table(const std::vector<double>& t, const char* field, const std::string& source) {
  if (t.empty()) throw Error("{}: field '{}' must list at least one frequency in MHz", source, field);
  for (size_t i = 0; i < t.size(); ++i) {
    if (!(t[i] > 0)) throw Error("{}: field '{}'[{}] must be a positive frequency in MHz", source, field, i);
    if (i && t[i] <= t[i - 1]) throw Error("{}: field '{}' must be strictly ascending (at index {})", source, field, i);
  }
}

}  // namespace

DeviceSpec device_from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw Error("{}: expected a JSON object describing a device", source);
  DeviceSpec d;
  d.name = get<std::string>(j, "name", source);
  d.description = j.value("description", d.name);
  d.cpu_clusters = get<std::vector<std::vector<int>>>(j, "cpu_clusters", source);
  d.min_cores = j.value("min_cores", 1);
  d.cpu_mhz = get<std::vector<double>>(j, "cpu_mhz", source);
  d.gpu_mhz = get<std::vector<double>>(j, "gpu_mhz", source);
  d.emc_mhz = get<std::vector<double>>(j, "emc_mhz", source);
  check_table(d.cpu_mhz, "cpu_mhz", source);
  check_table(d.gpu_mhz, "gpu_mhz", source);
  check_table(d.emc_mhz, "emc_mhz", source);
  d.cpu_arch = j.value("cpu_arch", "");
  d.gpu_arch = j.value("gpu_arch", "");
  d.mem_type = j.value("mem_type", "");
  d.gpu_cuda_cores = get<int>(j, "gpu_cuda_cores", source);
  d.gpu_tensor_cores = j.value("gpu_tensor_cores", 0);
  d.mem_bus_bits = get<int>(j, "mem_bus_bits", source);
  d.max_power_w = j.value("max_power_w", 0.0);
  d.rails = j.value("rails", std::vector<std::string>{});
  d.total_rail = j.value("total_rail", "");
  if (d.cpu_cores() < 1) throw Error("{}: field 'cpu_clusters' must list at least one CPU", source);
  if (d.min_cores < 1 || d.min_cores > d.cpu_cores())
    throw Error("{}: field 'min_cores' must be between 1 and {}", source, d.cpu_cores());
  if (d.gpu_cuda_cores <= 0 || d.mem_bus_bits <= 0)
    throw Error("{}: fields 'gpu_cuda_cores' and 'mem_bus_bits' must be positive", source);
  if (j.contains("grids")) {
    for (auto& [gname, g] : j.at("grids").items()) {
      std::string where = fmt::format("{}: grid '{}'", source, gname);
      GridAxes a{get<std::vector<int>>(g, "cores", where), get<std::vector<double>>(g, "cpu_mhz", where),
                 get<std::vector<double>>(g, "gpu_mhz", where), get<std::vector<double>>(g, "emc_mhz", where)};
      d.grids[gname] = a;
    }
  }
  if (j.contains("presets")) {
    for (const auto& p : j.at("presets")) {
      std::string where = fmt::format("{}: preset", source);
      d.presets.push_back(Preset{p.value("id", 0), get<std::string>(p, "name", where), get<int>(p, "cores", where),
                                 p.value("cpu_max_mhz", 0.0), p.value("gpu_max_mhz", 0.0),
                                 p.value("emc_max_mhz", 0.0), false, {}});
    }
  }
  return d;
}

nlohmann::json mode_to_json(const PowerMode& m) {
  return {{"cores", m.cores}, {"cpu_mhz", m.cpu_mhz}, {"gpu_mhz", m.gpu_mhz}, {"emc_mhz", m.emc_mhz}};
}

nlohmann::json device_to_json(const DeviceSpec& d) {
  nlohmann::json j;
  j["name"] = d.name;
  j["description"] = d.description;
  j["cpu_clusters"] = d.cpu_clusters;
  j["min_cores"] = d.min_cores;
  j["cpu_mhz"] = d.cpu_mhz;
  j["gpu_mhz"] = d.gpu_mhz;
  j["emc_mhz"] = d.emc_mhz;
  j["cpu_arch"] = d.cpu_arch;
  j["gpu_arch"] = d.gpu_arch;
  j["mem_type"] = d.mem_type;
  j["gpu_cuda_cores"] = d.gpu_cuda_cores;
  j["gpu_tensor_cores"] = d.gpu_tensor_cores;
  j["mem_bus_bits"] = d.mem_bus_bits;
  j["max_power_w"] = d.max_power_w;
  j["rails"] = d.rails;
  j["total_rail"] = d.total_rail;
  j["grids"] = nlohmann::json::object();
  for (const auto& [name, g] : d.grids)
    j["grids"][name] = {{"cores", g.cores}, {"cpu_mhz", g.cpu_mhz}, {"gpu_mhz", g.gpu_mhz}, {"emc_mhz", g.emc_mhz}};
  j["presets"] = nlohmann::json::array();
  for (const auto& p : d.presets)
    j["presets"].push_back({{"id", p.id}, {"name", p.name}, {"cores", p.cores}, {"cpu_max_mhz", p.cpu_max_mhz},
                            {"gpu_max_mhz", p.gpu_max_mhz}, {"emc_max_mhz", p.emc_max_mhz}});
  return j;
}

}  // namespace modewise::device
