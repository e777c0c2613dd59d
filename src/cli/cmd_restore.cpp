// modewise restore: put back the power-mode state saved by `modewise apply` or a profiling run that did not restore
// it (crash, kill -9, power loss before it could).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "modewise/control/board.h"
#include "modewise/control/mode_controller.h"
#include "modewise/util/error.h"

namespace modewise::cli {
namespace {

struct RestoreOptions {
  std::string state_dir;
  bool force = false, dry_run = false;
};

void run_restore(const RestoreOptions& o, const GlobalOptions& g) {
  telemetry::SysfsRoot root(g.sysfs_root);
  control::StateStore store(o.state_dir, root.root());
  auto saved = store.load();
  if (!saved) {
    info(fmt::format("nothing to restore: no saved state for {} in {}", root.root(), store.dir()));
    return;
  }
  control::JetsonBoard board = control::discover_board(root);
  if (o.dry_run) {
    control::KnobState now = control::read_knobs(root, board);
    if (now.cores.size() != saved->state.cores.size() || now.clocks.size() != saved->state.clocks.size())
      throw Error("{}: the saved state does not match this board (written for another board?)", store.path());
    auto writes = control::plan_transition(now, saved->state);
    info(fmt::format("dry run: restoring the state saved by process {} at {} takes {} write(s)", saved->pid,
                     saved->created_utc, writes.size()));
    for (const auto& w : writes) std::cout << fmt::format("echo {} > {}    # {}\n", w.value, root.host_path(w.file), w.what);
    return;
  }
  control::ControlOptions co;
  co.sysfs_root = g.sysfs_root;
  co.state_dir = o.state_dir;
  auto writes = control::ModeController::restore_saved(board, co, o.force);
  info(fmt::format("restored the power mode saved by process {} at {} ({} writes)", saved->pid, saved->created_utc,
                   writes ? writes->size() : 0));
}

Registrar reg(71, "restore", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<RestoreOptions>();
  auto* cmd = app.add_subcommand("restore", "Restore the power-mode state saved before modewise changed it (root)");
  cmd->add_option("--state-dir", o->state_dir, "Where the state was saved (default as for `apply`)");
  cmd->add_flag("--force", o->force, "Restore even though the modewise process that saved it is still running");
  cmd->add_flag("--dry-run", o->dry_run, "Print the writes without writing");
  cmd->callback([o, &g] { run_restore(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
