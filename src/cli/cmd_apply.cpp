// modewise apply: set a power mode on a real Jetson, hold it while a command runs (or until Ctrl-C / SIGTERM /
// --duration), then restore the previous state. --keep sets it and exits leaving it set (`modewise restore` puts the
// prior state back later). --dry-run prints the writes instead. The command after `--` is passed byte for byte
// (main.cpp cuts it off before CLI11 parses: GlobalOptions::passthrough).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "modewise/device/device_spec.h"
#include "modewise/control/board.h"
#include "modewise/control/mode_controller.h"
#include "modewise/control/signals.h"
#include "modewise/device/grid.h"
#include "modewise/util/error.h"

namespace modewise::cli {
namespace {

struct ApplyOptions {
  int cores = 0;
  double cpu_mhz = 0, gpu_mhz = 0, emc_mhz = 0;
  std::string named;
  bool dry_run = false, json = false, keep = false;
  double duration_s = -1;
  CLI::Option* duration_opt = nullptr;
  std::string state_dir;
};

device::PowerMode requested_mode(const ApplyOptions& o, const control::JetsonBoard& board) {
  bool explicit_values = o.cores || o.cpu_mhz || o.gpu_mhz || o.emc_mhz;
  if (!o.named.empty()) {
    if (explicit_values) throw UsageError("give either --mode NAME or --cores/--cpu-mhz/--gpu-mhz/--emc-mhz, not both");
    return device::named_mode(control::board_spec(board), o.named);
  }
  if (!(o.cores > 0 && o.cpu_mhz > 0 && o.gpu_mhz > 0 && o.emc_mhz > 0))
    throw UsageError("apply needs --cores N --cpu-mhz F --gpu-mhz F --emc-mhz F (or --mode NAME, e.g. maxn)");
  return {o.cores, o.cpu_mhz, o.gpu_mhz, o.emc_mhz};
}

void print_writes(const std::vector<control::KnobWrite>& writes, const telemetry::SysfsRoot& root, bool json,
                  const device::PowerMode& mode) {
  if (json) {
    nlohmann::json w = nlohmann::json::array();
    for (const auto& x : writes) w.push_back({{"file", root.host_path(x.file)}, {"value", x.value}, {"what", x.what}});
    nlohmann::json j{{"mode", device::mode_to_json(mode)}, {"writes", w}};
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  for (const auto& x : writes) std::cout << fmt::format("echo {} > {}    # {}\n", x.value, root.host_path(x.file), x.what);
}

// Run argv (inheriting stdout/stderr) until it exits or a signal arrives; returns its exit code (128+N if killed).
int run_held_command(const std::vector<std::string>& command) {
  std::vector<std::string> args = command;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw Error("cannot start '{}': fork failed", command[0]);
  if (pid == 0) {
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "modewise: error: cannot run '%s'\n", argv[0]);
    ::_exit(127);
  }
  int status = 0;
  bool forwarded = false;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (int sig = control::SignalCatcher::caught(); sig && !forwarded) {
      ::kill(pid, sig);  // the command gets the same signal; we restore once it is gone
      forwarded = true;
    }
    control::SignalCatcher::wait(0.05);
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

void run_apply(const ApplyOptions& o, const GlobalOptions& g) {
  const std::vector<std::string>& command = g.passthrough;
  bool timed = o.duration_opt && o.duration_opt->count() > 0;
  if (timed) check_non_negative(o.duration_s, "--duration");
  if (g.passthrough_given && command.empty())
    throw UsageError("nothing after '--': give the command to run at the mode (e.g. -- python3 train.py)");
  if (o.keep && (timed || !command.empty()))
    throw UsageError("--keep leaves the mode set and exits: it takes no command and no --duration");
  if (timed && !command.empty()) throw UsageError("give either a command after -- or --duration, not both");
  telemetry::SysfsRoot root(g.sysfs_root);
  control::JetsonBoard board = control::discover_board(root);
  device::PowerMode requested = requested_mode(o, board);
  control::ControlOptions co;
  co.sysfs_root = g.sysfs_root;
  co.state_dir = o.state_dir;
  co.log = [](const std::string& m) { info(m); };
  if (o.dry_run) {
    control::ResolvedMode r = control::resolve_mode(board, requested);
    control::KnobState now = control::read_knobs(root, board);
    auto writes = control::plan_transition(now, control::target_state(board, now, r));
    info(fmt::format("dry run: {} would take {} write(s); nothing is written", r.mode.describe(), writes.size()));
    control::StateStore store(o.state_dir, root.root());
    if (auto saved = store.load())
      warn(saved->kept ? fmt::format("the board is at mode {} kept by `apply --keep` ({}); `modewise restore` returns "
                                     "to the state before it",
                                     saved->applied_mode, store.path())
                       : fmt::format("a saved state exists ({}); a real apply restores it first", store.path()));
    print_writes(writes, root, o.json, r.mode);
    return;
  }
  control::SignalCatcher catcher;
  int exit_code = 0;
  {
    control::ModeController ctl(board, co);
    auto writes = ctl.apply(requested);
    device::PowerMode applied = ctl.resolve(requested).mode;
    if (o.json) print_writes(writes, root, true, applied);
    if (o.keep) {
      ctl.keep();
      info(fmt::format("applied {} ({} writes) and left it set; `modewise restore{}` returns to the state saved in {}",
                       applied.describe(), writes.size(), o.state_dir.empty() ? "" : " --state-dir " + o.state_dir,
                       ctl.store().path()));
      std::fflush(stdout);
      return;
    }
    info(fmt::format("applied {} ({} writes); the previous state is saved in {}", applied.describe(), writes.size(),
                     ctl.store().path()));
    if (!command.empty()) {
      exit_code = run_held_command(command);
    } else if (timed) {
      control::SignalCatcher::wait(o.duration_s);  // returns early on Ctrl-C / SIGTERM
    } else {
      info("holding the mode until Ctrl-C or SIGTERM (give a command after -- or --duration S to stop by itself)");
      while (!control::SignalCatcher::wait(3600)) {
      }
    }
    ctl.restore();
    info("restored the previous power mode");
  }
  std::fflush(stdout);
  if (int sig = control::SignalCatcher::caught()) std::exit(128 + sig);
  if (exit_code != 0) std::exit(exit_code);
}

Registrar reg(70, "apply", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<ApplyOptions>();
  auto* cmd = app.add_subcommand(
      "apply",
      "Set a power mode on this Jetson (root), hold it while a command runs (after --) or until Ctrl-C, then restore; "
      "or --keep it set");
  cmd->add_option("--cores", o->cores, "Online CPU cores (cpu0 first)");
  cmd->add_option("--cpu-mhz", o->cpu_mhz, "CPU frequency of every online cluster, MHz (snapped within 1 MHz)");
  cmd->add_option("--gpu-mhz", o->gpu_mhz, "GPU frequency, MHz");
  cmd->add_option("--emc-mhz", o->emc_mhz, "Memory (EMC) frequency cap, MHz");
  cmd->add_option("--mode", o->named, "A named mode instead: maxn or an nvpmodel preset (e.g. MODE_30W)");
  cmd->add_flag("--dry-run", o->dry_run, "Print the writes (in order) without writing anything");
  cmd->add_flag("--json", o->json, "Print the writes as JSON on stdout");
  o->duration_opt = cmd->add_option("--duration", o->duration_s, "Hold the mode for S seconds (finite, >= 0), then restore");
  cmd->add_flag("--keep", o->keep,
                "Set the mode and exit leaving it set (as `nvpmodel -m` does); the prior state is saved for `modewise "
                "restore`");
  cmd->add_option("--state-dir", o->state_dir,
                  "Where the previous state is saved (default $MODEWISE_STATE_DIR, /var/lib/modewise as root, else "
                  "~/.local/state/modewise)");
  cmd->footer(
      "COMMAND: everything after -- runs at the mode, byte for byte ([1, 2], a,b, {x}, --, empty strings); its exit\n"
      "code is returned.\n"
      "Writes go in a safe order (limits that fall before limits that rise) and are read back. The previous state is\n"
      "saved before the first write and restored on exit, on Ctrl-C/SIGTERM, by `modewise restore`, or at the next\n"
      "start after a crash. --keep leaves the mode set; `modewise restore` puts the prior state back later (also after\n"
      "a reboot). Example: sudo modewise apply --cores 8 --cpu-mhz 1497.6 --gpu-mhz 624.75 --emc-mhz 2133 "
      "-- python3 train.py");
  cmd->callback([o, &g] { run_apply(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
