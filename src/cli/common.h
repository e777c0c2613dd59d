// Helpers shared by the subcommands: output files, provenance notices, backends, the default store path.
#pragma once
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "modewise/device/backend.h"
#include "modewise/device/device_spec.h"

namespace modewise::cli {

// "-" or empty: stdout. Otherwise a file opened for writing (throws Error with the reason).
class Output {
 public:
  explicit Output(const std::string& path);
  std::ostream& stream() { return file_ ? *file_ : std::cout; }
  bool is_stdout() const { return !file_; }

 private:
  std::unique_ptr<std::ofstream> file_;
};

// One line on stderr saying that the numbers that follow are emulated or replayed (nothing for measured).
void note_provenance(const device::Backend& backend);
std::string provenance_label(device::Provenance p, const std::string& backend_name);

// $MODEWISE_DB, else ~/.local/share/modewise/modewise.db (directories created).
std::string default_db_path();
std::string db_path_or_default(const std::string& db);

// stderr diagnostics
void info(const std::string& msg);
void warn(const std::string& msg);

}  // namespace modewise::cli
