#include "modewise/control/knobs.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::control {

using telemetry::SysfsRoot;

namespace {

std::string cluster_name(const std::vector<int>& cpus) {
  if (cpus.empty()) return "cpu?";
  bool contiguous = cpus.back() - cpus.front() + 1 == static_cast<int>(cpus.size());
  if (cpus.size() == 1) return fmt::format("cpu{}", cpus.front());
  if (contiguous) return fmt::format("cpu{}-{}", cpus.front(), cpus.back());
  return fmt::format("cpu{}", fmt::join(cpus, ","));
}

std::string join_mhz(const std::vector<long long>& table, double per_mhz) {
  std::vector<std::string> parts;
  for (long long v : table) parts.push_back(util::format_number(static_cast<double>(v) / per_mhz));
  return fmt::format("{}", fmt::join(parts, " "));
}

// Nearest table value within 1 MHz of the request, else Error listing the table.
long long snap(const std::vector<long long>& table, double want_mhz, double per_mhz, const std::string& what) {
  if (table.empty()) throw Error("{}: the board reports no frequency table", what);
  double want = want_mhz * per_mhz;
  long long best = table.front();
  for (long long v : table)
    if (std::fabs(static_cast<double>(v) - want) < std::fabs(static_cast<double>(best) - want)) best = v;
  if (!(std::fabs(static_cast<double>(best) - want) <= per_mhz))
    throw Error("{} = {} MHz is not available on this board (expected one of, in MHz: {})", what,
                util::format_number(want_mhz), join_mhz(table, per_mhz));
  return best;
}

bool online_in(const KnobState& s, int cpu) {
  for (const auto& c : s.cores)
    if (c.cpu == cpu) return c.online;
  return true;  // a CPU without an online file cannot be offlined
}

bool active_in(const KnobState& s, const ClockKnob& k) {
  if (k.cpus.empty()) return true;
  for (int c : k.cpus)
    if (online_in(s, c)) return true;
  return false;
}

std::string value_text(long long v) { return std::to_string(v); }

// Writes that take one clock from `cur` to `to` in an order that keeps min <= max.
void clock_writes(ClockKnob& cur, const ClockKnob& to, std::vector<KnobWrite>& out) {
  auto differs = [](const std::optional<long long>& a, const std::optional<long long>& b) {
    return b && (!a || *a != *b);
  };
  auto write_min = [&] {
    if (!cur.min_file.empty() && differs(cur.min, to.min)) {
      out.push_back({cur.min_file, value_text(*to.min), fmt::format("{} min {} {}", cur.name, *to.min, cur.unit)});
      cur.min = to.min;
    }
  };
  auto write_max = [&] {
    if (differs(cur.max, to.max)) {
      std::string label = cur.min_file.empty() ? "cap" : "max";
      out.push_back({cur.max_file, value_text(*to.max), fmt::format("{} {} {} {}", cur.name, label, *to.max, cur.unit)});
      cur.max = to.max;
    }
  };
  // The new range lies entirely below the current minimum: the minimum must come down first. Otherwise the
  // maximum goes first: it is raised before the minimum follows, or a narrowing range gets its cap lowered before
  // its floor rises.
  bool below = !cur.min_file.empty() && cur.min && to.max && *to.max < *cur.min;
  if (below) {
    write_min();
    write_max();
  } else {
    write_max();
    write_min();
  }
}

// A cap-only knob (EMC) reads 0 when uncapped: compare that as the highest value.
long long limit_of(const ClockKnob& k, long long v) {
  return k.min_file.empty() && v <= 0 ? std::numeric_limits<long long>::max() : v;
}

bool lowers(const ClockKnob& cur, const ClockKnob& to) {
  return cur.max && to.max && limit_of(to, *to.max) < limit_of(cur, *cur.max);
}

bool safe_board_path(const std::string& p) {
  if (!util::starts_with(p, "/sys/")) return false;
  for (const auto& part : util::split(p, '/'))
    if (part == ".." || part == ".") return false;
  return p.find('\n') == std::string::npos;
}

}  // namespace

ResolvedMode resolve_mode(const JetsonBoard& b, const device::PowerMode& m) {
  ResolvedMode r;
  int max_cores = static_cast<int>(b.cpus.size());
  int min_cores = std::max(1, max_cores - static_cast<int>(b.online_files.size()));
  if (m.cores < min_cores || m.cores > max_cores)
    throw Error("mode {}: {} cores is not available on this board (expected {} to {})", m.key(), m.cores, min_cores,
                max_cores);
  std::set<int> online(b.cpus.begin(), b.cpus.begin() + m.cores);
  for (const auto& cpu : b.cpus)
    if (!online.count(cpu)) {
      bool can_offline = false;
      for (const auto& [c, f] : b.online_files) can_offline = can_offline || c == cpu;
      if (!can_offline)
        throw Error("mode {}: cpu{} cannot be offlined on this board (it has no online file)", m.key(), cpu);
    }
  r.mode.cores = m.cores;
  bool first = true;
  for (const auto& cl : b.clusters) {
    bool active = std::any_of(cl.cpus.begin(), cl.cpus.end(), [&](int c) { return online.count(c) > 0; });
    long long khz = active ? snap(cl.available_khz, m.cpu_mhz, 1000.0, fmt::format("mode {}: cpu_mhz ({})", m.key(), cluster_name(cl.cpus))) : 0;
    r.cluster_khz.push_back(khz);
    if (active && first) {
      r.mode.cpu_mhz = static_cast<double>(khz) / 1000.0;
      first = false;
    }
  }
  if (!b.gpu) throw Error("mode {}: no GPU devfreq device on this board, the GPU clock cannot be set", m.key());
  r.gpu_hz = snap(b.gpu->available_hz, m.gpu_mhz, 1e6, fmt::format("mode {}: gpu_mhz", m.key()));
  r.mode.gpu_mhz = static_cast<double>(device::to_khz(r.gpu_hz / 1e6)) / 1000.0;
  if (!b.emc || (b.emc->cap_file.empty() && b.emc->devfreq_dir.empty()))
    throw Error("mode {}: this board has no EMC cap file (/sys/kernel/nvpmodel_emc_cap/emc_iso_cap) and no bwmgr "
                "devfreq node, the memory clock cannot be set",
                m.key());
  r.emc_hz = snap(b.emc->available_hz, m.emc_mhz, 1e6, fmt::format("mode {}: emc_mhz", m.key()));
  r.mode.emc_mhz = static_cast<double>(device::to_khz(r.emc_hz / 1e6)) / 1000.0;
  return r;
}

KnobState read_knobs(const SysfsRoot& root, const JetsonBoard& b) {
  KnobState s;
  for (const auto& [cpu, file] : b.online_files) {
    long long v = root.read_int(file);
    s.cores.push_back({cpu, file, v != 0});
  }
  for (const auto& cl : b.clusters) {
    ClockKnob k;
    k.name = cluster_name(cl.cpus);
    k.unit = "kHz";
    k.min_file = cl.freq_dir + "/scaling_min_freq";
    k.max_file = cl.freq_dir + "/scaling_max_freq";
    k.cpus = cl.cpus;
    k.min = root.try_read_int(k.min_file);
    k.max = root.try_read_int(k.max_file);
    s.clocks.push_back(k);
  }
  if (b.gpu) {
    ClockKnob k{"gpu", "Hz", b.gpu->dir + "/min_freq", b.gpu->dir + "/max_freq", {}, std::nullopt, std::nullopt};
    k.min = root.try_read_int(k.min_file);
    k.max = root.try_read_int(k.max_file);
    s.clocks.push_back(k);
  }
  if (b.emc && !b.emc->devfreq_dir.empty()) {  // Thor: bwmgr devfreq, pinned like the GPU
    ClockKnob k{"emc", "Hz", b.emc->devfreq_dir + "/min_freq", b.emc->devfreq_dir + "/max_freq", {}, std::nullopt,
                std::nullopt};
    k.min = root.try_read_int(k.min_file);
    k.max = root.try_read_int(k.max_file);
    s.clocks.push_back(k);
  } else if (b.emc && !b.emc->cap_file.empty()) {
    ClockKnob k{"emc", "Hz", "", b.emc->cap_file, {}, std::nullopt, std::nullopt};
    k.max = root.try_read_int(k.max_file);
    s.clocks.push_back(k);
  }
  return s;
}

KnobState target_state(const JetsonBoard& b, const KnobState& current, const ResolvedMode& m) {
  KnobState t = current;
  std::set<int> online(b.cpus.begin(), b.cpus.begin() + std::min<size_t>(m.mode.cores, b.cpus.size()));
  for (auto& c : t.cores) c.online = online.count(c.cpu) > 0;
  size_t cluster = 0;
  for (auto& k : t.clocks) {
    if (!k.cpus.empty()) {
      if (cluster < m.cluster_khz.size() && active_in(t, k) && m.cluster_khz[cluster] > 0) k.min = k.max = m.cluster_khz[cluster];
      ++cluster;
    } else if (k.name == "gpu") {
      k.min = k.max = m.gpu_hz;
    } else if (k.name == "emc") {
      k.max = m.emc_hz;
      if (!k.min_file.empty()) k.min = m.emc_hz;  // bwmgr devfreq: min = max
    }
  }
  return t;
}

device::PowerMode mode_of(const JetsonBoard& b, const KnobState& s) {
  device::PowerMode m;
  for (int cpu : b.cpus) m.cores += online_in(s, cpu) ? 1 : 0;
  for (const auto& k : s.clocks) {
    if (!k.cpus.empty() && m.cpu_mhz == 0 && active_in(s, k) && k.max) m.cpu_mhz = static_cast<double>(*k.max) / 1000.0;
    if (k.name == "gpu" && k.max) m.gpu_mhz = static_cast<double>(device::to_khz(*k.max / 1e6)) / 1000.0;
    if (k.name == "emc" && k.max) {
      long long hz = *k.max;
      if (hz <= 0 && b.emc && !b.emc->available_hz.empty()) hz = b.emc->available_hz.back();  // 0: uncapped
      m.emc_mhz = static_cast<double>(device::to_khz(hz / 1e6)) / 1000.0;
    }
  }
  return m;
}

std::vector<KnobWrite> plan_transition(const KnobState& from, const KnobState& to) {
  MW_CHECK(from.cores.size() == to.cores.size() && from.clocks.size() == to.clocks.size());
  std::vector<KnobWrite> out;
  KnobState sim = from;
  // 1. Clusters about to go fully offline get their target values while they can still be written.
  for (size_t i = 0; i < sim.clocks.size(); ++i)
    if (!sim.clocks[i].cpus.empty() && active_in(sim, sim.clocks[i]) && !active_in(to, to.clocks[i]))
      clock_writes(sim.clocks[i], to.clocks[i], out);
  // 2. Cores going offline, highest first.
  for (size_t i = sim.cores.size(); i-- > 0;)
    if (sim.cores[i].online && !to.cores[i].online) {
      out.push_back({sim.cores[i].file, "0", fmt::format("offline cpu{}", sim.cores[i].cpu)});
      sim.cores[i].online = false;
    }
  // 3. Clocks going down (min before max).
  for (size_t i = 0; i < sim.clocks.size(); ++i)
    if (active_in(sim, sim.clocks[i]) && active_in(to, to.clocks[i]) && lowers(sim.clocks[i], to.clocks[i]))
      clock_writes(sim.clocks[i], to.clocks[i], out);
  // 4. Cores coming online, lowest first. A cluster that was fully offline gets its clocks right after its first
  //    core is back (its policy cannot be written while inactive), before its other cores come online.
  for (size_t i = 0; i < sim.cores.size(); ++i) {
    if (sim.cores[i].online || !to.cores[i].online) continue;
    std::vector<size_t> waking;
    for (size_t k = 0; k < sim.clocks.size(); ++k)
      if (!sim.clocks[k].cpus.empty() && !active_in(sim, sim.clocks[k]) &&
          std::count(sim.clocks[k].cpus.begin(), sim.clocks[k].cpus.end(), sim.cores[i].cpu))
        waking.push_back(k);
    out.push_back({sim.cores[i].file, "1", fmt::format("online cpu{}", sim.cores[i].cpu)});
    sim.cores[i].online = true;
    for (size_t k : waking) clock_writes(sim.clocks[k], to.clocks[k], out);
  }
  // 5. Everything else that differs on the clocks that are active now (limits going up).
  for (size_t i = 0; i < sim.clocks.size(); ++i)
    if (active_in(to, to.clocks[i])) clock_writes(sim.clocks[i], to.clocks[i], out);
  return out;
}

void check_writable(const SysfsRoot& root, const std::vector<KnobWrite>& writes) {
  for (const auto& w : writes) {
    if (!root.exists(w.file))
      throw Error("'{}' ({}) does not exist: the board changed since it was discovered, or the tree is incomplete",
                  root.host_path(w.file), w.what);
    if (!root.writable(w.file))
      throw Error("no permission to write '{}' ({}): changing power modes needs root (run with sudo), or use --dry-run "
                  "to print the writes",
                  root.host_path(w.file), w.what);
  }
}

void execute_writes(const SysfsRoot& root, const std::vector<KnobWrite>& writes) {
  for (const auto& w : writes) {
    root.write_text(w.file, w.value);
    std::string back = root.read_text(w.file);
    if (back != w.value)
      throw Error("wrote {} to '{}' ({}) but it reads back '{}': the kernel refused or rounded the value",
                  w.value, root.host_path(w.file), w.what, back);
  }
}

nlohmann::json to_json(const KnobState& s) {
  auto opt = [](const std::optional<long long>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json cores = nlohmann::json::array();
  for (const auto& c : s.cores) cores.push_back({{"cpu", c.cpu}, {"file", c.file}, {"online", c.online}});
  nlohmann::json clocks = nlohmann::json::array();
  for (const auto& k : s.clocks)
    clocks.push_back({{"name", k.name}, {"unit", k.unit}, {"min_file", k.min_file}, {"max_file", k.max_file},
                      {"cpus", k.cpus}, {"min", opt(k.min)}, {"max", opt(k.max)}});
  return {{"cores", cores}, {"clocks", clocks}};
}

KnobState knob_state_from_json(const nlohmann::json& j, const std::string& source) {
  auto fail = [&](const std::string& field, const std::string& expected) -> Error {
    return Error("{}: field '{}': expected {}", source, field, expected);
  };
  auto file_of = [&](const nlohmann::json& v, const std::string& field, bool allow_empty) {
    if (!v.is_string()) throw fail(field, "a /sys path");
    std::string p = v.get<std::string>();
    if (p.empty() && allow_empty) return p;
    if (!safe_board_path(p)) throw fail(field, "a path under /sys/ without '..', found '" + p + "'");
    return p;
  };
  auto opt_int = [&](const nlohmann::json& v, const std::string& field) -> std::optional<long long> {
    if (v.is_null()) return std::nullopt;
    if (!v.is_number_integer()) throw fail(field, "an integer or null");
    return v.get<long long>();
  };
  if (!j.is_object() || !j.contains("cores") || !j.contains("clocks") || !j["cores"].is_array() ||
      !j["clocks"].is_array())
    throw fail("state", "an object with arrays 'cores' and 'clocks'");
  KnobState s;
  size_t i = 0;
  for (const auto& c : j["cores"]) {
    std::string f = fmt::format("cores[{}]", i++);
    if (!c.is_object() || !c.contains("cpu") || !c["cpu"].is_number_integer() || !c.contains("online") ||
        !c["online"].is_boolean() || !c.contains("file"))
      throw fail(f, "{cpu: integer, file: path, online: true|false}");
    long long cpu = c["cpu"].get<long long>();
    if (cpu < 0 || cpu > 4095) throw fail(f + ".cpu", "a CPU index 0..4095");
    s.cores.push_back({static_cast<int>(cpu), file_of(c["file"], f + ".file", false), c["online"].get<bool>()});
  }
  i = 0;
  for (const auto& k : j["clocks"]) {
    std::string f = fmt::format("clocks[{}]", i++);
    if (!k.is_object()) throw fail(f, "an object");
    for (const char* key : {"name", "unit", "min_file", "max_file", "cpus", "min", "max"})
      if (!k.contains(key)) throw fail(f + "." + key, "a value (the field is missing)");
    if (!k["name"].is_string() || !k["unit"].is_string() || !k["cpus"].is_array())
      throw fail(f, "name and unit strings and a cpus array");
    ClockKnob ck;
    ck.name = k["name"].get<std::string>();
    ck.unit = k["unit"].get<std::string>();
    ck.min_file = file_of(k["min_file"], f + ".min_file", true);
    ck.max_file = file_of(k["max_file"], f + ".max_file", false);
    for (const auto& c : k["cpus"]) {
      if (!c.is_number_integer() || c.get<long long>() < 0 || c.get<long long>() > 4095)
        throw fail(f + ".cpus", "CPU indices 0..4095");
      ck.cpus.push_back(static_cast<int>(c.get<long long>()));
    }
    ck.min = opt_int(k["min"], f + ".min");
    ck.max = opt_int(k["max"], f + ".max");
    if ((ck.min && *ck.min < 0) || (ck.max && *ck.max < 0)) throw fail(f, "non-negative frequencies");
    s.clocks.push_back(std::move(ck));
  }
  return s;
}

}  // namespace modewise::control
