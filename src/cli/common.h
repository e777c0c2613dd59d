// Helpers shared by the subcommands: output files, provenance notices, backends, the default store path.
#pragma once
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "modewise/device/backend.h"
#include "modewise/device/device_spec.h"
#include "modewise/util/atomic_file.h"

namespace modewise::cli {

// "-" or empty: stdout. Otherwise a file written atomically (util/atomic_file.h): the data goes to a temporary
// file beside it and only commit() replaces the target, so a failed run leaves an existing file untouched.
class Output {
 public:
  explicit Output(const std::string& path);
  std::ostream& stream() { return file_ ? file_->stream() : std::cout; }
  bool is_stdout() const { return !file_; }
  void commit();  // stdout: flush; a file: rename over the target (throws Error when writing failed)

 private:
  std::unique_ptr<util::AtomicFile> file_;
};

// One line on stderr saying that the numbers that follow are emulated or replayed (nothing for measured).
void note_provenance(const device::Backend& backend);
std::string provenance_label(device::Provenance p, const std::string& backend_name);
// The same for a backend; a replay keeps the recorded origin ("replayed from a recorded profile of emulated rows:
// emulated, not measured (replay:f.csv)").
std::string provenance_label(const device::Backend& backend);

// $MODEWISE_DB, else ~/.local/share/modewise/modewise.db (directories created).
std::string default_db_path();
std::string db_path_or_default(const std::string& db);
// The same path for commands that only read the store: creates no directory.
std::string db_path_for_reading(const std::string& db);

// Command-line numbers: every number given on the command line is checked for finiteness and range with these
// (UsageError, exit 2: "--flag: expected a finite number >= 0, found 'nan'"). main() also rejects nan/inf for
// every floating-point option of every command (finite_number_validator); the range checks are per option.
double check_finite(double v, std::string_view flag);
double check_non_negative(double v, std::string_view flag);  // finite and >= 0
double check_positive(double v, std::string_view flag);      // finite and > 0
double check_range(double v, std::string_view flag, double lo, double hi);  // finite and in [lo, hi]
long long check_int_range(long long v, std::string_view flag, long long lo, long long hi);
// Parse a finite number >= 0 from text (whole text, e.g. "1.5"); UsageError naming the flag otherwise.
double parse_non_negative(std::string_view text, std::string_view flag);
// "1,4,16": whole numbers each in [lo, hi]; UsageError naming the flag and the offending item otherwise.
std::vector<int> parse_int_list_arg(std::string_view text, std::string_view flag, int lo, int hi);
// CLI11 validators (UsageError-equivalent: exit 2 with the modewise: error: prefix). They reject the text of a
// number that parses as nan or +-inf (or overflows to it), or lies outside the range.
CLI::Validator finite_number_validator();
CLI::Validator non_negative_number();  // finite and >= 0
CLI::Validator positive_number();      // finite and > 0

// stderr diagnostics
void info(const std::string& msg);
void warn(const std::string& msg);

}  // namespace modewise::cli
