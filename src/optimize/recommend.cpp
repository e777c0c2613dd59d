#include "modewise/optimize/recommend.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "modewise/device/grid.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::optimize {

Objective parse_objective(const std::string& text) {
  if (text == "time") return Objective::time;
  if (text == "energy") return Objective::energy;
  throw UsageError("unknown objective '{}' (expected time or energy)", text);
}

std::string to_string(Objective o) { return o == Objective::time ? "time" : "energy"; }

std::vector<size_t> pareto_front(const std::vector<double>& time_ms, const std::vector<double>& power_w) {
  MW_CHECK(time_ms.size() == power_w.size());
  // Sort (power, time, index) records rather than indices: contiguous keys sort several times faster.
  struct Point {
    double power, time;
    size_t index;
  };
  std::vector<Point> points(time_ms.size());
  for (size_t i = 0; i < points.size(); ++i) points[i] = {power_w[i], time_ms[i], i};
  std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) {
    return a.power != b.power ? a.power < b.power : a.time < b.time;
  });
  std::vector<size_t> front;
  double best_time = INFINITY;
  for (const Point& p : points)
    if (p.time < best_time) {
      front.push_back(p.index);
      best_time = p.time;
    }
  return front;
}

std::optional<Recommendation> best_within_budget(const std::vector<device::PowerMode>& modes,
                                                 const predict::Predictions& pred, double budget_w,
                                                 Objective objective, const PowerCaution& caution) {
  MW_CHECK(modes.size() == pred.size());
  const double limit = budget_w * (1.0 - caution.safety);
  const bool use_sd = caution.sd_multiplier > 0 && pred.power_log_sd.size() == pred.size();
  std::optional<size_t> best;
  size_t feasible = 0;
  auto score = [&](size_t i) { return objective == Objective::time ? pred.time_ms[i] : pred.energy_j(i); };
  for (size_t i = 0; i < modes.size(); ++i) {
    double power = use_sd ? pred.power_w[i] * std::exp(caution.sd_multiplier * pred.power_log_sd[i]) : pred.power_w[i];
    if (!(power <= limit)) continue;
    ++feasible;
    if (!best || score(i) < score(*best) || (score(i) == score(*best) && pred.power_w[i] < pred.power_w[*best]))
      best = i;
  }
  if (!best) return std::nullopt;
  Recommendation r;
  r.index = *best;
  r.mode = modes[*best];
  r.time_ms = pred.time_ms[*best];
  r.power_w = pred.power_w[*best];
  r.energy_j = pred.energy_j(*best);
  r.budget_w = budget_w;
  r.margin_w = budget_w - r.power_w;
  r.feasible = feasible;
  return r;
}

Recommendation recommend(const std::vector<device::PowerMode>& modes, const predict::Predictions& pred,
                         double budget_w, Objective objective, const PowerCaution& caution) {
  if (!(budget_w > 0)) throw UsageError("the power budget must be positive, found {} W", budget_w);
  if (modes.empty()) throw Error("no candidate modes to choose from");
  auto r = best_within_budget(modes, pred, budget_w, objective, caution);
  if (r) return *r;
  size_t low = static_cast<size_t>(std::min_element(pred.power_w.begin(), pred.power_w.end()) - pred.power_w.begin());
  std::string how;
  if (caution.safety > 0) how += fmt::format(" with a {:.1f}% safety margin", 100 * caution.safety);
  if (caution.sd_multiplier > 0 && !pred.power_log_sd.empty())
    how += fmt::format("{} allowing for {} standard deviations of its uncertainty", how.empty() ? "" : " and",
                       util::format_number(caution.sd_multiplier));
  throw Error("no mode is predicted to stay within {} W{}: the lowest predicted power is {:.2f} W ({}); raise the "
              "budget",
              util::format_number(budget_w), how, pred.power_w[low], modes[low].describe());
}

std::vector<PresetMode> preset_modes(const device::DeviceSpec& spec) {
  std::vector<PresetMode> out;
  for (const auto& p : spec.presets) out.push_back({p.name, p.id, device::named_mode(spec, p.name)});
  return out;
}

namespace {
// nvpmodel's parameter name prefix for a CPU architecture ("CPU_A78_0", "CPU_DENVER_0", ...).
std::string cpu_param_prefix(const device::DeviceSpec& spec) {
  std::string arch = util::to_lower(spec.cpu_arch);
  if (arch.find("a78") != std::string::npos) return "CPU_A78";
  if (arch.find("carmel") != std::string::npos || arch.find("denver") != std::string::npos) return "CPU_DENVER";
  if (arch.find("a57") != std::string::npos) return "CPU_A57";
  return "CPU";
}
}  // namespace

std::string nvpmodel_block(const device::DeviceSpec& spec, const device::PowerMode& mode, int id,
                           const std::string& name, const std::vector<std::string>& comment) {
  device::validate_mode(spec, mode);
  std::string out;
  for (const auto& c : comment) out += "# " + c + "\n";
  out += fmt::format("< POWER_MODEL ID={} NAME={} >\n", id, name);
  const int total = spec.cpu_cores();
  for (int c = 0; c < total; ++c) out += fmt::format("CPU_ONLINE CORE_{} {}\n", c, c < mode.cores ? 1 : 0);
  const long long cpu_khz = device::to_khz(mode.cpu_mhz);
  const std::string prefix = cpu_param_prefix(spec);
  for (size_t k = 0; k < spec.cpu_clusters.size(); ++k) {
    const auto& cl = spec.cpu_clusters[k];
    bool online = std::any_of(cl.begin(), cl.end(), [&](int cpu) { return cpu < mode.cores; });
    if (!online) continue;
    out += fmt::format("{}_{} MIN_FREQ {}\n{}_{} MAX_FREQ {}\n", prefix, k, cpu_khz, prefix, k, cpu_khz);
  }
  const long long gpu_hz = device::to_khz(mode.gpu_mhz) * 1000, emc_hz = device::to_khz(mode.emc_mhz) * 1000;
  out += fmt::format("GPU MIN_FREQ {}\nGPU MAX_FREQ {}\nEMC MAX_FREQ {}\n", gpu_hz, gpu_hz, emc_hz);
  return out;
}

}  // namespace modewise::optimize
