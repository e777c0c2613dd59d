#include "cli/model_args.h"

#include <set>

#include <fmt/format.h>

#include "cli/common.h"
#include "cli/device_arg.h"
#include "modewise/device/grid.h"
#include "modewise/profile/profile_validator.h"
#include "modewise/util/error.h"

namespace modewise::cli {

void add_row_selection(CLI::App* cmd, RowSelection& sel) {
  cmd->add_option("--workload", sel.workload, "Use only the rows of this workload (when the file has several)");
  cmd->add_option("--task", sel.task, "Use only the rows of this task (train or infer)");
  cmd->add_option("--batch-size", sel.batch_size, "Use only the rows of this batch size");
}

std::vector<profile::ProfileRow> load_profile_rows(const std::string& path, const RowSelection& sel,
                                                   profile::Profile* whole) {
  profile::Profile p = profile::read_profile_csv(path);
  if (p.rows.empty()) throw Error("{}: the profile has no rows", path);
  std::vector<profile::ProfileRow> rows = profile::select_rows(p, sel.workload, sel.task, sel.batch_size);
  std::set<std::string> groups;
  for (const auto& r : rows) groups.insert(fmt::format("{}/{}/{}/bs{}", r.device, r.workload, r.task, r.batch_size));
  if (groups.size() > 1)
    throw Error("{}: the profile holds several workloads ({}); choose one with --workload, --task and --batch-size",
                path, fmt::join(groups, ", "));
  if (whole) *whole = std::move(p);
  return rows;
}

device::DeviceSpec device_for_rows(const std::string& device_arg, const std::vector<profile::ProfileRow>& rows,
                                   const std::string& path, const GlobalOptions& g) {
  const std::string& in_file = rows.front().device;
  device::DeviceSpec spec;
  if (!device_arg.empty()) {
    spec = resolve_device_arg(device_arg, g);
    if (!in_file.empty() && in_file != spec.name)
      throw Error("{}: the rows are for device '{}', but --device is '{}'", path, in_file, spec.name);
  } else {
    if (in_file.empty()) throw UsageError("{} has no device column: name the device with --device", path);
    spec = device::resolve_device(in_file);
  }
  // Every mode must exist on that device (its core counts and clock tables), also for files without a device
  // column whose device came from --device.
  profile::Profile p;
  p.source = path;
  p.rows = rows;
  profile::ValidationOptions check;
  check.device = &spec;
  check.reject_duplicates = false;  // the file was checked for them when it was read
  profile::validate_profile(p, check);
  return spec;
}

void add_mode_choice(CLI::App* cmd, ModeChoice& c, bool allow_modes_file) {
  cmd->add_option("--device", c.device,
                  "Device whose modes to use: orin-agx, xavier-agx, orin-nano, sim:<device> or a device .json "
                  "(default: the model's device)");
  auto* grid = cmd->add_option("--grid", c.grid, "Grid: full, powertrain, fulcrum (as the device offers)")
                   ->capture_default_str();
  if (allow_modes_file)
    cmd->add_option("--modes", c.modes_file, "CSV of candidate modes (cores,cpu_mhz,gpu_mhz,emc_mhz; other columns ignored)")
        ->excludes(grid);
}

device::DeviceSpec device_for_model(const ModeChoice& c, const predict::PerfModel& model, const GlobalOptions& g) {
  device::DeviceSpec spec = c.device.empty() ? device::resolve_device(model.info.device) : resolve_device_arg(c.device, g);
  model.check_device(spec);
  return spec;
}

std::vector<device::PowerMode> candidate_modes(const ModeChoice& c, const device::DeviceSpec& spec) {
  if (c.modes_file.empty()) return device::grid_modes(spec, c.grid);
  std::vector<device::PowerMode> modes = profile::read_modes_csv(c.modes_file);
  if (modes.empty()) throw Error("{}: no modes", c.modes_file);
  for (const auto& m : modes) {
    try {
      device::validate_mode(spec, m);
    } catch (const Error& e) {
      throw Error("{}: mode {}: {}", c.modes_file, m.key(), e.what());
    }
  }
  return modes;
}

void warn_extrapolation(const predict::PerfModel& model, const std::vector<device::PowerMode>& modes) {
  size_t n = predict::count_outside(model, modes);
  if (n == 0) return;
  warn(fmt::format("{} of {} modes lie outside the modes the model learned from ({}): predictions there are "
                   "extrapolations (use --grid powertrain or --modes to stay inside)",
                   n, modes.size(), model.info.range.describe()));
}

std::string model_provenance_label(const predict::PerfModel& model) {
  const std::string& p = model.info.provenance;
  if (profile::is_emulated_provenance(p))
    return fmt::format("emulated (predicted by a model trained on emulated {} data), not measured", model.info.device);
  if (profile::provenance_origin(p) == "measured") return "predicted from measurements";
  return profile::describe_provenance(profile::predicted_provenance(p));
}

void note_model_provenance(const predict::PerfModel& model) {
  if (profile::provenance_origin(model.info.provenance) != "measured")
    info("note: numbers below are " + model_provenance_label(model));
}

}  // namespace modewise::cli
