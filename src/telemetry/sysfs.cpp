#include "modewise/telemetry/sysfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace fs = std::filesystem;

namespace modewise::telemetry {

namespace {

std::string trim_value(std::string_view s) {
  size_t b = 0, e = s.size();
  auto junk = [](char c) { return c == '\0' || std::isspace(static_cast<unsigned char>(c)); };
  while (b < e && junk(s[b])) ++b;
  while (e > b && junk(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

// Split a board path into its non-empty components, dropping "." entries.
std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> out;
  for (auto& part : util::split(path, '/'))
    if (!part.empty() && part != ".") out.push_back(part);
  return out;
}

std::string join_board(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

}  // namespace

SysfsRoot::SysfsRoot(std::string root) : root_(std::move(root)) {
  if (root_.empty()) root_.push_back('/');
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string SysfsRoot::host_path(std::string_view board_path) const {
  std::string p(board_path);
  if (p.empty() || p[0] != '/') p = "/" + p;
  if (root_ == "/") return p;
  return root_ + p;
}

std::string SysfsRoot::board_path(std::string_view host) const {
  if (root_ == "/") return std::string(host);
  if (util::starts_with(host, root_) && (host.size() == root_.size() || host[root_.size()] == '/'))
    return host.size() == root_.size() ? "/" : std::string(host.substr(root_.size()));
  return std::string(host);
}

std::optional<std::string> SysfsRoot::resolve(std::string_view board_path) const {
  std::vector<std::string> todo = components(board_path);
  std::reverse(todo.begin(), todo.end());  // a stack: back() is the next component
  std::vector<std::string> done;
  int links = 0;
  while (!todo.empty()) {
    std::string part = todo.back();
    todo.pop_back();
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(part);
    std::string host = host_path(join_board(done));
    std::error_code ec;
    auto st = fs::symlink_status(host, ec);
    if (ec || !fs::exists(st)) return std::nullopt;
    if (!fs::is_symlink(st)) continue;
    if (++links > 40) return std::nullopt;  // a loop
    std::string target = fs::read_symlink(host, ec).string();
    if (ec) return std::nullopt;
    done.pop_back();
    if (!target.empty() && target[0] == '/') done.clear();
    auto more = components(target);
    for (auto it = more.rbegin(); it != more.rend(); ++it) todo.push_back(*it);
  }
  return join_board(done);
}

std::string SysfsRoot::io_path(std::string_view board_path) const {
  if (root_ == "/") return host_path(board_path);
  auto resolved = resolve(board_path);
  return host_path(resolved ? std::string_view(*resolved) : board_path);
}

bool SysfsRoot::exists(std::string_view board_path) const {
  std::error_code ec;
  return fs::exists(io_path(board_path), ec);
}

bool SysfsRoot::is_dir(std::string_view board_path) const {
  std::error_code ec;
  return fs::is_directory(io_path(board_path), ec);
}

std::vector<std::string> SysfsRoot::list(std::string_view board_path) const {
  std::vector<std::string> out;
  std::error_code ec;
  fs::directory_iterator it(io_path(board_path), ec);
  if (ec) return out;
  for (const auto& entry : it) out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> SysfsRoot::try_read(std::string_view board_path) const {
  std::string host = io_path(board_path);
  int fd = ::open(host.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string data;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > (1u << 20)) break;  // sysfs attributes are small; never read a huge file whole
  }
  ::close(fd);
  return trim_value(data);
}

std::string SysfsRoot::read_text(std::string_view board_path) const {
  if (auto v = try_read(board_path)) return *v;
  throw Error("cannot read '{}': {}", host_path(board_path), std::strerror(errno));
}

long long SysfsRoot::read_int(std::string_view board_path) const {
  std::string text = read_text(board_path);
  return util::parse_int(text, host_path(board_path), "an integer");
}

std::optional<long long> SysfsRoot::try_read_int(std::string_view board_path) const {
  auto text = try_read(board_path);
  if (!text) return std::nullopt;
  try {
    return util::parse_int(*text, board_path);
  } catch (const Error&) {
    return std::nullopt;
  }
}

namespace {

// A regular file on an ordinary file system (a fake tree), as opposed to a kernel attribute (sysfs, procfs, debugfs),
// whose writes are single store() calls.
bool is_plain_file(const std::string& host) {
  struct stat st {};
  struct statfs fs {};
  if (::stat(host.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || ::statfs(host.c_str(), &fs) != 0) return false;
  constexpr long kSysfs = 0x62656572, kProc = 0x9fa0, kDebugfs = 0x64626720, kTracefs = 0x74726163;
  long type = static_cast<long>(fs.f_type);
  return type != kSysfs && type != kProc && type != kDebugfs && type != kTracefs;
}

}  // namespace

void SysfsRoot::write_text(std::string_view board_path, std::string_view value) const {
  std::string host = io_path(board_path);
  if (is_plain_file(host) && ::access(host.c_str(), W_OK) == 0) {
    // A fake tree: replace the file atomically, so a process killed mid-write leaves the old or the new value, as a
    // kernel attribute would (never an empty file).
    std::string tmp = host + ".modewise-tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << value << "\n";
      if (!out) throw Error("cannot write '{}': {}", host, std::strerror(errno));
    }
    if (::rename(tmp.c_str(), host.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      throw Error("cannot write '{}': {}", host, std::strerror(err));
    }
    return;
  }
  int fd = ::open(host.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == EACCES || err == EPERM)
      throw Error("cannot write '{}': permission denied (changing power modes needs root: run with sudo)", host);
    throw Error("cannot write '{}': {}", host, std::strerror(err));
  }
  std::string text(value);
  text += "\n";
  ssize_t n;
  do {
    n = ::write(fd, text.data(), text.size());
  } while (n < 0 && errno == EINTR);
  int err = errno;
  ::close(fd);
  if (n < 0) throw Error("cannot write '{}' to '{}': {}", value, host, std::strerror(err));
  if (static_cast<size_t>(n) != text.size()) throw Error("short write of '{}' to '{}'", value, host);
}

bool SysfsRoot::writable(std::string_view board_path) const {
  return ::access(io_path(board_path).c_str(), W_OK) == 0;
}

std::vector<long long> parse_int_table(std::string_view text, std::string_view context) {
  std::vector<long long> out;
  std::string normalized(text);
  for (char& c : normalized)
    if (c == ',' || c == '\t' || c == '\n' || c == '\r') c = ' ';
  for (const auto& raw : util::split(normalized, ' ')) {
    std::string tok = util::trim(raw);
    if (tok.empty() || tok == "(kHz)" || tok == "(Hz)" || tok == "kHz" || tok == "Hz") continue;
    out.push_back(util::parse_int(tok, context, "a list of integers (frequencies)"));
  }
  return out;
}

std::vector<int> parse_cpu_list(std::string_view text, std::string_view context) {
  std::vector<int> out;
  std::string normalized(text);
  for (char& c : normalized)
    if (c == ' ' || c == '\t' || c == '\n') c = ',';
  for (const auto& raw : util::split(normalized, ',')) {
    std::string item = util::trim(raw);
    if (item.empty()) continue;
    auto dash = item.find('-');
    long long lo, hi;
    if (dash == std::string::npos) {
      lo = hi = util::parse_int(item, context, "a CPU list such as 0-3,6");
    } else {
      lo = util::parse_int(item.substr(0, dash), context, "a CPU list such as 0-3,6");
      hi = util::parse_int(item.substr(dash + 1), context, "a CPU list such as 0-3,6");
    }
    if (lo < 0 || hi < lo || hi > 4095) throw Error("{}: expected a CPU list such as 0-3,6, found '{}'", context, item);
    for (long long c = lo; c <= hi; ++c) out.push_back(static_cast<int>(c));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace modewise::telemetry
