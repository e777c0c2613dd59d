// Shared by the prediction commands (fit, transfer, predict, pareto, recommend, eval transfer, run): choosing
// profile rows, the device, the candidate modes, and labelling where the numbers come from.
#pragma once
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "modewise/device/device_spec.h"
#include "modewise/predict/adaptive_sampling.h"
#include "modewise/predict/model.h"
#include "modewise/predict/train.h"
#include "modewise/profile/profile.h"

namespace modewise::cli {

struct RowSelection {
  std::string workload, task;
  int batch_size = 0;
};
void add_row_selection(CLI::App* cmd, RowSelection& sel);

// Rows of a profile CSV for one (workload, task, batch size). A file holding several and no selection is an
// Error listing them.
std::vector<profile::ProfileRow> load_profile_rows(const std::string& path, const RowSelection& sel,
                                                   profile::Profile* whole = nullptr);

// --device if given (it must match the rows' device column), else the rows' device column.
device::DeviceSpec device_for_rows(const std::string& device_arg, const std::vector<profile::ProfileRow>& rows,
                                   const std::string& path, const GlobalOptions& g);

// Candidate modes: --modes FILE.csv, or every mode of --grid on --device (default: the model's device).
struct ModeChoice {
  std::string device, grid = "full", modes_file;
};
void add_mode_choice(CLI::App* cmd, ModeChoice& c, bool allow_modes_file);
device::DeviceSpec device_for_model(const ModeChoice& c, const predict::PerfModel& model, const GlobalOptions& g);
std::vector<device::PowerMode> candidate_modes(const ModeChoice& c, const device::DeviceSpec& spec);

// A warning on stderr when some modes lie outside the range the model learned from.
void warn_extrapolation(const predict::PerfModel& model, const std::vector<device::PowerMode>& modes);

// "emulated" -> the note printed on stderr before numbers from such a model.
void note_model_provenance(const predict::PerfModel& model);
std::string model_provenance_label(const predict::PerfModel& model);

// The library's defaults, read from named objects for the CLI's own defaults (g++ 12 warns
// -Wmaybe-uninitialized about members of a temporary TransferOptions{} read in a default member initializer).
inline const predict::TransferOptions& transfer_defaults() {
  static const predict::TransferOptions d;
  return d;
}
inline const predict::AdaptiveOptions& adaptive_defaults() {
  static const predict::AdaptiveOptions d;
  return d;
}

}  // namespace modewise::cli
