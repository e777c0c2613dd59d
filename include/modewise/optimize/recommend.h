// Choosing power modes from predictions: the Pareto front of time and power, the best mode within a power
// budget (lowest time or energy), the best nvpmodel preset within a budget, and a custom nvpmodel block.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "modewise/device/device_spec.h"
#include "modewise/device/power_mode.h"
#include "modewise/predict/model.h"

namespace modewise::optimize {

enum class Objective { time, energy };
Objective parse_objective(const std::string& text);  // "time" | "energy"; throws UsageError
std::string to_string(Objective o);

// Indices of the Pareto-optimal modes (no other mode is at most as slow and at most as power-hungry, and
// strictly better in one), ordered by increasing power (so decreasing time).
std::vector<size_t> pareto_front(const std::vector<double>& time_ms, const std::vector<double>& power_w);

struct Recommendation {
  size_t index = 0;  // into the candidate modes
  device::PowerMode mode;
  double time_ms = 0, power_w = 0, energy_j = 0;
  double budget_w = 0;
  double margin_w = 0;    // budget - predicted power (>= 0)
  size_t feasible = 0;    // candidates predicted within the budget
};

// How cautious a recommendation is about predicted power:
//   safety        keep predicted power this fraction below the budget;
//   sd_multiplier where the model knows its uncertainty (Predictions::power_log_sd), use the upper bound
//                 power x exp(sd_multiplier x sd) instead of the prediction (0: the prediction itself).
// The default of the CLI (recommend, run, eval transfer): one calibrated standard deviation. At 50 profiled
// modes it cuts budget violations about fivefold at a gap of about 1-2% of optimal time (docs/PREDICT.md).
inline constexpr double kDefaultSdMultiplier = 1.0;

struct PowerCaution {
  double safety = 0;
  double sd_multiplier = 0;
};

// The feasible candidate (cautious predicted power <= budget_w) with the lowest objective; ties go to the
// lower power. nullopt when none is feasible.
std::optional<Recommendation> best_within_budget(const std::vector<device::PowerMode>& modes,
                                                 const predict::Predictions& pred, double budget_w,
                                                 Objective objective, const PowerCaution& caution = {});
// As above, but a budget nothing meets is an Error naming the lowest predicted power and its mode.
Recommendation recommend(const std::vector<device::PowerMode>& modes, const predict::Predictions& pred,
                         double budget_w, Objective objective, const PowerCaution& caution = {});

// The device's nvpmodel presets as modes (caps snapped to its tables), with their names.
struct PresetMode {
  std::string name;
  int id = 0;
  device::PowerMode mode;
};
std::vector<PresetMode> preset_modes(const device::DeviceSpec& spec);

// A custom `< POWER_MODEL ID= NAME= >` block for /etc/nvpmodel.conf that pins `mode`: the first `cores` CPUs
// online, each online cluster's CPU clock (kHz) and the GPU clock (Hz) with MIN_FREQ = MAX_FREQ, and the EMC
// cap (Hz). `comment` lines are written above the block with '# '.
std::string nvpmodel_block(const device::DeviceSpec& spec, const device::PowerMode& mode, int id,
                           const std::string& name, const std::vector<std::string>& comment);

}  // namespace modewise::optimize
