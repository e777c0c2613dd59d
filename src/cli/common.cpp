#include "cli/common.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "modewise/util/error.h"

namespace modewise::cli {

Output::Output(const std::string& path) {
  if (path.empty() || path == "-") return;
  file_ = std::make_unique<std::ofstream>(path);
  if (!*file_) throw Error("cannot write '{}': {}", path, std::strerror(errno));
}

std::string provenance_label(device::Provenance p, const std::string& name) {
  switch (p) {
    case device::Provenance::emulated: return fmt::format("emulated ({}), not measured", name);
    case device::Provenance::replayed: return fmt::format("replayed from a recorded profile ({})", name);
    case device::Provenance::measured: return fmt::format("measured ({})", name);
  }
  return name;
}

void note_provenance(const device::Backend& b) {
  if (b.provenance() != device::Provenance::measured)
    fmt::print(stderr, "modewise: note: numbers below are {}\n", provenance_label(b.provenance(), b.name()));
}

std::string default_db_path() {
  if (const char* env = std::getenv("MODEWISE_DB"); env && *env) return env;
  const char* xdg = std::getenv("XDG_DATA_HOME");
  const char* home = std::getenv("HOME");
  std::filesystem::path dir = xdg && *xdg ? std::filesystem::path(xdg) / "modewise"
                                          : std::filesystem::path(home ? home : ".") / ".local/share/modewise";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error("cannot create the store directory '{}': {} (use --db PATH)", dir.string(), ec.message());
  return (dir / "modewise.db").string();
}

std::string db_path_or_default(const std::string& db) { return db.empty() ? default_db_path() : db; }

void info(const std::string& msg) { fmt::print(stderr, "modewise: {}\n", msg); }
void warn(const std::string& msg) { fmt::print(stderr, "modewise: warning: {}\n", msg); }

}  // namespace modewise::cli
