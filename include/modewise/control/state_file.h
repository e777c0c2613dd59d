// The state file: what the board looked like before modewise's first write, so it can be put back on normal exit,
// on SIGINT/SIGTERM, by `modewise restore`, and at the next start after a crash (a state file whose process is
// gone). One file per sysfs root ("state-<hash of the root>.json") in the state directory:
//   $MODEWISE_STATE_DIR, else /var/lib/modewise when running as root, else $XDG_STATE_HOME/modewise
//   (~/.local/state/modewise). Never a fixed /tmp path. Written atomically (temporary file, fsync, rename), mode 0600.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "modewise/control/knobs.h"

namespace modewise::control {

struct SavedState {
  int pid = 0;                      // the process that saved it
  long long pid_start_ticks = -1;   // its start time (/proc/<pid>/stat field 22), against PID reuse; -1 unknown
  std::string sysfs_root;
  std::string created_utc;          // ISO 8601
  std::string applied_mode;         // the mode it set (PowerMode::key()), for messages
  KnobState state;                  // the values to restore
  // Left on purpose by `apply --keep`: not a crash. Nothing restores it automatically; `modewise restore` does (also
  // after a reboot: the file lives in the state directory, and the values are plain sysfs writes).
  bool kept = false;
};

std::string format_saved_state(const SavedState& s);
// Throws Error naming `source` and the field (a corrupt or tampered file is refused: paths must be under /sys).
SavedState parse_saved_state(std::string_view text, const std::string& source);

class StateStore {
 public:
  StateStore(std::string dir, std::string sysfs_root);  // dir "" = default_dir()
  static std::string default_dir();
  const std::string& dir() const { return dir_; }
  std::string path() const;
  std::optional<SavedState> load() const;
  void save(const SavedState& s) const;  // creates the directory (0700); throws Error naming it
  void remove() const;

 private:
  std::string dir_;
  std::string sysfs_root_;
};

// Whether `pid` runs and is the same process (same start time when known). Zombies count as dead.
bool process_alive(int pid, long long start_ticks);
long long process_start_ticks(int pid);  // -1 when /proc/<pid>/stat is unreadable

}  // namespace modewise::control
