#include "modewise/profile/board_id.h"

#include <unistd.h>

#include <cctype>
#include <fstream>
#include <iterator>

#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::profile {

namespace {

bool valid_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == ':' || c == '@';
}

// The file's text up to the first NUL, trimmed; "" when unreadable or not a printable name.
std::string read_serial(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (auto nul = text.find('\0'); nul != std::string::npos) text.resize(nul);
  text = util::trim(text);
  if (text.empty() || text.size() > 128) return "";
  for (char c : text)
    if (!valid_name_char(c)) return "";
  return text;
}

}  // namespace

const char* const* serial_number_files() {
  static const char* const files[] = {"proc/device-tree/serial-number", "sys/firmware/devicetree/base/serial-number",
                                      nullptr};
  return files;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "unknown-host";
  return buf;
}

BoardIdentity board_identity(const std::string& override_name, const std::string& sysfs_root, bool measured) {
  if (!override_name.empty()) {
    std::string name = util::trim(override_name);
    if (name.empty() || name.size() > 128)
      throw UsageError("--board '{}': expected a board name of 1 to 128 characters", override_name);
    for (char c : name)
      if (!valid_name_char(c))
        throw UsageError("--board '{}': expected letters, digits and . _ - : @ only, found '{}'", override_name, c);
    return {name, "--board"};
  }
  if (measured) {
    std::string root = sysfs_root.empty() ? "/" : sysfs_root;
    if (root.back() != '/') root += '/';
    for (const char* const* f = serial_number_files(); *f; ++f) {
      std::string path = root + *f;
      if (std::string serial = read_serial(path); !serial.empty()) return {serial, path};
    }
  }
  return {host_name(), "hostname"};
}

}  // namespace modewise::profile
