#include "modewise/device/grid.h"
#include "modewise/profile/campaign.h"
#include "modewise/roofline/roofline.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::roofline {

std::vector<device::PowerMode> resolve_mode_list(const device::DeviceSpec& spec, const std::string& list,
                                                 const std::string& grid) {
  std::vector<device::PowerMode> modes;
  for (const auto& item : util::split(list, ',')) {
    std::string t = util::trim(item);
    if (t.empty()) continue;
    for (const auto& m : profile::resolve_modes(spec, t, grid, 1)) modes.push_back(m);
  }
  if (modes.empty()) throw UsageError("--modes '{}': no modes", list);
  return profile::unique_modes(modes);
}

std::string default_tuning_grid(const device::DeviceSpec& spec) {
  for (const auto& g : device::grid_names(spec))
    if (g == "fulcrum") return g;
  return "full";
}

}  // namespace modewise::roofline
