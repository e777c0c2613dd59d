#include "modewise/control/state_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace fs = std::filesystem;

namespace modewise::control {

namespace {

std::string root_hash(const std::string& root) {
  std::error_code ec;
  std::string canon = fs::weakly_canonical(root, ec).string();
  if (ec || canon.empty()) canon = root;
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : canon) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

// Fields of /proc/<pid>/stat after the "(comm)" (which may contain spaces): [0] = state, [19] = starttime.
std::vector<std::string> stat_fields(int pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (!in.good() && text.empty()) return {};
  if (close == std::string::npos) return {};
  std::istringstream rest(text.substr(close + 1));
  std::vector<std::string> out;
  std::string f;
  while (rest >> f) out.push_back(f);
  return out;
}

}  // namespace

long long process_start_ticks(int pid) {
  auto f = stat_fields(pid);
  if (f.size() < 20) return -1;
  try {
    return util::parse_int(f[19], "/proc/stat");
  } catch (const Error&) {
    return -1;
  }
}

bool process_alive(int pid, long long start_ticks) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  auto f = stat_fields(pid);
  if (!f.empty() && (f[0] == "Z" || f[0] == "X")) return false;
  if (start_ticks >= 0 && f.size() >= 20 && f[19] != std::to_string(start_ticks)) return false;  // PID reused
  return true;
}

std::string format_saved_state(const SavedState& s) {
  nlohmann::json j{{"format", "modewise-state"},
                   {"version", 1},
                   {"pid", s.pid},
                   {"pid_start_ticks", s.pid_start_ticks},
                   {"sysfs_root", s.sysfs_root},
                   {"created_utc", s.created_utc},
                   {"applied_mode", s.applied_mode},
                   {"kept", s.kept},
                   {"state", to_json(s.state)}};
  return j.dump(2) + "\n";
}

SavedState parse_saved_state(std::string_view text, const std::string& source) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    throw Error("{}: not a modewise state file (not valid JSON); if no modewise process is running, delete it", source);
  auto fail = [&](const std::string& field, const std::string& expected) {
    return Error("{}: field '{}': expected {}", source, field, expected);
  };
  if (!j.is_object() || !j.contains("format") || j["format"] != "modewise-state")
    throw fail("format", "\"modewise-state\"");
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<long long>() != 1)
    throw fail("version", "1 (written by a different modewise version?)");
  SavedState s;
  if (!j.contains("pid") || !j["pid"].is_number_integer()) throw fail("pid", "an integer");
  long long pid = j["pid"].get<long long>();
  if (pid < 0 || pid > 1 << 30) throw fail("pid", "a process id");
  s.pid = static_cast<int>(pid);
  if (j.contains("pid_start_ticks")) {
    if (!j["pid_start_ticks"].is_number_integer()) throw fail("pid_start_ticks", "an integer");
    s.pid_start_ticks = j["pid_start_ticks"].get<long long>();
  }
  for (auto [key, field] : {std::pair{"sysfs_root", &s.sysfs_root}, std::pair{"created_utc", &s.created_utc},
                            std::pair{"applied_mode", &s.applied_mode}}) {
    if (!j.contains(key) || !j[key].is_string()) throw fail(key, "a string");
    *field = j[key].get<std::string>();
  }
  if (j.contains("kept")) {
    if (!j["kept"].is_boolean()) throw fail("kept", "true or false");
    s.kept = j["kept"].get<bool>();
  }
  if (!j.contains("state")) throw fail("state", "the saved knob values");
  s.state = knob_state_from_json(j["state"], source);
  return s;
}

StateStore::StateStore(std::string dir, std::string sysfs_root)
    : dir_(dir.empty() ? default_dir() : std::move(dir)), sysfs_root_(std::move(sysfs_root)) {}

std::string StateStore::default_dir() {
  if (const char* env = std::getenv("MODEWISE_STATE_DIR"); env && *env) return env;
  if (::geteuid() == 0) return "/var/lib/modewise";
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) return std::string(xdg) + "/modewise";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/state/modewise";
}

std::string StateStore::path() const { return dir_ + "/state-" + root_hash(sysfs_root_) + ".json"; }

std::optional<SavedState> StateStore::load() const {
  std::string p = path();
  std::error_code ec;
  if (!fs::exists(p, ec)) return std::nullopt;
  return parse_saved_state(util::read_text_file(p), p);
}

void StateStore::save(const SavedState& s) const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw Error("cannot create the state directory '{}': {} (set MODEWISE_STATE_DIR or --state-dir)", dir_, ec.message());
  ::chmod(dir_.c_str(), 0700);
  std::string final_path = path();
  std::string tmp = final_path + ".tmp." + std::to_string(::getpid());
  std::string text = format_saved_state(s);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Error("cannot write the state file '{}': {}", tmp, std::strerror(errno));
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error("cannot write the state file '{}': {}", tmp, std::strerror(err));
    }
    off += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw Error("cannot move the state file into place '{}': {}", final_path, std::strerror(err));
  }
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void StateStore::remove() const {
  std::error_code ec;
  fs::remove(path(), ec);
}

}  // namespace modewise::control
