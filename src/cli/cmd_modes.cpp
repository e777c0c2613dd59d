// modewise modes: list the power modes of a device grid.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/device_arg.h"
#include "modewise/control/board.h"
#include "modewise/device/device_spec.h"
#include "modewise/device/grid.h"
#include "modewise/util/csv.h"
#include "modewise/util/strings.h"
#include "modewise/util/table.h"

namespace modewise::cli {
namespace {

struct ModesOptions {
  std::string device = "orin-agx";
  std::string grid = "full";
  std::string named;
  bool csv = false, json = false, describe = false;
};

void run_modes(const ModesOptions& o, const GlobalOptions& g) {
  if (o.describe && o.device == "jetson") {
    // What discovery found and where: board, SoC, JetPack, clock tables and their files, rails, total rule,
    // nvpmodel presets, notes; the device description (the --device FILE.json format) under "device".
    telemetry::SysfsRoot root(g.sysfs_root);
    control::JetsonBoard board = control::discover_board(root);
    std::vector<std::string> warnings;
    device::DeviceSpec spec = control::board_spec(board, &warnings);
    for (const auto& w : warnings) warn(w);
    nlohmann::json j = device::device_to_json(spec);
    j["discovered"] = control::to_json(board);
    j["discovered"]["grid_warnings"] = warnings;
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  device::DeviceSpec spec = resolve_device_arg(o.device, g);
  if (o.describe) {
    std::cout << device::device_to_json(spec).dump(2) << "\n";
    return;
  }
  std::vector<device::PowerMode> modes =
      o.named.empty() ? device::grid_modes(spec, o.grid) : std::vector{device::named_mode(spec, o.named)};
  using util::format_number;
  if (o.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& m : modes)
      j.push_back(device::mode_to_json(m));
    std::cout << j.dump() << "\n";
  } else if (o.csv) {
    util::CsvWriter w(std::cout);
    w.row({"cores", "cpu_mhz", "gpu_mhz", "emc_mhz"});
    for (const auto& m : modes)
      w.row({std::to_string(m.cores), format_number(m.cpu_mhz), format_number(m.gpu_mhz), format_number(m.emc_mhz)});
  } else {
    util::TextTable t({"cores", "cpu_mhz", "gpu_mhz", "emc_mhz"});
    for (const auto& m : modes)
      t.add({std::to_string(m.cores), format_number(m.cpu_mhz), format_number(m.gpu_mhz), format_number(m.emc_mhz)});
    t.print(std::cout);
    info(fmt::format("{} modes in grid '{}' of {}", modes.size(), o.named.empty() ? o.grid : o.named, spec.name));
  }
}

Registrar reg(10, "modes", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<ModesOptions>();
  auto* cmd = app.add_subcommand("modes", "List the power modes of a device grid (or one named mode)");
  cmd->add_option("--device", o->device, "Device: orin-agx, xavier-agx, orin-nano, jetson, or a device .json")
      ->capture_default_str();
  cmd->add_option("--grid", o->grid, "Grid: full, powertrain, fulcrum (as the device offers)")->capture_default_str();
  cmd->add_option("--mode", o->named, "Print one named mode instead: maxn or an nvpmodel preset (e.g. MODE_30W)");
  auto* csv = cmd->add_flag("--csv", o->csv, "CSV output (cores,cpu_mhz,gpu_mhz,emc_mhz)");
  cmd->add_flag("--json", o->json, "JSON output")->excludes(csv);
  cmd->add_flag("--describe", o->describe,
                "Print the device description as JSON (the format --device FILE.json reads); with --device jetson also "
                "what discovery found and where (\"discovered\": board, SoC, clock tables, rails, total rule)");
  cmd->callback([o, &g] { run_modes(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
