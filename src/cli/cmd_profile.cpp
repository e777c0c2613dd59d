// modewise profile: measure a workload at a list of power modes (a campaign), resumable after any interruption.
// Rows go to --out as each mode completes; every finished mode is kept in the store (--db) first, so rerunning
// the same command after a crash or kill resumes where it stopped. docs/PROFILING.md.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstring>
#include <optional>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/adaptive_campaign.h"
#include "cli/model_args.h"
#include "cli/command.h"
#include "cli/stop_signals.h"
#include "cli/common.h"
#include "cli/device_arg.h"
#include "modewise/device/grid.h"
#include "modewise/profile/campaign.h"
#include "modewise/profile/board_id.h"
#include "modewise/profile/replay.h"
#include "modewise/profile/shard.h"
#include "modewise/sim/emulator.h"
#include "modewise/store/store.h"
#include "modewise/util/error.h"
#include "modewise/util/progress.h"
#include "modewise/util/strings.h"

namespace modewise::cli {
namespace {

struct ProfileOptions {
  std::string device, workload, task = "train";
  int batch_size = 16;
  std::string modes = "all", grid = "full";
  bool grid_given = false;
  uint64_t seed = 1;
  int minibatches = 40;
  int warmup_allowance = 10;
  int settle_ms = -1;  // -1: 10 s on a measured backend, 0 otherwise
  bool settle_given = false;
  std::string out;
  std::string command;
  int workers = 4;
  std::string storage = "nvme";
  bool no_db = false, json = false;
  std::string shard, board;  // --shard K/N | auto/N, --board NAME (docs/FLEET.md)
  std::string candidates;    // --candidates FILE.csv: the modes all/random/spread/adaptive draw from
  std::string base;          // --base REF.model.json (adaptive:N)
  long long adaptive_initial = static_cast<long long>(adaptive_defaults().initial);
  long long adaptive_batch = static_cast<long long>(adaptive_defaults().batch);
  bool adaptive_given = false;  // --adaptive-initial or --adaptive-batch on the command line
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) {
    if (!s.empty()) s += ", ";
    s += x;
  }
  return s;
}

std::string command_line(const ProfileOptions& o) {
  std::string s = fmt::format("modewise profile --device {} --workload {} --task {} --batch-size {} --modes {}",
                              o.device, o.workload, o.task, o.batch_size, o.modes);
  if (o.grid_given) s += " --grid " + o.grid;
  s += fmt::format(" --seed {} --minibatches {} --out {}", o.seed, o.minibatches, o.out);
  if (!o.command.empty()) s += fmt::format(" --command '{}'", o.command);
  if (!o.shard.empty()) s += " --shard " + o.shard;
  if (!o.board.empty()) s += " --board " + o.board;
  if (!o.candidates.empty()) s += " --candidates " + o.candidates;
  if (!o.base.empty())
    s += fmt::format(" --base {} --adaptive-initial {} --adaptive-batch {}", o.base, o.adaptive_initial,
                     o.adaptive_batch);
  return s;
}

void check_options(const ProfileOptions& o) {
  if (o.task != "train" && o.task != "infer") throw UsageError("--task: expected train or infer, found '{}'", o.task);
  if (o.batch_size < 1) throw UsageError("--batch-size: expected a positive number, found {}", o.batch_size);
  if (o.minibatches < 1) throw UsageError("--minibatches: expected at least 1, found {}", o.minibatches);
  if (o.warmup_allowance < 0) throw UsageError("--warmup-allowance: expected 0 or more, found {}", o.warmup_allowance);
  if (o.workers < 0) throw UsageError("--workers: expected 0 or more, found {}", o.workers);
  if (o.settle_given && o.settle_ms < 0) throw UsageError("--settle-ms: expected 0 or more, found {}", o.settle_ms);
  static const char* kStorage[] = {"sd", "emmc", "ssd", "nvme", "hdd"};
  if (std::find(std::begin(kStorage), std::end(kStorage), o.storage) == std::end(kStorage))
    throw UsageError("--storage: expected one of sd, emmc, ssd, nvme, hdd, found '{}'", o.storage);
  if (!o.out.empty() && o.out != "-") util::check_output_path(o.out);
  if (o.json && (o.out == "-" || o.out.empty()))
    throw UsageError("--json prints a summary on stdout: write the rows to a file with --out FILE.csv");
  if (util::trim(o.workload).empty()) throw UsageError("--workload: expected a workload name");
  ModeDesign design = parse_mode_design(o.modes);
  if (design.kind == "adaptive") {
    if (!o.shard.empty())
      throw UsageError("--shard cannot split --modes adaptive:N: each step chooses from every mode measured before, "
                       "so one campaign runs on one board (shard a random:N or spread:N list instead)");
    if (o.base.empty())
      throw UsageError("--modes adaptive:N needs --base REF.model.json: the reference model (`modewise fit`) that is "
                       "transferred after each batch to choose the next modes");
  } else if (!o.base.empty() || o.adaptive_given) {
    throw UsageError("--base, --adaptive-initial and --adaptive-batch go with --modes adaptive:N, found --modes {}",
                     o.modes);
  }
}

// A bare name that is no built-in device gets the device error (listing the built-in names), not a backend error.
void check_device_arg(const std::string& arg) {
  if (arg.find(':') == std::string::npos && arg != "jetson" && !util::starts_with(arg, "nvml"))
    device::resolve_device(arg);  // throws UsageError naming the device and the known ones
}

// The workload and the modes must exist before a campaign is registered.
void check_modes(device::Backend& backend, const device::WorkloadRequest& w,
                 const std::vector<device::PowerMode>& modes) {
  if (auto* replay = dynamic_cast<profile::ReplayBackend*>(&backend)) {
    replay->check_modes(w, modes);  // names the file, the missing mode and what the file has
  } else {
    for (const auto& m : modes) device::validate_mode(backend.spec(), m);
  }
}

// The emulator's catalog, or rows of the replay file.
void check_workload(device::Backend& backend, const device::WorkloadRequest& w) {
  if (auto* replay = dynamic_cast<profile::ReplayBackend*>(&backend)) {
    replay->modes_for(w);  // throws, naming the file and the workloads it has
  } else if (util::starts_with(backend.name(), "sim:") && !sim::is_catalog_workload(w.workload)) {
    throw UsageError("unknown workload '{}' for the emulator (expected one of: {}); other workloads need "
                     "--device replay:FILE.csv or a real board with --command",
                     w.workload, join(sim::workload_names()));
  }
}

// The modes all, random:N, spread:N and adaptive:N draw from: --candidates FILE.csv, else the replay file's modes
// for this workload (unless --grid is given), else the --grid of the device. `what` describes them for errors.
std::vector<device::PowerMode> candidate_modes(device::Backend& backend, const ProfileOptions& o,
                                               const device::WorkloadRequest& w, std::string* what) {
  if (!o.candidates.empty()) {
    *what = "the modes of " + o.candidates;
    return profile::resolve_modes(backend.spec(), o.candidates, o.grid, o.seed);  // a file: checked with line numbers
  }
  auto* replay = dynamic_cast<profile::ReplayBackend*>(&backend);
  if (replay && !o.grid_given) {
    *what = fmt::format("the modes {} has for this workload", backend.name());
    return replay->modes_for(w);
  }
  *what = fmt::format("the size of grid '{}' of {}", o.grid, backend.spec().name);
  return device::grid_modes(backend.spec(), o.grid);
}

// The fixed mode list of the campaign (not adaptive:N, whose modes are chosen while it runs).
std::vector<device::PowerMode> campaign_modes(device::Backend& backend, const ProfileOptions& o,
                                              const device::WorkloadRequest& w) {
  ModeDesign design = parse_mode_design(o.modes);
  std::string a = util::to_lower(util::trim(o.modes));
  if (design.kind == "random" || design.kind == "spread" || a == "all") {
    std::string what;
    auto candidates = candidate_modes(backend, o, w, &what);
    if (a == "all") return candidates;
    return design_modes(candidates, design, o.seed, what);
  }
  if (!o.candidates.empty())
    throw UsageError("--candidates goes with --modes all, random:N, spread:N or adaptive:N, found --modes {}", o.modes);
  return profile::resolve_modes(backend.spec(), o.modes, o.grid, o.seed);
}

std::string plural(size_t n, const char* word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

void print_summary(const profile::CampaignOutcome& out, const std::string& provenance, bool adaptive) {
  const profile::ProfileRow* fastest = nullptr;
  const profile::ProfileRow* frugal = nullptr;
  for (const auto& r : out.rows) {
    if (!fastest || r.time_ms < fastest->time_ms) fastest = &r;
    if (!frugal || r.energy_or_derived_j() < frugal->energy_or_derived_j()) frugal = &r;
  }
  info(fmt::format("campaign {}: {} of {} done ({} resumed, {} profiled now{}) in {}", out.id,
                   out.resumed + out.measured, plural(out.total, "mode"), out.resumed, out.measured,
                   adaptive ? fmt::format("; adaptive: {} choices", out.choices) : "",
                   util::format_duration(out.elapsed_s)));
  if (fastest)
    info(fmt::format("fastest: {} at {} ms/minibatch, {} W; least energy: {} at {} J/minibatch ({})",
                     fastest->mode.key(), util::format_number(fastest->time_ms), util::format_number(fastest->power_w),
                     frugal->mode.key(), util::format_number(frugal->energy_or_derived_j()), provenance));
}

void run_profile(const ProfileOptions& o, const GlobalOptions& g) {
  check_options(o);
  profile::Shard shard = o.shard.empty() ? profile::Shard{} : profile::parse_shard(o.shard);
  check_device_arg(o.device);
  auto backend = open_backend_arg(o.device, g, o.seed);
  note_provenance(*backend);
  device::WorkloadRequest w;
  w.workload = util::trim(o.workload);
  w.task = o.task;
  w.batch_size = o.batch_size;
  w.workers = o.workers;
  w.storage = o.storage;
  w.command = o.command;
  check_workload(*backend, w);

  profile::CampaignSpec spec;
  spec.backend = backend->name();
  spec.device = backend->spec().name;
  spec.provenance = profile::provenance_of(*backend, w);  // a replay keeps the recorded origin
  spec.workload = w;
  const bool adaptive = parse_mode_design(o.modes).kind == "adaptive";
  std::optional<AdaptivePlan> plan;
  if (adaptive) {  // the modes are chosen while profiling, from these candidates
    std::string what;
    auto candidates = candidate_modes(*backend, o, w, &what);
    check_modes(*backend, w, candidates);
    plan = plan_adaptive(o.base, parse_mode_design(o.modes).n, o.adaptive_initial, o.adaptive_batch, o.seed,
                         std::move(candidates), what);
    spec.design = plan->design;
    spec.planned_modes = plan->options.total;
    if (plan->base.info.device != backend->spec().name)
      info(fmt::format("adaptive: cross-device transfer of the {} base model to {}", plan->base.info.device,
                       backend->spec().name));
  } else {
    spec.modes = campaign_modes(*backend, o, w);
    check_modes(*backend, w, spec.modes);
  }
  const size_t whole = spec.modes.size();
  profile::apply_shard(spec, shard);  // the shard's modes; its identity names the shard and the whole list
  spec.board = profile::board_identity(o.board, g.sysfs_root, backend->provenance() == device::Provenance::measured).name;
  if (shard.sharded())
    info(fmt::format("shard {} (K from {}) on board {}: {} of the {} modes", shard.label(), shard.source, spec.board,
                     spec.modes.size(), whole));
  spec.minibatches = o.minibatches;
  spec.warmup_allowance = o.warmup_allowance;
  spec.seed = o.seed;
  if (auto* replay = dynamic_cast<profile::ReplayBackend*>(backend.get())) spec.fingerprint = replay->content_hash();

  std::optional<store::Store> db;
  std::unique_ptr<profile::CampaignLog> log;
  if (o.no_db) {
    log = std::make_unique<profile::MemoryCampaignLog>();
  } else {
    db.emplace(db_path_or_default(g.db_path));
    log = std::make_unique<store::StoreCampaignLog>(*db, backend->spec(), command_line(o));
  }

  Output out(o.out);
  profile::ProfileWriter writer(out.stream());
  writer.write_header();

  profile::CampaignOptions options;
  options.settle_ms = o.settle_ms >= 0 ? o.settle_ms : backend->provenance() == device::Provenance::measured ? 10000 : 0;
  options.stop = StopSignals::flag();
  std::optional<util::Progress> progress;
  size_t resumed = 0, measured = 0, total = 0;
  profile::CampaignCallbacks cb;
  cb.on_start = [&](const std::string& id, size_t done, size_t all) {
    resumed = done;
    total = all;
    if (done == all)
      info(fmt::format("campaign {} is already complete ({}); rewriting {}", id, plural(all, "mode"), o.out));
    else if (done > 0)
      info(fmt::format("resuming campaign {}: {} of {} modes done", id, done, all));
    else
      info(fmt::format("campaign {}: {} to profile{}{}", id, plural(all, "mode"),
                       adaptive ? fmt::format(" (adaptive: {} first, then {} per step, chosen from {} candidates)",
                                              plan->options.initial, plan->options.batch, plan->candidates.size())
                                : "",
                       o.no_db ? " (--no-db: cannot be resumed)" : " (store: " + db->path() + ")"));
    progress.emplace(fmt::format("profile {}", w.workload), all - done, util::Progress::stderr_is_terminal());
  };
  cb.on_progress = [&](size_t, size_t, const device::PowerMode& next) { progress->update(measured, next.key()); };
  cb.on_row = [&](const profile::ProfileRow& row, bool was_resumed) {
    writer.write(row);
    if (was_resumed) return;
    ++measured;
    progress->update(measured);
    if (g.verbose) {
      progress->finish();
      info(fmt::format("[{}/{}] {}: {} ms, {} W", resumed + measured, total, row.mode.key(),
                       util::format_number(row.time_ms), util::format_number(row.power_w)));
    }
  };

  if (adaptive) {
    report_adaptive_steps(cb, "adaptive");
    auto on_chosen = cb.on_chosen;
    cb.on_chosen = [&, on_chosen](size_t step, const std::vector<device::PowerMode>& modes) {
      if (progress && util::Progress::stderr_is_terminal()) fmt::print(stderr, "\r\033[K");  // the bar is redrawn
      on_chosen(step, modes);
    };
  }

  StopSignals signals("mode");
  profile::CampaignOutcome result =
      adaptive ? profile::run_chosen_campaign(*backend, spec, *log, adaptive_chooser(*plan, backend->spec()), options, cb)
               : profile::run_campaign(*backend, spec, *log, options, cb);
  if (progress) progress->finish();
  out.commit();  // --out is replaced only now: a run that fails leaves an existing file as it was
  print_summary(result, spec.provenance, adaptive);
  if (o.json) {
    nlohmann::json j = {{"campaign", result.id},     {"modes_total", result.total},   {"resumed", result.resumed},
                        {"profiled", result.measured}, {"stopped", result.stopped},   {"elapsed_s", result.elapsed_s},
                        {"out", o.out},               {"provenance", spec.provenance}};
    if (db) j["db"] = db->path();
    j["board"] = spec.board;
    // How power_w's board total is formed ("input rail VIN", "sum of rails"); null where the backend does not say.
    j["total_rule"] = backend->total_rule().empty() ? nlohmann::json(nullptr) : nlohmann::json(backend->total_rule());
    if (shard.sharded()) j["shard"] = shard.label();
    ModeDesign design = parse_mode_design(o.modes);
    j["design"] = design.kind.empty() ? nlohmann::json(nullptr) : nlohmann::json(design.kind);
    if (adaptive) j["adaptive_choices"] = result.choices;
    std::cout << j.dump() << "\n";
  }
  if (result.stopped)
    throw Error("interrupted: stopped after {} of {} modes; rerun the same command to resume campaign {}",
                result.resumed + result.measured, result.total, result.id);
}

Registrar reg(20, "profile", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<ProfileOptions>();
  auto* cmd = app.add_subcommand("profile", "Profile a workload over power modes (resumable campaign; CSV rows as they complete)");
  cmd->add_option("--device", o->device,
                  "Backend: sim:<device> (emulated), replay:FILE.csv (recorded), jetson (real board); a bare built-in "
                  "name (orin-agx, xavier-agx, orin-nano) means sim:<name>")
      ->required();
  cmd->add_option("--workload", o->workload,
                  "Workload: an emulator catalog name (resnet18, resnet50, mobilenetv3, yolov8n, bert-base, "
                  "bert-large, lstm), a workload of the replay file, or a label for --command")
      ->required();
  cmd->add_option("--task", o->task, "train or infer")->capture_default_str();
  cmd->add_option("--batch-size", o->batch_size, "Minibatch size")->capture_default_str();
  cmd->add_option("--modes", o->modes,
                  "all (the candidates: the grid; for replay: the file's modes), maxn, a named mode (MODE_30W), "
                  "random:N (seeded sample of the candidates), spread:N (seeded space-filling design over them), "
                  "adaptive:N (chosen while profiling, with --base), or FILE.csv with cores,cpu_mhz,gpu_mhz,emc_mhz")
      ->capture_default_str();
  auto* grid = cmd->add_option("--grid", o->grid,
                               "Grid for all/random/spread/adaptive: full, powertrain, fulcrum (as the device offers)")
                   ->capture_default_str();
  cmd->add_option("--candidates", o->candidates,
                  "FILE.csv of modes that all, random:N, spread:N and adaptive:N draw from (instead of the grid)");
  cmd->add_option("--base", o->base,
                  "adaptive:N: reference model (REF.model.json from `modewise fit`, of this or another device), "
                  "transferred after each batch to choose the next modes");
  auto* initial = cmd->add_option("--adaptive-initial", o->adaptive_initial,
                                  "adaptive:N: modes of the first batch (spread), at least 10")
                      ->capture_default_str();
  auto* batch = cmd->add_option("--adaptive-batch", o->adaptive_batch, "adaptive:N: modes chosen per later step")
                    ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed for random:N, spread:N, adaptive:N and the emulator")->capture_default_str();
  cmd->add_option("--minibatches", o->minibatches, "Minibatches measured per mode after warm-up")->capture_default_str();
  cmd->add_option("--warmup-allowance", o->warmup_allowance, "Extra minibatches run per mode to cover warm-up")
      ->capture_default_str();
  auto* settle = cmd->add_option("--settle-ms", o->settle_ms,
                                 "Wait after setting each mode before running (default: 10000 on a real board, 0 otherwise)");
  cmd->add_option("--out", o->out, "Output CSV (profile schema; '-' for stdout), rewritten on resume")->required();
  cmd->add_option("--command", o->command, "Command run per mode on a real board (jetson backend)");
  cmd->add_option("--workers", o->workers, "DataLoader worker processes")->capture_default_str();
  cmd->add_option("--storage", o->storage, "Dataset storage medium: sd, emmc, ssd, nvme, hdd")->capture_default_str();
  cmd->add_flag("--no-db", o->no_db, "Do not use the store (the campaign cannot be resumed)");
  cmd->add_flag("--json", o->json, "Print a JSON summary on stdout at the end");
  cmd->add_option("--shard", o->shard,
                  "K/N: profile only the K-th (0-based) of N balanced, interleaved parts of the mode list (one board "
                  "of a fleet); auto/N: K from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX (docs/FLEET.md)");
  cmd->add_option("--board", o->board,
                  "Board name for the rows' board column (default: the device-tree serial number on a real board, "
                  "else the host name)");
  cmd->footer(
      "The store is --db PATH (before or after `profile`), $MODEWISE_DB, or ~/.local/share/modewise/modewise.db.\n"
      "Rerunning the same command resumes an interrupted campaign without re-measuring finished modes.");
  cmd->callback([o, grid, settle, initial, batch, &g] {
    o->grid_given = grid->count() > 0;
    o->adaptive_given = initial->count() > 0 || batch->count() > 0;
    o->settle_given = settle->count() > 0;
    run_profile(*o, g);
  });
});

}  // namespace
}  // namespace modewise::cli
