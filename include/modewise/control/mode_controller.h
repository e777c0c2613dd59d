// Applying power modes safely. A ModeController:
//   - on construction, finds a state file left by a process that is gone (a crash, kill -9) and restores it;
//     refuses when a live modewise process holds the board;
//   - on the first apply(), checks that every file is writable (else: a clear "needs root" error, nothing written),
//     saves the current state to the state file, then writes in the safe order (knobs.h) and reads back each value;
//   - restores the saved state on restore(), and in its destructor (normal exit, exceptions, Interrupted);
//   - keep() (`apply --keep`) instead leaves the mode set and marks the state file "kept": the prior state stays
//     saved for `modewise restore`, and no later start treats it as a crash. A controller that starts on a kept state
//     leaves it alone: what it applies it restores to the kept mode, and the file keeps the state from before the
//     first --keep (a later --keep updates only the mode it names).
// Signals are handled by the caller with a SignalCatcher (signals.h): the flag is checked in the main flow, which
// then lets the controller go out of scope, so the restore never runs inside a signal handler.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "modewise/control/board.h"
#include "modewise/control/knobs.h"
#include "modewise/control/state_file.h"
#include "modewise/device/power_mode.h"

namespace modewise::control {

struct ControlOptions {
  std::string sysfs_root = "/";
  std::string state_dir;                          // "" = StateStore::default_dir()
  std::function<void(const std::string&)> log;    // diagnostics (the CLI prints them on stderr)
};

class ModeController {
 public:
  ModeController(JetsonBoard board, ControlOptions options);
  ~ModeController();
  ModeController(const ModeController&) = delete;
  ModeController& operator=(const ModeController&) = delete;

  const JetsonBoard& board() const { return board_; }
  const StateStore& store() const { return store_; }
  ResolvedMode resolve(const device::PowerMode& mode) const { return resolve_mode(board_, mode); }
  // The writes apply(mode) would do now, in order (for --dry-run).
  std::vector<KnobWrite> plan(const device::PowerMode& mode) const;
  // Returns the writes done. Throws Error for a mode the board lacks or a file it cannot write.
  std::vector<KnobWrite> apply(const device::PowerMode& mode);
  // Back to the state saved before the first apply(); removes the state file. No-op when nothing was applied.
  std::vector<KnobWrite> restore();
  // Leave the applied mode set and keep the prior state saved (state file marked "kept"); nothing is restored on
  // destruction. Throws Error when nothing was applied.
  void keep();
  bool holds_state() const { return saved_.has_value(); }
  // The kept state this controller found at start (left by `apply --keep`), if any.
  const std::optional<SavedState>& kept_state() const { return kept_; }
  KnobState current_state() const;
  device::PowerMode current_mode() const;

  // `modewise restore`: restore whatever state file exists for this root. A live owner is refused unless `force`.
  // Returns the writes done, or nullopt when there was no state file.
  static std::optional<std::vector<KnobWrite>> restore_saved(const JetsonBoard& board, const ControlOptions& options,
                                                             bool force);

 private:
  void log(const std::string& msg) const;
  void recover_stale();

  JetsonBoard board_;
  ControlOptions options_;
  telemetry::SysfsRoot root_;
  StateStore store_;
  std::optional<SavedState> saved_;  // what restore() writes back
  bool saved_in_file_ = false;       // saved_ is the state file's content (false: on top of a kept state)
  std::optional<SavedState> kept_;   // a kept state file found at start
};

}  // namespace modewise::control
