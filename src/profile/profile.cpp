#include "modewise/profile/profile.h"
#include "modewise/profile/profile_validator.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>

#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::profile {

using util::format_number;

double ProfileRow::energy_or_derived_j() const {
  return std::isnan(energy_j) ? time_ms * power_w / 1000.0 : energy_j;
}

const std::vector<std::string>& provenance_values_accepted() {
  static const std::vector<std::string> values = {
      "", "measured", "emulated", "replayed", "mixed", "replayed (measured)", "replayed (emulated)", "replayed (mixed)"};
  return values;
}

bool is_valid_provenance(const std::string& p) {
  for (const auto& v : provenance_values_accepted())
    if (v == p) return true;
  return false;
}

std::string provenance_origin(const std::string& p) {
  if (p == "measured" || p == "emulated" || p == "mixed") return p;
  if (p == "replayed (measured)") return "measured";
  if (p == "replayed (emulated)") return "emulated";
  if (p == "replayed (mixed)") return "mixed";
  return "";
}

std::string replayed_provenance(const std::string& recorded) {
  std::string origin = provenance_origin(recorded);
  return origin.empty() ? "replayed" : "replayed (" + origin + ")";
}

bool is_emulated_provenance(const std::string& p) { return provenance_origin(p) == "emulated"; }

std::string combine_provenance(const std::vector<std::string>& ps) {
  if (ps.empty()) return "";
  std::set<std::string> values(ps.begin(), ps.end()), origins;
  if (values.size() == 1) return *values.begin();
  for (const auto& p : values) origins.insert(provenance_origin(p));
  if (origins.size() == 1 && !origins.begin()->empty()) return *origins.begin();
  return "mixed";
}

std::string predicted_provenance(const std::string& training) {
  std::string origin = provenance_origin(training);
  return "predicted (from " + (origin.empty() ? std::string("unknown") : origin) + ")";
}

std::string describe_provenance(const std::string& p) {
  if (p == "measured") return "measured";
  if (p == "emulated") return "emulated, not measured";
  if (p == "mixed") return "of mixed provenance (not all measured)";
  if (p == "replayed (emulated)") return "replayed from a recorded profile of emulated rows: emulated, not measured";
  if (p == "replayed (measured)") return "replayed from a recorded profile of measured rows";
  if (p == "replayed (mixed)") return "replayed from a recorded profile of mixed provenance (not all measured)";
  if (p == "replayed") return "replayed from a recorded profile that does not say where its rows came from";
  if (util::starts_with(p, "predicted (from ")) {
    std::string origin = p.substr(16, p.size() - 17);
    return "predicted by a model trained on " +
           (origin == "emulated"   ? std::string("emulated data: emulated, not measured")
            : origin == "measured" ? std::string("measured data")
            : origin == "mixed"    ? std::string("data of mixed provenance (not all measured)")
                                   : std::string("data of unknown provenance"));
  }
  return p.empty() ? "of unknown provenance" : "of provenance '" + p + "'";
}

const std::vector<std::string>& known_metric_columns() {
  static const std::vector<std::string> cols = {"gpu_util", "cpu_util", "stall_fraction", "fetch_ms",
                                                "mem_used_mb", "warmup_minibatches"};
  return cols;
}

namespace {

constexpr const char* kRequired = "cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w";

double positive(const util::CsvTable& t, const util::CsvRow& r, size_t col) {
  double v = util::parse_double(r.fields[col], t.where(r, col), "a positive number");
  if (!(v > 0)) throw Error("{}: expected a positive number, found '{}'", t.where(r, col), util::trim(r.fields[col]));
  return v;
}

double optional_number(const util::CsvTable& t, const util::CsvRow& r, std::optional<size_t> col) {
  if (!col) return device::kUnknown;
  std::string s = util::trim(r.fields[*col]);
  if (s.empty() || util::to_lower(s) == "nan") return device::kUnknown;
  return util::parse_double(s, t.where(r, *col));
}

device::PowerMode parse_mode(const util::CsvTable& t, const util::CsvRow& r, const size_t cols[4]) {
  device::PowerMode m;
  long long cores = util::parse_int(r.fields[cols[0]], t.where(r, cols[0]), "a whole number of cores");
  if (cores < 1 || cores > 1024) throw Error("{}: expected 1 to 1024 cores, found {}", t.where(r, cols[0]), cores);
  m.cores = static_cast<int>(cores);
  m.cpu_mhz = positive(t, r, cols[1]);
  m.gpu_mhz = positive(t, r, cols[2]);
  m.emc_mhz = positive(t, r, cols[3]);
  return m;
}

}  // namespace

Profile parse_profile_csv(const util::CsvTable& t) {
  Profile p;
  p.source = t.source;
  size_t mode_cols[4] = {t.require_column("cores", kRequired), t.require_column("cpu_mhz", kRequired),
                         t.require_column("gpu_mhz", kRequired), t.require_column("emc_mhz", kRequired)};
  size_t c_time = t.require_column("time_ms", kRequired), c_power = t.require_column("power_w", kRequired);
  auto c_device = t.column("device"), c_workload = t.column("workload"), c_task = t.column("task"),
       c_bs = t.column("batch_size");
  auto c_energy = t.column("energy_j"), c_tsd = t.column("time_sd_ms"), c_psd = t.column("power_sd_w"),
       c_samples = t.column("samples"), c_prov = t.column("provenance"), c_board = t.column("board");
  p.has_workload_columns = c_workload.has_value();
  std::vector<std::pair<std::string, size_t>> metric_cols;
  for (const auto& m : known_metric_columns())
    if (auto c = t.column(m)) metric_cols.emplace_back(m, *c), p.metric_columns.push_back(m);

  for (const auto& r : t.rows) {
    ProfileRow row;
    row.line = r.line;
    row.mode = parse_mode(t, r, mode_cols);
    row.time_ms = positive(t, r, c_time);
    row.power_w = positive(t, r, c_power);
    if (c_device) row.device = util::trim(r.fields[*c_device]);
    if (c_workload) row.workload = util::trim(r.fields[*c_workload]);
    if (c_task) {
      row.task = util::to_lower(util::trim(r.fields[*c_task]));
      if (!row.task.empty() && row.task != "train" && row.task != "infer")
        throw Error("{}: expected 'train' or 'infer', found '{}'", t.where(r, *c_task), row.task);
    }
    if (c_bs && !util::trim(r.fields[*c_bs]).empty()) {
      long long bs = util::parse_int(r.fields[*c_bs], t.where(r, *c_bs), "a positive batch size");
      if (bs < 1) throw Error("{}: expected a positive batch size, found {}", t.where(r, *c_bs), bs);
      row.batch_size = static_cast<int>(bs);
    }
    row.energy_j = optional_number(t, r, c_energy);
    row.time_sd_ms = optional_number(t, r, c_tsd);
    row.power_sd_w = optional_number(t, r, c_psd);
    double samples = optional_number(t, r, c_samples);
    if (!std::isnan(samples) && !(samples >= 0 && samples <= 1e9 && samples == std::floor(samples)))
      throw Error("{}: expected a whole number of samples from 0 to 1e9, found '{}'", t.where(r, *c_samples),
                  util::trim(r.fields[*c_samples]));
    row.samples = std::isnan(samples) ? 0 : static_cast<int>(samples);
    if (c_prov) row.provenance = util::trim(r.fields[*c_prov]);
    if (c_board) row.board = util::trim(r.fields[*c_board]);  // older files have no board column
    for (const auto& [name, col] : metric_cols) {
      double v = optional_number(t, r, col);
      if (!std::isnan(v)) row.metrics[name] = v;
    }
    p.rows.push_back(std::move(row));
  }
  if (p.rows.empty()) throw Error("{}: no data rows (expected one row per power mode)", t.source);
  ValidationOptions check;
  // A characterization CSV repeats modes, told apart by its swept columns (workers, storage, ...).
  check.reject_duplicates = !t.column("workers") && !t.column("storage");
  validate_profile(p, check);
  return p;
}

Profile read_profile_csv(const std::string& path) { return parse_profile_csv(util::read_csv_file(path)); }

std::vector<ProfileRow> select_rows(const Profile& p, const std::string& workload, const std::string& task,
                                    int batch_size) {
  std::vector<ProfileRow> out;
  std::set<std::string> seen;
  for (const auto& r : p.rows) {
    seen.insert(fmt::format("{}/{}/bs{}", r.workload.empty() ? "?" : r.workload, r.task.empty() ? "?" : r.task,
                            r.batch_size));
    if (!workload.empty() && !r.workload.empty() && r.workload != workload) continue;
    if (!task.empty() && !r.task.empty() && r.task != task) continue;
    if (batch_size > 0 && r.batch_size > 0 && r.batch_size != batch_size) continue;
    out.push_back(r);
  }
  if (out.empty()) {
    std::string have;
    for (const auto& s : seen) have += (have.empty() ? "" : ", ") + s;
    throw Error("{}: no rows for workload '{}' task '{}' batch size {} (the file has: {})", p.source,
                workload.empty() ? "*" : workload, task.empty() ? "*" : task, batch_size, have);
  }
  return out;
}

std::vector<device::PowerMode> read_modes_csv(const std::string& path) {
  util::CsvTable t = util::read_csv_file(path);
  const char* expected = "cores,cpu_mhz,gpu_mhz,emc_mhz";
  size_t cols[4] = {t.require_column("cores", expected), t.require_column("cpu_mhz", expected),
                    t.require_column("gpu_mhz", expected), t.require_column("emc_mhz", expected)};
  std::vector<device::PowerMode> modes;
  for (const auto& r : t.rows) modes.push_back(parse_mode(t, r, cols));
  if (modes.empty()) throw Error("{}: no modes (expected rows of cores,cpu_mhz,gpu_mhz,emc_mhz)", path);
  return modes;
}

ProfileWriter::ProfileWriter(std::ostream& out, std::vector<std::string> metric_columns)
    : out_(out), metrics_(std::move(metric_columns)) {}

std::vector<std::string> ProfileWriter::columns(const std::vector<std::string>& metric_columns) {
  std::vector<std::string> cols = {"device",  "workload", "task",    "batch_size", "cores",
                                   "cpu_mhz", "gpu_mhz",  "emc_mhz", "time_ms",    "power_w",
                                   "energy_j", "time_sd_ms", "power_sd_w", "samples", "provenance", "board"};
  cols.insert(cols.end(), metric_columns.begin(), metric_columns.end());
  return cols;
}

void ProfileWriter::write_header() {
  util::CsvWriter(out_).row(columns(metrics_));
  out_.flush();
}

void ProfileWriter::write(const ProfileRow& r) {
  std::vector<std::string> f = {r.device,
                                r.workload,
                                r.task,
                                r.batch_size ? std::to_string(r.batch_size) : "",
                                std::to_string(r.mode.cores),
                                format_number(r.mode.cpu_mhz),
                                format_number(r.mode.gpu_mhz),
                                format_number(r.mode.emc_mhz),
                                format_number(r.time_ms),
                                format_number(r.power_w),
                                format_number(r.energy_or_derived_j()),
                                format_number(r.time_sd_ms),
                                format_number(r.power_sd_w),
                                r.samples ? std::to_string(r.samples) : "",
                                r.provenance,
                                r.board};
  for (const auto& m : metrics_) {
    auto it = r.metrics.find(m);
    f.push_back(it == r.metrics.end() ? "" : format_number(it->second));
  }
  util::CsvWriter(out_).row(f);
  out_.flush();
}

void write_profile_csv(std::ostream& out, const std::vector<ProfileRow>& rows) {
  ProfileWriter w(out);
  w.write_header();
  for (const auto& r : rows) w.write(r);
}

void write_profile_csv_file(const std::string& path, const std::vector<ProfileRow>& rows) {
  std::ofstream out(path);
  if (!out) throw Error("cannot write '{}': {}", path, std::strerror(errno));
  write_profile_csv(out, rows);
  if (!out) throw Error("cannot write '{}': {}", path, std::strerror(errno));
}

}  // namespace modewise::profile
