#include "modewise/device/grid.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::device {

std::vector<std::string> grid_names(const DeviceSpec& spec) {
  std::vector<std::string> names{"full"};
  for (const auto& [n, g] : spec.grids) names.push_back(n);
  return names;
}

namespace {
std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) {
    if (!s.empty()) s += ", ";
    s += x;
  }
  return s;
}
template <typename T>
std::string join_numbers(const std::vector<T>& v) {
  std::string s;
  for (const auto& x : v) {
    if (!s.empty()) s += ' ';
    s += util::format_number(static_cast<double>(x));
  }
  return s;
}
}  // namespace

GridAxes grid_axes(const DeviceSpec& spec, const std::string& grid) {
  if (grid == "full") {
    GridAxes a;
    for (int c = spec.min_cores; c <= spec.cpu_cores(); ++c) a.cores.push_back(c);
    a.cpu_mhz = spec.cpu_mhz;
    a.gpu_mhz = spec.gpu_mhz;
    a.emc_mhz = spec.emc_mhz;
    return a;
  }
  auto it = spec.grids.find(grid);
  if (it == spec.grids.end())
    throw UsageError("device '{}' has no grid '{}' (expected one of: {})", spec.name, grid, join(grid_names(spec)));
  return it->second;
}

std::vector<PowerMode> grid_modes(const DeviceSpec& spec, const std::string& grid) {
  GridAxes a = grid_axes(spec, grid);
  std::vector<PowerMode> modes;
  modes.reserve(a.size());
  for (int c : a.cores)
    for (double cpu : a.cpu_mhz)
      for (double gpu : a.gpu_mhz)
        for (double emc : a.emc_mhz) modes.push_back({c, cpu, gpu, emc});
  return modes;
}

double snap_down(const std::vector<double>& table, double cap) {
  MW_CHECK(!table.empty());
  if (cap <= 0) return table.back();
  double best = table.front();
  for (double v : table)
    if (v <= cap + 1e-6) best = v;
  return best;
}

namespace {
double snap_nearest(const std::vector<double>& table, double v) {
  double best = table.front();
  for (double t : table)
    if (std::fabs(t - v) < std::fabs(best - v)) best = t;
  return best;
}
bool in_table(const std::vector<double>& table, double v) {
  return std::any_of(table.begin(), table.end(), [&](double t) { return to_khz(t) == to_khz(v); });
}
}  // namespace

std::vector<std::string> named_mode_names(const DeviceSpec& spec) {
  std::vector<std::string> names{"maxn"};
  for (const auto& p : spec.presets)
    if (util::to_lower(p.name) != "maxn") names.push_back(p.name);
  return names;
}

PowerMode named_mode(const DeviceSpec& spec, const std::string& name) {
  std::string want = util::to_lower(name);
  if (want == "maxn" && std::none_of(spec.presets.begin(), spec.presets.end(),
                                     [](const Preset& p) { return util::to_lower(p.name) == "maxn"; }))
    return spec.maxn();
  for (const auto& p : spec.presets) {
    std::string pn = util::to_lower(p.name);
    if (pn == want || pn == "mode_" + want || want == "preset:" + std::to_string(p.id)) {
      if (p.needs_reboot)
        throw Error("nvpmodel mode {} (ID {}) takes effect only after a reboot: {}; nothing was applied. Select it "
                    "with `sudo nvpmodel -m {}`, reboot, then use it",
                    p.name, p.id, p.reboot_reason.empty() ? "the board says so" : p.reboot_reason, p.id);
      if (want == "maxn") return spec.maxn();
      return PowerMode{std::clamp(p.cores, spec.min_cores, spec.cpu_cores()), snap_down(spec.cpu_mhz, p.cpu_max_mhz),
                       snap_down(spec.gpu_mhz, p.gpu_max_mhz), snap_down(spec.emc_mhz, p.emc_max_mhz)};
    }
  }
  throw UsageError("device '{}' has no named mode '{}' (expected one of: {})", spec.name, name,
                   join(named_mode_names(spec)));
}

namespace {
// Nearest table value and whether it is more than half a table step away.
std::pair<double, bool> nearest_with_step(const std::vector<double>& table, double v) {
  size_t best = 0;
  for (size_t i = 1; i < table.size(); ++i)
    if (std::fabs(table[i] - v) < std::fabs(table[best] - v)) best = i;
  double d = std::fabs(table[best] - v);
  if (d < 1e-3) return {table[best], false};
  if (table.size() == 1) return {table[best], d > 1.0};
  double step;
  if (v > table[best])
    step = best + 1 < table.size() ? table[best + 1] - table[best] : table[best] - table[best - 1];
  else
    step = best > 0 ? table[best] - table[best - 1] : table[best + 1] - table[best];
  return {table[best], d > step / 2 + 1e-6};
}

std::vector<double> map_axis(const char* name, const std::vector<double>& wanted, const std::vector<double>& table,
                             std::vector<std::string>& far) {
  std::vector<double> out;
  if (table.empty()) return out;
  for (double w : wanted) {
    auto [v, is_far] = nearest_with_step(table, w);
    if (is_far) far.push_back(fmt::format("{} {} -> {}", name, util::format_number(w), util::format_number(v)));
    out.push_back(v);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end(), [](double a, double b) { return to_khz(a) == to_khz(b); }), out.end());
  return out;
}
}  // namespace

GridMapping map_grid_to_tables(const GridAxes& wanted, const DeviceSpec& tables) {
  GridMapping m;
  for (int c : wanted.cores) {
    if (c >= tables.min_cores && c <= tables.cpu_cores())
      m.axes.cores.push_back(c);
    else
      m.far.push_back(fmt::format("cores {} (the board has {} to {})", c, tables.min_cores, tables.cpu_cores()));
  }
  m.axes.cpu_mhz = map_axis("cpu", wanted.cpu_mhz, tables.cpu_mhz, m.far);
  m.axes.gpu_mhz = map_axis("gpu", wanted.gpu_mhz, tables.gpu_mhz, m.far);
  m.axes.emc_mhz = map_axis("emc", wanted.emc_mhz, tables.emc_mhz, m.far);
  return m;
}

void validate_mode(const DeviceSpec& spec, const PowerMode& m) {
  if (m.cores < spec.min_cores || m.cores > spec.cpu_cores())
    throw Error("mode {}: field 'cores' = {} is not available on {} (expected {} to {})", m.key(), m.cores, spec.name,
                spec.min_cores, spec.cpu_cores());
  auto check = [&](const std::vector<double>& t, double v, const char* field) {
    if (!in_table(t, v))
      throw Error("mode {}: field '{}' = {} is not available on {} (expected one of: {})", m.key(), field,
                  util::format_number(v), spec.name, join_numbers(t));
  };
  check(spec.cpu_mhz, m.cpu_mhz, "cpu_mhz");
  check(spec.gpu_mhz, m.gpu_mhz, "gpu_mhz");
  check(spec.emc_mhz, m.emc_mhz, "emc_mhz");
}

bool has_mode(const DeviceSpec& spec, const PowerMode& m) {
  return m.cores >= spec.min_cores && m.cores <= spec.cpu_cores() && in_table(spec.cpu_mhz, m.cpu_mhz) &&
         in_table(spec.gpu_mhz, m.gpu_mhz) && in_table(spec.emc_mhz, m.emc_mhz);
}

PowerMode snap_mode(const DeviceSpec& spec, const PowerMode& m) {
  return {std::clamp(m.cores, spec.min_cores, spec.cpu_cores()), snap_nearest(spec.cpu_mhz, m.cpu_mhz),
          snap_nearest(spec.gpu_mhz, m.gpu_mhz), snap_nearest(spec.emc_mhz, m.emc_mhz)};
}

}  // namespace modewise::device
