// The one profile schema used everywhere: a row per (device, workload, task, batch size, power mode).
// CSV columns: device,workload,task,batch_size,cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w
// then optional energy_j,time_sd_ms,power_sd_w,samples,provenance,board and metric columns (gpu_util, cpu_util,
// stall_fraction, mem_used_mb, ...). Readers ignore unknown columns and also accept files with only
// cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w.
#pragma once
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "modewise/device/backend.h"
#include "modewise/device/power_mode.h"
#include "modewise/util/csv.h"

namespace modewise::profile {

// Provenance values (the CSV `provenance` column, the store, model files, --json keys). Where numbers come from:
//   "measured"             a real board
//   "emulated"             the sim: emulator
//   "replayed (measured)"  replayed from a recording of measured rows (replay: keeps the origin)
//   "replayed (emulated)"  replayed from a recording of emulated rows
//   "replayed (mixed)"     replayed from a recording whose rows have several origins
//   "replayed"             replayed from a recording that does not say where its rows came from
//   "mixed"                a set of rows of several origins (a campaign imported from such a file, a model)
//   ""                     unknown
// Replaying "replayed (emulated)" rows again gives "replayed (emulated)": the origin travels with the numbers.
namespace provenance_values {
inline constexpr const char* kMeasured = "measured";
inline constexpr const char* kEmulated = "emulated";
inline constexpr const char* kReplayed = "replayed";
inline constexpr const char* kMixed = "mixed";
}  // namespace provenance_values
// Every value above (exact spelling, "" included): what readers and validators accept.
const std::vector<std::string>& provenance_values_accepted();
bool is_valid_provenance(const std::string& provenance);
// The provenance of a row replayed from a row recorded with `recorded`: "measured" -> "replayed (measured)",
// "replayed (emulated)" -> "replayed (emulated)", "" -> "replayed", "mixed" -> "replayed (mixed)".
std::string replayed_provenance(const std::string& recorded);
// Where the numbers originally came from: "measured", "emulated", "mixed" or "" (unknown); replaying is dropped.
std::string provenance_origin(const std::string& provenance);
// True when the numbers are emulated at their origin ("emulated", "replayed (emulated)").
bool is_emulated_provenance(const std::string& provenance);
// One value for a set of rows: their common value; else their common origin when they share one (e.g. "emulated"
// for emulated and "replayed (emulated)" rows); else "mixed". "" for an empty set.
std::string combine_provenance(const std::vector<std::string>& provenances);
// The provenance of a prediction from a model trained on `training` data: "predicted (from emulated)",
// "predicted (from measured)", "predicted (from mixed)", "predicted (from unknown)".
std::string predicted_provenance(const std::string& training);
// Words for notes and reports: "emulated, not measured", "replayed from a recorded profile of emulated rows:
// emulated, not measured", "replayed from a recorded profile of measured rows", "of mixed provenance (not all
// measured)", "of unknown provenance", ...
std::string describe_provenance(const std::string& provenance);

struct ProfileRow {
  std::string device;    // "" when the file has no device column
  std::string workload;  // "" when the file has no workload column
  std::string task;      // "train" / "infer" / ""
  int batch_size = 0;    // 0 when unknown
  device::PowerMode mode;
  double time_ms = 0;   // mean time per minibatch
  double power_w = 0;   // mean board power
  double energy_j = device::kUnknown;  // per minibatch
  double time_sd_ms = device::kUnknown;
  double power_sd_w = device::kUnknown;
  int samples = 0;                       // minibatches in the measurement window
  std::string provenance;                // one of the provenance values below, "" when unknown
  std::string board;                     // the board that measured it (serial number or host, docs/FLEET.md); "" unknown
  std::map<std::string, double> metrics;  // utilization, stalls, ...
  int line = 0;                           // CSV line it was read from (0: not read from a file)

  double energy_or_derived_j() const;  // energy_j, or time_ms * power_w / 1000
};

struct Profile {
  std::string source;
  std::vector<ProfileRow> rows;
  bool has_workload_columns = false;  // device/workload/task/batch_size present
  std::vector<std::string> metric_columns;
};

// The metric columns modewise knows (kept when reading; written when present).
const std::vector<std::string>& known_metric_columns();

// Parse and validate (profile_validator.h: ranges, provenance values, built-in devices' tables, duplicates).
Profile parse_profile_csv(const util::CsvTable& table);
Profile read_profile_csv(const std::string& path);  // throws Error naming file:line and field

// Rows matching workload / task / batch size (empty or 0 = any). Throws Error listing what the file has
// when nothing matches.
std::vector<ProfileRow> select_rows(const Profile& p, const std::string& workload, const std::string& task,
                                    int batch_size);

// Modes from any CSV with cores,cpu_mhz,gpu_mhz,emc_mhz columns (other columns ignored).
std::vector<device::PowerMode> read_modes_csv(const std::string& path);

// Writes rows as they complete (flushes after each).
class ProfileWriter {
 public:
  ProfileWriter(std::ostream& out, std::vector<std::string> metric_columns = known_metric_columns());
  void write_header();
  void write(const ProfileRow& row);
  static std::vector<std::string> columns(const std::vector<std::string>& metric_columns);

 private:
  std::ostream& out_;
  std::vector<std::string> metrics_;
};

void write_profile_csv(std::ostream& out, const std::vector<ProfileRow>& rows);
void write_profile_csv_file(const std::string& path, const std::vector<ProfileRow>& rows);

}  // namespace modewise::profile
