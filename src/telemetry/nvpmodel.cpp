#include "modewise/telemetry/nvpmodel.h"

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"
#include "telemetry/parse_util.h"

namespace modewise::telemetry {

namespace {

// "< POWER_MODEL ID = 0 NAME=MAXN >" -> kind "POWER_MODEL", {ID: 0, NAME: MAXN}
struct Header {
  std::string kind;
  std::map<std::string, std::string> keys;
};

Header parse_header(std::string_view line, const std::string& where) {
  std::string inner(line.substr(1));
  auto close = inner.rfind('>');
  if (close == std::string::npos)
    throw Error("{}: expected a section header such as '< POWER_MODEL ID=1 NAME=MODE_15W >', found '{}'", where,
                util::trim(line));
  inner = inner.substr(0, close);
  // Glue "KEY = VALUE" into "KEY=VALUE".
  std::string glued;
  for (size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '=') {
      while (!glued.empty() && glued.back() == ' ') glued.pop_back();
      glued += '=';
      while (i + 1 < inner.size() && std::isspace(static_cast<unsigned char>(inner[i + 1]))) ++i;
    } else {
      glued += std::isspace(static_cast<unsigned char>(inner[i])) ? ' ' : inner[i];
    }
  }
  auto toks = util::split_whitespace(glued);
  if (toks.empty())
    throw Error("{}: expected a section header such as '< POWER_MODEL ID=1 NAME=MODE_15W >', found '{}'", where,
                util::trim(line));
  Header h;
  h.kind = toks[0];
  for (size_t i = 1; i < toks.size(); ++i) {
    auto eq = toks[i].find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error("{}: expected KEY=VALUE in the section header, found '{}'", where, toks[i]);
    h.keys[toks[i].substr(0, eq)] = toks[i].substr(eq + 1);
  }
  return h;
}

int parse_small_int(std::string_view text, const std::string& where, std::string_view what) {
  auto fast = detail::try_int(text);
  long long v = fast ? *fast : util::parse_int(text, where, what);
  if (v < -1000000 || v > 1000000) throw Error("{}: expected {}, found '{}'", where, what, text);
  return static_cast<int>(v);
}

// "/sys/devices/system/cpu/cpu4/cpufreq/scaling_max_freq" -> 4
int cpu_of_path(std::string_view path) {
  static constexpr std::string_view prefix = "/sys/devices/system/cpu/cpu";
  auto pos = path.find(prefix);
  if (pos == std::string_view::npos) return -1;
  size_t i = pos + prefix.size(), j = i;
  while (j < path.size() && j - i < 5 && std::isdigit(static_cast<unsigned char>(path[j]))) ++j;
  if (j == i || j >= path.size() || path[j] != '/') return -1;
  return std::stoi(std::string(path.substr(i, j - i)));
}

bool is_gpu_param(const NvpParam& p) { return p.type == "CLOCK" && p.name == "GPU"; }
bool is_emc_param(const NvpParam& p) { return p.type == "CLOCK" && p.name == "EMC"; }

void derive(NvpPowerModel& m, const NvpmodelConf& conf, const std::string& source) {
  std::map<std::string, NvpClusterCap> clusters;
  bool cpu_uncapped = false;
  int online = 0;
  bool any_online_setting = false;
  for (const auto& s : m.settings) {
    std::string where = source + ":" + std::to_string(s.line);
    const NvpParam* p = conf.param(s.param);
    if (!p) continue;  // lenient: a setting for an undefined PARAM is kept but not interpreted
    if (p->name == "CPU_ONLINE") {
      any_online_setting = true;
      if (parse_small_int(s.value, where, "0 or 1 for CPU_ONLINE") == 1) ++online;
      continue;
    }
    if (p->type != "CLOCK") continue;
    auto fast = detail::try_int(s.value);
    long long v = fast ? *fast : util::parse_int(s.value, where, "an integer frequency (-1 = no cap)");
    if (v < -1)  // only -1 means "no cap"; -5 is a typo, not an uncapped clock
      throw Error("{}: field '{} {}': expected a frequency >= 0, or -1 for no cap, found '{}'", where, s.param, s.arg,
                  s.value);
    std::optional<double> mhz;
    if (p->cpu_leader >= 0) {
      if (v > 0 && v < 100000000) mhz = v / 1000.0;  // kHz
      auto& c = clusters[p->name];
      c.param = p->name;
      if (s.arg == "MAX_FREQ") {
        c.max_mhz = mhz;
        if (!mhz) cpu_uncapped = true;
      } else if (s.arg == "MIN_FREQ") {
        c.min_mhz = mhz;
      }
    } else if (is_gpu_param(*p) || is_emc_param(*p)) {
      if (v > 0 && v < 100000000000LL) mhz = v / 1e6;  // Hz
      if (is_gpu_param(*p) && s.arg == "MAX_FREQ") m.gpu_max_mhz = mhz;
      if (is_gpu_param(*p) && s.arg == "MIN_FREQ") m.gpu_min_mhz = mhz;
      if (is_emc_param(*p) && s.arg == "MAX_FREQ") m.emc_max_mhz = mhz;  // 0 and -1: the maximum
    }
  }
  if (any_online_setting) m.online_cores = online;
  for (auto& [name, cap] : clusters) {
    m.cpu_clusters.push_back(cap);
    if (cap.max_mhz && !cpu_uncapped) m.cpu_max_mhz = std::max(m.cpu_max_mhz.value_or(0), *cap.max_mhz);
  }
}

}  // namespace

const NvpPowerModel* NvpmodelConf::find(int id) const {
  for (const auto& m : models)
    if (m.id == id) return &m;
  return nullptr;
}

const NvpParam* NvpmodelConf::param(std::string_view name) const {
  for (const auto& p : params)
    if (p.name == name) return &p;
  return nullptr;
}

NvpmodelConf parse_nvpmodel_conf(std::string_view text, const std::string& source) {
  NvpmodelConf conf;
  conf.source = source;
  enum class Section { none, param, model, other } section = Section::none;
  int default_line = 0;
  int lineno = 0;
  for (const auto& raw : util::split(text, '\n')) {
    ++lineno;
    std::string line = util::trim(raw);
    if (line.empty()) continue;
    std::string where = source + ":" + std::to_string(lineno);
    if (auto hash = line.find('#'); hash != std::string::npos) line = util::trim(line.substr(0, hash));
    if (line.empty()) continue;
    if (line[0] == '<') {
      Header h = parse_header(line, where);
      if (h.kind == "PARAM") {
        NvpParam p;
        p.type = h.keys.count("TYPE") ? h.keys["TYPE"] : "";
        p.name = h.keys.count("NAME") ? h.keys["NAME"] : "";
        if (p.name.empty()) throw Error("{}: expected '< PARAM TYPE=FILE|CLOCK NAME=... >', found no NAME", where);
        p.line = lineno;
        conf.params.push_back(std::move(p));
        section = Section::param;
      } else if (h.kind == "POWER_MODEL") {
        if (!h.keys.count("ID"))
          throw Error("{}: expected '< POWER_MODEL ID=<number> NAME=<name> >', found no ID", where);
        NvpPowerModel m;
        m.id = parse_small_int(h.keys["ID"], where, "a numeric POWER_MODEL ID");
        m.name = h.keys.count("NAME") ? h.keys["NAME"] : fmt::format("MODE_{}", m.id);
        m.line = lineno;
        if (const NvpPowerModel* dup = conf.find(m.id))
          throw Error("{}: POWER_MODEL ID={} is defined twice (first at line {})", where, m.id, dup->line);
        conf.models.push_back(std::move(m));
        section = Section::model;
      } else if (h.kind == "PM_CONFIG") {
        if (!h.keys.count("DEFAULT")) throw Error("{}: expected '< PM_CONFIG DEFAULT=<id> >', found no DEFAULT", where);
        conf.default_id = parse_small_int(h.keys["DEFAULT"], where, "a numeric default POWER_MODEL ID");
        default_line = lineno;
        section = Section::other;
      } else {
        section = Section::other;  // FAN_CONFIG and friends: not ours
      }
      continue;
    }
    auto toks = util::split_whitespace(line);
    switch (section) {
      case Section::none:
        throw Error("{}: expected a section header such as '< PARAM TYPE=FILE NAME=CPU_ONLINE >' before settings, "
                    "found '{}'",
                    where, line);
      case Section::param: {
        if (toks.size() != 2) throw Error("{}: expected 'ARG_NAME /path' in a PARAM section, found '{}'", where, line);
        NvpParam& p = conf.params.back();
        p.args.emplace_back(toks[0], toks[1]);
        if (p.type == "CLOCK" && p.cpu_leader < 0) p.cpu_leader = cpu_of_path(toks[1]);
        break;
      }
      case Section::model: {
        if (toks.size() != 3)
          throw Error("{}: expected 'PARAM_NAME ARG_NAME VALUE' in a POWER_MODEL section, found '{}'", where, line);
        conf.models.back().settings.push_back({toks[0], toks[1], toks[2], lineno});
        break;
      }
      case Section::other: break;
    }
  }
  if (conf.models.empty()) throw Error("{}: no '< POWER_MODEL ID=.. NAME=.. >' section (expected at least one)", source);
  for (auto& m : conf.models) derive(m, conf, source);
  if (conf.default_id && !conf.find(*conf.default_id))
    throw Error("{}:{}: PM_CONFIG DEFAULT={} names no POWER_MODEL (expected one of the defined IDs)", source,
                default_line, *conf.default_id);
  return conf;
}

NvpmodelConf read_nvpmodel_conf(const std::string& path) {
  return parse_nvpmodel_conf(util::read_text_file(path), path);
}

nlohmann::json to_json(const NvpmodelConf& conf) {
  auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json j;
  j["source"] = conf.source;
  j["default_id"] = conf.default_id ? nlohmann::json(*conf.default_id) : nlohmann::json(nullptr);
  const NvpPowerModel* def = conf.default_id ? conf.find(*conf.default_id) : nullptr;
  j["default_name"] = def ? nlohmann::json(def->name) : nlohmann::json(nullptr);
  nlohmann::json modes = nlohmann::json::array();
  for (const auto& m : conf.models) {
    nlohmann::json clusters = nlohmann::json::object();
    for (const auto& c : m.cpu_clusters) clusters[c.param] = {{"min_mhz", opt(c.min_mhz)}, {"max_mhz", opt(c.max_mhz)}};
    modes.push_back({{"id", m.id},
                     {"name", m.name},
                     {"online_cores", m.online_cores ? nlohmann::json(*m.online_cores) : nlohmann::json(nullptr)},
                     {"cpu_max_mhz", opt(m.cpu_max_mhz)},
                     {"gpu_max_mhz", opt(m.gpu_max_mhz)},
                     {"emc_max_mhz", opt(m.emc_max_mhz)},
                     {"gpu_min_mhz", opt(m.gpu_min_mhz)},
                     {"cpu_clusters", clusters}});
  }
  j["modes"] = modes;
  return j;
}

std::string format_power_model(const NvpmodelConf& conf, const device::PowerMode& mode, int id,
                               const std::string& name) {
  if (name.empty() || name.find_first_of(" \t<>=#") != std::string::npos)
    throw Error("POWER_MODEL name '{}' must be one word without '<', '>', '=' or '#'", name);
  const NvpParam* online = conf.param("CPU_ONLINE");
  std::vector<const NvpParam*> cpu_clocks;
  for (const auto& p : conf.params)
    if (p.cpu_leader >= 0) cpu_clocks.push_back(&p);
  std::sort(cpu_clocks.begin(), cpu_clocks.end(), [](auto* a, auto* b) { return a->cpu_leader < b->cpu_leader; });
  const NvpParam* gpu = conf.param("GPU");
  const NvpParam* emc = conf.param("EMC");
  if (!online || cpu_clocks.empty() || !gpu || !emc)
    throw Error("{}: cannot write a POWER_MODEL: expected PARAM sections CPU_ONLINE, CPU clusters, GPU and EMC",
                conf.source);
  if (mode.cores < 1 || mode.cores > static_cast<int>(online->args.size()))
    throw Error("{}: cannot write a POWER_MODEL with {} cores: CPU_ONLINE lists {} cores", conf.source, mode.cores,
                online->args.size());
  std::string out = fmt::format("< POWER_MODEL ID={} NAME={} >\n", id, name);
  for (size_t i = 0; i < online->args.size(); ++i)
    out += fmt::format("CPU_ONLINE {} {}\n", online->args[i].first, static_cast<int>(i) < mode.cores ? 1 : 0);
  long long cpu_khz = device::to_khz(mode.cpu_mhz);
  for (const NvpParam* p : cpu_clocks) {
    if (p->cpu_leader >= mode.cores) continue;  // the whole cluster is offline
    out += fmt::format("{} MIN_FREQ {}\n{} MAX_FREQ {}\n", p->name, cpu_khz, p->name, cpu_khz);
  }
  long long gpu_hz = device::to_khz(mode.gpu_mhz) * 1000;
  long long emc_hz = device::to_khz(mode.emc_mhz) * 1000;
  out += fmt::format("GPU MIN_FREQ {}\nGPU MAX_FREQ {}\nEMC MAX_FREQ {}\n", gpu_hz, gpu_hz, emc_hz);
  return out;
}

}  // namespace modewise::telemetry
