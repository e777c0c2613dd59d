#include "cli/common.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "modewise/profile/replay.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::cli {

Output::Output(const std::string& path) {
  if (path.empty() || path == "-") return;
  file_ = std::make_unique<util::AtomicFile>(path);
}

void Output::commit() {
  if (file_) {
    file_->commit();
  } else {
    std::cout.flush();
    if (!std::cout) throw Error("cannot write to stdout");
  }
}

std::string provenance_label(device::Provenance p, const std::string& name) {
  switch (p) {
    case device::Provenance::emulated: return fmt::format("emulated ({}), not measured", name);
    case device::Provenance::replayed: return fmt::format("replayed from a recorded profile ({})", name);
    case device::Provenance::measured: return fmt::format("measured ({})", name);
  }
  return name;
}

std::string provenance_label(const device::Backend& b) {
  if (b.provenance() == device::Provenance::replayed)  // keep the origin of what was recorded
    return fmt::format("{} ({})", profile::describe_provenance(profile::provenance_of(b)), b.name());
  return provenance_label(b.provenance(), b.name());
}

void note_provenance(const device::Backend& b) {
  if (b.provenance() == device::Provenance::measured) return;
  fmt::print(stderr, "modewise: note: numbers below are {}\n", provenance_label(b));
}

namespace {
std::filesystem::path default_db_dir() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  const char* home = std::getenv("HOME");
  return xdg && *xdg ? std::filesystem::path(xdg) / "modewise"
                     : std::filesystem::path(home ? home : ".") / ".local/share/modewise";
}
}  // namespace

std::string db_path_for_reading(const std::string& db) {
  if (!db.empty()) return db;
  if (const char* env = std::getenv("MODEWISE_DB"); env && *env) return env;
  return (default_db_dir() / "modewise.db").string();
}

std::string default_db_path() {
  if (const char* env = std::getenv("MODEWISE_DB"); env && *env) return env;
  std::filesystem::path dir = default_db_dir();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error("cannot create the store directory '{}': {} (use --db PATH)", dir.string(), ec.message());
  return (dir / "modewise.db").string();
}

std::string db_path_or_default(const std::string& db) { return db.empty() ? default_db_path() : db; }

double check_finite(double v, std::string_view flag) {
  if (!std::isfinite(v)) throw UsageError("{}: expected a finite number, found {}", flag, v);
  return v;
}

double check_non_negative(double v, std::string_view flag) {
  if (!std::isfinite(v) || v < 0) throw UsageError("{}: expected a finite number >= 0, found {}", flag, v);
  return v;
}

double check_positive(double v, std::string_view flag) {
  if (!std::isfinite(v) || v <= 0) throw UsageError("{}: expected a finite number > 0, found {}", flag, v);
  return v;
}

double check_range(double v, std::string_view flag, double lo, double hi) {
  if (!std::isfinite(v) || v < lo || v > hi)
    throw UsageError("{}: expected a number from {} to {}, found {}", flag, util::format_number(lo),
                     util::format_number(hi), v);
  return v;
}

long long check_int_range(long long v, std::string_view flag, long long lo, long long hi) {
  if (v < lo || v > hi) throw UsageError("{}: expected a whole number from {} to {}, found {}", flag, lo, hi, v);
  return v;
}

double parse_non_negative(std::string_view text, std::string_view flag) {
  double v = 0;
  try {
    v = util::parse_double(text, flag, "a finite number >= 0");
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
  return check_non_negative(v, flag);
}

std::vector<int> parse_int_list_arg(std::string_view text, std::string_view flag, int lo, int hi) {
  std::vector<int> out;
  for (const auto& item : util::split(text, ',')) {
    long long v = 0;
    try {
      v = util::parse_int(item, flag, "a comma-separated list of whole numbers");
    } catch (const Error& e) {
      throw UsageError(e.what());
    }
    out.push_back(static_cast<int>(check_int_range(v, flag, lo, hi)));
  }
  return out;
}

namespace {

// The number CLI11 would read from `text` (strtold over the whole text), or nullopt when it is no number.
std::optional<long double> cli_number(const std::string& text) {
  std::string t = util::trim(text);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long double v = std::strtold(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return std::nullopt;
  if (errno == ERANGE && std::fabs(static_cast<double>(v)) > 1) return HUGE_VALL;  // overflow
  return v;
}

CLI::Validator number_check(std::string desc, std::function<bool(long double)> ok, std::string expected) {
  return CLI::Validator(
      [ok, expected](std::string& text) -> std::string {
        auto v = cli_number(text);
        if (!v) return "";  // not a number at all: CLI11's own conversion reports it
        if (!std::isfinite(static_cast<double>(*v)) || !std::isfinite(*v) ||
            std::fabs(*v) > std::numeric_limits<double>::max() || !ok(*v))
          return fmt::format("expected {}, found '{}'", expected, util::trim(text));
        return "";
      },
      std::move(desc));
}

}  // namespace

CLI::Validator finite_number_validator() {
  return number_check("", [](long double) { return true; }, "a finite number");
}
CLI::Validator non_negative_number() {
  return number_check("NUMBER>=0", [](long double v) { return v >= 0; }, "a finite number >= 0");
}
CLI::Validator positive_number() {
  return number_check("NUMBER>0", [](long double v) { return v > 0; }, "a finite number > 0");
}

void info(const std::string& msg) { fmt::print(stderr, "modewise: {}\n", msg); }
void warn(const std::string& msg) { fmt::print(stderr, "modewise: warning: {}\n", msg); }

}  // namespace modewise::cli
