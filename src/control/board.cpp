#include "modewise/control/board.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "modewise/device/grid.h"
#include "modewise/telemetry/nvpmodel.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::control {

using telemetry::SysfsRoot;

namespace {

constexpr const char* kCpuDir = "/sys/devices/system/cpu";
const std::set<std::string> kGpuNodeNames = {"ga10b", "gv11b", "gp10b", "gm20b", "gpu"};

bool is_cpu_dir(const std::string& name) {
  if (name.size() < 4 || !util::starts_with(name, "cpu")) return false;
  for (size_t i = 3; i < name.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return false;
  return name.size() <= 7;
}

std::vector<long long> sorted_unique(std::vector<long long> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  v.erase(std::remove_if(v.begin(), v.end(), [](long long x) { return x <= 0; }), v.end());
  return v;
}

std::vector<int> discover_cpus(const SysfsRoot& root) {
  if (auto present = root.try_read(fmt::format("{}/present", kCpuDir)))
    return telemetry::parse_cpu_list(*present, root.host_path(fmt::format("{}/present", kCpuDir)));
  std::vector<int> cpus;
  for (const auto& name : root.list(kCpuDir))
    if (is_cpu_dir(name)) cpus.push_back(std::stoi(name.substr(3)));
  std::sort(cpus.begin(), cpus.end());
  return cpus;
}

std::vector<CpuCluster> discover_clusters(const SysfsRoot& root, const std::vector<int>& cpus,
                                          std::vector<std::string>& notes) {
  std::vector<std::string> dirs;
  std::string policy_root = fmt::format("{}/cpufreq", kCpuDir);
  for (const auto& name : root.list(policy_root))
    if (util::starts_with(name, "policy")) dirs.push_back(policy_root + "/" + name);
  if (dirs.empty())
    for (int c : cpus)
      if (root.is_dir(fmt::format("{}/cpu{}/cpufreq", kCpuDir, c))) dirs.push_back(fmt::format("{}/cpu{}/cpufreq", kCpuDir, c));
  std::vector<CpuCluster> clusters;
  std::set<std::vector<int>> seen;
  for (const auto& dir : dirs) {
    auto resolved = root.resolve(dir);
    std::string d = resolved ? *resolved : dir;
    CpuCluster cl;
    cl.freq_dir = d;
    auto related = root.try_read(d + "/related_cpus");
    if (!related) related = root.try_read(d + "/affected_cpus");
    if (!related) {
      notes.push_back(fmt::format("{}: no related_cpus; cluster membership unknown, skipped", d));
      continue;
    }
    cl.cpus = telemetry::parse_cpu_list(*related, root.host_path(d + "/related_cpus"));
    if (cl.cpus.empty() || !seen.insert(cl.cpus).second) continue;
    if (auto table = root.try_read(d + "/scaling_available_frequencies"))
      cl.available_khz = sorted_unique(telemetry::parse_int_table(*table, root.host_path(d + "/scaling_available_frequencies")));
    if (cl.available_khz.empty()) {
      auto lo = root.try_read_int(d + "/cpuinfo_min_freq");
      auto hi = root.try_read_int(d + "/cpuinfo_max_freq");
      if (lo && hi) cl.available_khz = sorted_unique({*lo, *hi});
      notes.push_back(fmt::format("{}: no scaling_available_frequencies; using cpuinfo_min/max_freq only", d));
    }
    clusters.push_back(std::move(cl));
  }
  std::sort(clusters.begin(), clusters.end(), [](const auto& a, const auto& b) { return a.cpus < b.cpus; });
  return clusters;
}

// Frequencies of a devfreq directory: available_frequencies, else min_freq/max_freq only (noted).
std::vector<long long> devfreq_table(const SysfsRoot& root, const std::string& dir, std::vector<std::string>& notes) {
  std::vector<long long> out;
  if (auto table = root.try_read(dir + "/available_frequencies"))
    out = sorted_unique(telemetry::parse_int_table(*table, root.host_path(dir + "/available_frequencies")));
  if (out.empty()) {
    auto lo = root.try_read_int(dir + "/min_freq");
    auto hi = root.try_read_int(dir + "/max_freq");
    if (lo && hi) out = sorted_unique({*lo, *hi});
    notes.push_back(fmt::format("{}: no available_frequencies; using min_freq/max_freq only", dir));
  }
  return out;
}

// The GPU compute clock (JetPack 7 / Thor): devfreq "gpu-gpc-0" (any "gpu-gpc-N"; "gpu-nvd-N" is a video engine).
bool is_gpc_devfreq_name(const std::string& name) { return util::starts_with(name, "gpu-gpc"); }

std::optional<GpuDevfreq> discover_gpu(const SysfsRoot& root, std::vector<std::string>& notes) {
  const std::string cls = "/sys/class/devfreq";
  std::vector<std::string> entries = root.list(cls);
  // By devfreq name first (JetPack 7, Thor: gpu-gpc-0, explicit), then by of_node name (JetPack 4-6).
  std::optional<std::pair<std::string, std::string>> pick;  // entry, found_by
  std::string node_name;
  for (const auto& entry : entries)
    if (is_gpc_devfreq_name(entry)) {
      pick = {{entry, "devfreq name " + entry}};
      if (auto node = root.try_read(cls + "/" + entry + "/device/of_node/name")) node_name = *node;
      break;
    }
  if (!pick)
    for (const auto& entry : entries) {
      auto node = root.try_read(cls + "/" + entry + "/device/of_node/name");
      if (node && kGpuNodeNames.count(*node) && !util::starts_with(entry, "gpu-nvd")) {
        pick = {{entry, "of_node name " + *node}};
        node_name = *node;
        break;
      }
    }
  if (!pick) {
    notes.push_back("no GPU devfreq device (looked in /sys/class/devfreq for of_node name ga10b, gv11b, gp10b, gm20b "
                    "or gpu, and for gpu-gpc-0)");
    return std::nullopt;
  }
  std::string link = cls + "/" + pick->first;
  GpuDevfreq g;
  auto dir = root.resolve(link);
  g.dir = dir ? *dir : link;
  g.of_node_name = node_name;
  g.found_by = pick->second;
  g.available_hz = devfreq_table(root, g.dir, notes);
  auto device = root.resolve(link + "/device");
  std::vector<std::string> loads;
  if (device) loads.push_back(*device + "/load");
  loads.insert(loads.end(), {"/sys/devices/gpu.0/load", "/sys/devices/platform/gpu.0/load"});
  for (const auto& l : loads)
    if (root.exists(l)) {
      g.load_file = l;
      break;
    }
  if (g.load_file.empty()) notes.push_back(fmt::format("{}: no GPU load file; GPU utilization is not sampled", g.dir));
  return g;
}

std::optional<EmcControl> discover_emc(const SysfsRoot& root, const std::string& builtin,
                                       std::vector<std::string>& notes) {
  EmcControl e;
  // Thor (JetPack 7): the memory clock is the devfreq node bwmgr, pinned like the GPU (min_freq = max_freq).
  if (root.is_dir("/sys/class/devfreq/bwmgr")) {
    auto dir = root.resolve("/sys/class/devfreq/bwmgr");
    e.devfreq_dir = dir ? *dir : "/sys/class/devfreq/bwmgr";
    e.available_hz = devfreq_table(root, e.devfreq_dir, notes);
    e.table_source = e.devfreq_dir + "/available_frequencies";
    if (!e.available_hz.empty()) return e;
    e.devfreq_dir.clear();
  }
  if (root.exists("/sys/kernel/nvpmodel_emc_cap/emc_iso_cap")) e.cap_file = "/sys/kernel/nvpmodel_emc_cap/emc_iso_cap";
  for (const char* f : {"/sys/kernel/debug/bpmp/debug/clk/emc/possible_rates", "/sys/kernel/debug/clk/emc/clk_possible_rates"}) {
    auto text = root.try_read(f);
    if (!text) continue;
    auto values = telemetry::parse_int_table(*text, root.host_path(f));
    bool khz = text->find("kHz") != std::string::npos;
    if (!values.empty() && !khz) khz = *std::max_element(values.begin(), values.end()) < 10'000'000;  // < 10 GHz in kHz
    for (auto& v : values) v = khz ? v * 1000 : v;
    e.available_hz = sorted_unique(values);
    e.table_source = f;
    break;
  }
  if (e.available_hz.empty() && !builtin.empty()) {
    for (double mhz : device::builtin_device(builtin).emc_mhz) e.available_hz.push_back(device::to_khz(mhz) * 1000);
    e.table_source = "built-in table of " + builtin;
    notes.push_back(fmt::format("EMC frequency table not readable (debugfs needs root); using the built-in table of {}",
                                builtin));
  }
  if (e.available_hz.empty() && e.cap_file.empty()) {
    notes.push_back("no EMC control: neither /sys/kernel/nvpmodel_emc_cap/emc_iso_cap nor an EMC table");
    return std::nullopt;
  }
  if (e.cap_file.empty())
    notes.push_back("no /sys/kernel/nvpmodel_emc_cap/emc_iso_cap and no bwmgr devfreq: EMC cannot be capped");
  return e;
}

std::vector<double> mhz_of(const std::vector<long long>& values, double per_mhz) {
  std::vector<double> out;
  for (long long v : values) out.push_back(static_cast<double>(device::to_khz(static_cast<double>(v) / per_mhz)) / 1000.0);
  return out;
}


// "nvidia,p3737-0000+p3701-0000\0nvidia,tegra234\0" -> "tegra234".
std::string soc_of(const SysfsRoot& root) {
  auto text = root.try_read("/proc/device-tree/compatible");
  if (!text) return "";
  for (const auto& part : util::split(*text, '\0')) {
    auto comma = part.find(',');
    std::string name = comma == std::string::npos ? part : part.substr(comma + 1);
    if (util::starts_with(name, "tegra")) return name;
  }
  return "";
}

// GPU power-gating PARAMs: nvpmodel applies a change of these only after a reboot (the GPU's TPC/FBP floorsweeping
// is set at boot). A preset whose values differ from those of the mode the board runs now needs a reboot.
const char* kRebootParams[] = {"TPC_POWER_GATING", "FBP_POWER_GATING"};

std::map<std::string, std::string> reboot_settings(const telemetry::NvpPowerModel& m) {
  std::map<std::string, std::string> out;
  for (const auto& s : m.settings)
    for (const char* p : kRebootParams)
      if (s.param == p) out[s.param + " " + s.arg] = s.value;
  return out;
}

// /var/lib/nvpmodel/status: "pmode:0002 fmode:quiet" -> 2.
std::optional<int> nvpmodel_status_id(const SysfsRoot& root) {
  auto text = root.try_read("/var/lib/nvpmodel/status");
  if (!text) return std::nullopt;
  auto pos = text->find("pmode:");
  if (pos == std::string::npos) return std::nullopt;
  size_t i = pos + 6, j = i;
  while (j < text->size() && j - i < 6 && std::isdigit(static_cast<unsigned char>((*text)[j]))) ++j;
  if (j == i) return std::nullopt;
  return std::stoi(text->substr(i, j - i));
}

// The board's own nvpmodel.conf: presets by NAME (IDs differ between boards: MAXN_SUPER, MAXN are not always 0).
void read_board_presets(const SysfsRoot& root, JetsonBoard& b) {
  const std::string path = "/etc/nvpmodel.conf";
  if (!root.exists(path)) return;
  telemetry::NvpmodelConf conf;
  try {
    conf = telemetry::read_nvpmodel_conf(root.host_path(path));
  } catch (const Error& e) {
    b.notes.push_back(fmt::format("{} not used: {}", path, e.what()));
    return;
  }
  b.nvpmodel_conf = path;
  auto current_id = nvpmodel_status_id(root);
  if (!current_id) current_id = conf.default_id;
  const telemetry::NvpPowerModel* current = current_id ? conf.find(*current_id) : nullptr;
  for (const auto& m : conf.models) {
    device::Preset p;
    p.id = m.id;
    p.name = m.name;
    p.cores = m.online_cores.value_or(static_cast<int>(b.cpus.size()));
    p.cpu_max_mhz = m.cpu_max_mhz.value_or(0);
    p.gpu_max_mhz = m.gpu_max_mhz.value_or(0);
    p.emc_max_mhz = m.emc_max_mhz.value_or(0);
    if (current && current->id != m.id) {
      auto want = reboot_settings(m), now = reboot_settings(*current);
      for (const auto& [key, value] : want)
        if (!now.count(key) || now.at(key) != value) {
          p.needs_reboot = true;
          p.reboot_reason = fmt::format("{} = {} (the board runs nvpmodel mode {} {} with {})", key, value,
                                        current->id, current->name, now.count(key) ? now.at(key) : "none");
          break;
        }
    }
    b.presets.push_back(p);
  }
}

}  // namespace

std::string parse_l4t_release(std::string_view text) {
  // "# R35 (release), REVISION: 2.1, GCID: 32413640, BOARD: t186ref, EABI: aarch64, DATE: ..."
  std::string t(text);
  auto r = t.find("# R");
  auto rev = t.find("REVISION:");
  if (r == std::string::npos || rev == std::string::npos) return "";
  size_t i = r + 3, j = i;
  while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) ++j;
  if (j == i) return "";
  size_t k = rev + 9;
  while (k < t.size() && t[k] == ' ') ++k;
  size_t l = k;
  while (l < t.size() && (std::isdigit(static_cast<unsigned char>(t[l])) || t[l] == '.')) ++l;
  if (l == k) return "";
  return "R" + t.substr(i, j - i) + "." + t.substr(k, l - k);
}

std::string builtin_for_model(std::string_view model) {
  std::string m = util::to_lower(model);
  if (m.find("agx orin") != std::string::npos) return "orin-agx";
  if (m.find("orin nano") != std::string::npos) return "orin-nano";
  if (m.find("agx xavier") != std::string::npos) return "xavier-agx";
  if (util::trim(m) == "jetson-agx") return "xavier-agx";  // the device-tree model of AGX Xavier on JetPack 4
  return "";
}

std::string jetpack_for_release(std::string_view release) {
  if (release.size() < 3 || release[0] != 'R') return "";
  std::string major(release.substr(1, release.find('.') == std::string_view::npos ? release.size() - 1
                                                                                   : release.find('.') - 1));
  if (major == "32") return "JetPack 4";
  if (major == "35") return "JetPack 5";
  if (major == "36") return "JetPack 6";
  if (major == "38") return "JetPack 7";
  return "";
}

JetsonBoard discover_board(const SysfsRoot& root) {
  JetsonBoard b;
  if (auto m = root.try_read("/proc/device-tree/model"))
    b.model = *m;
  else if (auto m2 = root.try_read("/sys/firmware/devicetree/base/model"))
    b.model = *m2;
  else
    b.notes.push_back("no /proc/device-tree/model: board model unknown");
  if (auto rel = root.try_read("/etc/nv_tegra_release")) b.l4t_release = parse_l4t_release(*rel);
  b.jetpack = jetpack_for_release(b.l4t_release);
  b.soc = soc_of(root);
  b.builtin = builtin_for_model(b.model);
  b.cpus = discover_cpus(root);
  for (int c : b.cpus) {
    std::string f = fmt::format("{}/cpu{}/online", kCpuDir, c);
    if (root.exists(f)) b.online_files.emplace_back(c, f);
  }
  b.clusters = discover_clusters(root, b.cpus, b.notes);
  if (b.cpus.empty() || b.clusters.empty())
    throw Error("no CPU frequency control under '{}' (expected {}/cpufreq/policy*/ or {}/cpuN/cpufreq/): is this a "
                "Jetson, and does --sysfs-root point at the board's root?",
                root.host_path(kCpuDir), kCpuDir, kCpuDir);
  b.gpu = discover_gpu(root, b.notes);
  b.emc = discover_emc(root, b.builtin, b.notes);
  b.rails = telemetry::discover_rails(root);
  std::vector<std::string> names;
  for (const auto& r : b.rails) names.push_back(r.name);
  b.total_rule = b.rails.empty() ? "" : telemetry::total_rule(names);
  if (b.rails.empty()) b.notes.push_back("no INA3221/INA238 power rails found");
  read_board_presets(root, b);
  return b;
}

device::DeviceSpec board_spec(const JetsonBoard& b, std::vector<std::string>* warnings) {
  device::DeviceSpec d;
  if (!b.builtin.empty()) d = device::builtin_device(b.builtin);
  d.name = b.builtin.empty() ? "jetson" : b.builtin;
  d.description = (b.model.empty() ? std::string("unknown Jetson") : b.model) +
                  (b.l4t_release.empty() ? "" : " (L4T " + b.l4t_release + ")") + ", discovered from sysfs";
  d.cpu_clusters.clear();
  for (const auto& c : b.clusters) d.cpu_clusters.push_back(c.cpus);
  d.min_cores = static_cast<int>(b.cpus.size() - b.online_files.size());
  if (d.min_cores < 1) d.min_cores = 1;
  // CPU table: values every cluster offers (one CPU frequency pins every online cluster).
  std::vector<long long> common = b.clusters.front().available_khz;
  for (const auto& c : b.clusters) {
    std::vector<long long> keep;
    std::set_intersection(common.begin(), common.end(), c.available_khz.begin(), c.available_khz.end(),
                          std::back_inserter(keep));
    common = keep;
  }
  d.cpu_mhz = mhz_of(common, 1000.0);
  if (d.cpu_mhz.empty()) throw Error("the CPU clusters share no frequency (read from scaling_available_frequencies)");
  if (!b.gpu || b.gpu->available_hz.empty())
    throw Error("no GPU frequency table: {}", b.notes.empty() ? "GPU devfreq not found" : b.notes.back());
  d.gpu_mhz = mhz_of(b.gpu->available_hz, 1e6);
  if (!b.emc || b.emc->available_hz.empty())
    throw Error("no EMC frequency table: /sys/kernel/debug/bpmp/debug/clk/emc/possible_rates is readable by root "
                "only and the board '{}' matches no built-in device",
                b.model);
  d.emc_mhz = mhz_of(b.emc->available_hz, 1e6);
  if (!b.presets.empty()) d.presets = b.presets;  // the board's own nvpmodel.conf, by name
  d.rails.clear();
  for (const auto& r : b.rails) d.rails.push_back(r.name);
  std::vector<std::string> names = d.rails;
  auto total = telemetry::total_rail_index(names);
  d.total_rail = total ? names[*total] : "";
  // Published grids mapped onto the board's own tables (nearest value, duplicates dropped, far ones reported).
  std::map<std::string, device::GridAxes> grids;
  for (const auto& [name, axes] : d.grids) {
    device::GridMapping m = device::map_grid_to_tables(axes, d);
    if (!m.far.empty() && warnings)
      warnings->push_back(fmt::format("grid '{}': {} value(s) have no close match on this board and were mapped to the "
                                      "nearest available value: {}",
                                      name, m.far.size(), fmt::join(m.far, "; ")));
    if (m.axes.size() > 0) grids[name] = m.axes;
  }
  d.grids = grids;
  return d;
}

nlohmann::json to_json(const JetsonBoard& b) {
  nlohmann::json j;
  j["model"] = b.model;
  j["l4t_release"] = b.l4t_release;
  j["jetpack"] = b.jetpack;
  j["soc"] = b.soc;
  j["builtin"] = b.builtin;
  j["cpus"] = b.cpus;
  nlohmann::json clusters = nlohmann::json::array();
  for (const auto& c : b.clusters)
    clusters.push_back({{"cpus", c.cpus}, {"freq_dir", c.freq_dir}, {"available_khz", c.available_khz}});
  j["clusters"] = clusters;
  if (b.gpu)
    j["gpu"] = {{"dir", b.gpu->dir},           {"of_node_name", b.gpu->of_node_name},
                {"found_by", b.gpu->found_by}, {"available_hz", b.gpu->available_hz},
                {"load_file", b.gpu->load_file}};
  else
    j["gpu"] = nullptr;
  if (b.emc)
    j["emc"] = {{"cap_file", b.emc->cap_file},
                {"devfreq_dir", b.emc->devfreq_dir},
                {"available_hz", b.emc->available_hz},
                {"table_source", b.emc->table_source}};
  else
    j["emc"] = nullptr;
  nlohmann::json rails = nlohmann::json::array();
  for (const auto& r : b.rails)
    rails.push_back({{"name", r.name}, {"chip", r.chip}, {"layout", r.layout}, {"device", r.device}});
  j["rails"] = rails;
  j["total_rule"] = b.total_rule;
  j["nvpmodel_conf"] = b.nvpmodel_conf;
  nlohmann::json presets = nlohmann::json::array();
  for (const auto& p : b.presets) {
    nlohmann::json pj{{"id", p.id},
                      {"name", p.name},
                      {"cores", p.cores},
                      {"cpu_max_mhz", p.cpu_max_mhz},
                      {"gpu_max_mhz", p.gpu_max_mhz},
                      {"emc_max_mhz", p.emc_max_mhz},
                      {"needs_reboot", p.needs_reboot}};
    if (p.needs_reboot) pj["reboot_reason"] = p.reboot_reason;
    presets.push_back(pj);
  }
  j["presets"] = presets;
  j["notes"] = b.notes;
  return j;
}

}  // namespace modewise::control
