// Hardware files under an injected root. Every path modewise reads or writes on a board ("/sys/...",
// "/proc/device-tree/model", "/etc/nv_tegra_release") is written as on the board and resolved under the root
// (`--sysfs-root DIR`, default "/"), so tests run against fake trees. Symbolic links are followed inside the root:
// an absolute link target is re-rooted, a relative one resolved as usual, so a fake tree behaves like /sys.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace modewise::telemetry {

class SysfsRoot {
 public:
  explicit SysfsRoot(std::string root = "/");
  const std::string& root() const { return root_; }
  bool is_real_root() const { return root_ == "/"; }

  // The host path of a board path: "/sys/x" under root "/tmp/fake" is "/tmp/fake/sys/x".
  std::string host_path(std::string_view board_path) const;
  // The board path of a host path under the root (inverse of host_path).
  std::string board_path(std::string_view host_path) const;
  // Follow symbolic links component by component, keeping absolute targets inside the root. Returns the board
  // path of the target (e.g. "/sys/devices/17000000.gpu/devfreq/17000000.gpu"), or nullopt when it does not exist.
  std::optional<std::string> resolve(std::string_view board_path) const;

  bool exists(std::string_view board_path) const;
  bool is_dir(std::string_view board_path) const;
  // Names in a directory, sorted; empty when it does not exist.
  std::vector<std::string> list(std::string_view board_path) const;

  // Whole file with surrounding whitespace and NUL bytes trimmed (device-tree strings end in NUL).
  // read_text throws Error("cannot read '<host path>': <reason>"); try_read returns nullopt instead.
  std::string read_text(std::string_view board_path) const;
  std::optional<std::string> try_read(std::string_view board_path) const;
  // One integer (e.g. a frequency in kHz or Hz). Throws Error naming the file and the text found.
  long long read_int(std::string_view board_path) const;
  std::optional<long long> try_read_int(std::string_view board_path) const;

  // Write a value the way `echo VALUE > FILE` does (no truncation issues: one write of the whole text).
  // Throws Error naming the file and the reason (permission denied: run as root).
  void write_text(std::string_view board_path, std::string_view value) const;
  // Whether the current process may write the file (access(W_OK)).
  bool writable(std::string_view board_path) const;

 private:
  // The host path to open: under a fake root, links are resolved first so absolute targets stay inside it.
  std::string io_path(std::string_view board_path) const;
  std::string root_;
};

// "204000 408000 665600 (kHz)" or "0-3" style helpers shared by discovery and fuzz tests. Both throw Error
// naming `context` for text that does not fit.
std::vector<long long> parse_int_table(std::string_view text, std::string_view context);
// CPU lists as the kernel prints them: "0-3,6 8" -> {0,1,2,3,6,8}. Ids above 4095 are rejected.
std::vector<int> parse_cpu_list(std::string_view text, std::string_view context);

}  // namespace modewise::telemetry
