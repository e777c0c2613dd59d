#include "modewise/control/mode_controller.h"

#include <unistd.h>

#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "modewise/util/error.h"

namespace modewise::control {

namespace {

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Write `saved` back (safe order); the state file is removed only after every write succeeded.
std::vector<KnobWrite> write_back(const telemetry::SysfsRoot& root, const JetsonBoard& board,
                                  const KnobState& saved) {
  KnobState now = read_knobs(root, board);
  if (now.cores.size() != saved.cores.size() || now.clocks.size() != saved.clocks.size())
    throw Error("the saved state does not match this board ({} cores / {} clocks saved, {} / {} now); "
                "was the state file written for another board?",
                saved.cores.size(), saved.clocks.size(), now.cores.size(), now.clocks.size());
  // The saved file paths are authoritative (the state file was checked to name only /sys paths).
  for (size_t i = 0; i < now.cores.size(); ++i) now.cores[i].file = saved.cores[i].file;
  for (size_t i = 0; i < now.clocks.size(); ++i) {
    now.clocks[i].min_file = saved.clocks[i].min_file;
    now.clocks[i].max_file = saved.clocks[i].max_file;
  }
  auto writes = plan_transition(now, saved);
  check_writable(root, writes);
  execute_writes(root, writes);
  return writes;
}

}  // namespace

ModeController::ModeController(JetsonBoard board, ControlOptions options)
    : board_(std::move(board)),
      options_(std::move(options)),
      root_(options_.sysfs_root),
      store_(options_.state_dir, root_.root()) {
  recover_stale();
}

ModeController::~ModeController() {
  try {
    restore();
  } catch (const std::exception& e) {
    log(fmt::format("warning: could not restore the previous power mode: {} (the state file {} is kept; run "
                    "`modewise restore`)",
                    e.what(), store_.path()));
  }
}

void ModeController::log(const std::string& msg) const {
  if (options_.log) options_.log(msg);
}

void ModeController::recover_stale() {
  auto saved = store_.load();
  if (!saved) return;
  if (saved->kept) {
    kept_ = saved;
    log(fmt::format("the board is at mode {}, set by `modewise apply --keep` at {}; `modewise restore` returns to the "
                    "state before it (state file {})",
                    saved->applied_mode, saved->created_utc, store_.path()));
    return;
  }
  if (saved->pid != ::getpid() && process_alive(saved->pid, saved->pid_start_ticks))
    throw Error("the power mode of this board is held by modewise process {} (since {}, mode {}); stop it first, or "
                "run `modewise restore --force` if it is stuck (state file {})",
                saved->pid, saved->created_utc, saved->applied_mode, store_.path());
  log(fmt::format("restoring the power mode saved by modewise process {} at {}, which is no longer running "
                  "(state file {})",
                  saved->pid, saved->created_utc, store_.path()));
  write_back(root_, board_, saved->state);
  store_.remove();
}

KnobState ModeController::current_state() const { return read_knobs(root_, board_); }

device::PowerMode ModeController::current_mode() const { return mode_of(board_, current_state()); }

std::vector<KnobWrite> ModeController::plan(const device::PowerMode& mode) const {
  ResolvedMode r = resolve(mode);
  KnobState now = current_state();
  return plan_transition(now, target_state(board_, now, r));
}

std::vector<KnobWrite> ModeController::apply(const device::PowerMode& mode) {
  ResolvedMode r = resolve(mode);
  KnobState now = current_state();
  auto writes = plan_transition(now, target_state(board_, now, r));
  if (!saved_) {
    // Everything restore() would write must be writable too, so check the union before saving anything.
    check_writable(root_, writes);
    check_writable(root_, plan_transition(target_state(board_, now, r), now));
    SavedState s;
    s.pid = ::getpid();
    s.pid_start_ticks = process_start_ticks(s.pid);
    s.sysfs_root = root_.root();
    s.created_utc = now_utc();
    s.applied_mode = r.mode.key();
    s.state = now;
    if (!kept_) store_.save(s);  // on a kept state, the file keeps the state from before the first --keep
    saved_ = s;
    saved_in_file_ = !kept_;
  } else {
    check_writable(root_, writes);
  }
  execute_writes(root_, writes);
  return writes;
}

std::vector<KnobWrite> ModeController::restore() {
  if (!saved_) return {};
  auto writes = write_back(root_, board_, saved_->state);
  if (saved_in_file_) store_.remove();
  saved_.reset();
  return writes;
}

void ModeController::keep() {
  if (!saved_) throw Error("nothing to keep: no power mode was applied");
  SavedState s = kept_ ? *kept_ : *saved_;
  s.kept = true;
  s.applied_mode = mode_of(board_, current_state()).key();
  store_.save(s);
  kept_ = s;
  saved_.reset();
  saved_in_file_ = false;
}

std::optional<std::vector<KnobWrite>> ModeController::restore_saved(const JetsonBoard& board,
                                                                    const ControlOptions& options, bool force) {
  telemetry::SysfsRoot root(options.sysfs_root);
  StateStore store(options.state_dir, root.root());
  auto saved = store.load();
  if (!saved) return std::nullopt;
  if (!force && !saved->kept && saved->pid != ::getpid() && process_alive(saved->pid, saved->pid_start_ticks))
    throw Error("the power mode is held by running modewise process {} (since {}), which restores it when it exits; "
                "use --force to restore now anyway",
                saved->pid, saved->created_utc);
  auto writes = write_back(root, board, saved->state);
  store.remove();
  return writes;
}

}  // namespace modewise::control
