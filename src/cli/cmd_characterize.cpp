// modewise characterize: run a workload over every combination of batch size x DataLoader workers x storage x power
// mode and write one CSV row per configuration (time per minibatch and epoch, fetch stalls, utilization, energy per
// epoch and sample, variability, memory). Stored like profiles, resumable. docs/CHARACTERIZE.md.
#include <atomic>
#include <csignal>
#include <optional>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/stop_signals.h"
#include "cli/common.h"
#include "cli/device_arg.h"
#include "modewise/device/grid.h"
#include "modewise/profile/characterize.h"
#include "modewise/profile/replay.h"
#include "modewise/profile/shard.h"
#include "modewise/sim/emulator.h"
#include "modewise/store/characterizations.h"
#include "modewise/store/store.h"
#include "modewise/util/error.h"
#include "modewise/util/progress.h"
#include "modewise/util/strings.h"

namespace modewise::cli {
namespace {

struct CharacterizeOptions {
  std::string device, workload, task = "train", command, container, out = "-";
  std::vector<std::string> sweeps, storage_paths;
  int epochs = 0, dataset_samples = 10000, minibatches = 40, warmup_allowance = 10;
  int settle_ms = -1;
  uint64_t seed = 1;
  bool no_db = false, json = false, no_drop_caches = false;
  std::string shard;  // --shard K/N | auto/N: this board's part of the swept modes (docs/FLEET.md)
};

std::string command_line(const CharacterizeOptions& o) {
  std::string s = fmt::format("modewise characterize --device {}", o.device);
  if (!o.workload.empty()) s += " --workload " + o.workload;
  if (!o.command.empty()) s += " --command " + profile::shell_quote(o.command);
  if (!o.container.empty()) s += " --container " + o.container;
  for (const auto& w : o.sweeps) s += " --sweep " + w;
  for (const auto& p : o.storage_paths) s += " --storage-path " + p;
  if (o.epochs > 0) s += fmt::format(" --epochs {}", o.epochs);
  if (!o.shard.empty()) s += " --shard " + o.shard;
  return s + fmt::format(" --dataset-samples {} --minibatches {} --seed {} --out {}", o.dataset_samples,
                         o.minibatches, o.seed, o.out);
}

void check_options(const CharacterizeOptions& o) {
  if (o.task != "train" && o.task != "infer") throw UsageError("--task: expected train or infer, found '{}'", o.task);
  if (o.workload.empty() && o.command.empty())
    throw UsageError("characterize needs --workload W (emulator, replay) or --command CMD (real board)");
  if (!o.container.empty() && o.command.empty())
    throw UsageError("--container IMAGE runs the --command inside Docker: give --command too");
  if (o.json && (o.out == "-" || o.out.empty()))
    throw UsageError("--json prints a summary on stdout: write the rows to a file with --out FILE.csv");
  if (o.epochs < 0) throw UsageError("--epochs: expected 0 or more, found {}", o.epochs);
}

std::map<std::string, std::string> parse_storage_paths(const std::vector<std::string>& args) {
  std::map<std::string, std::string> out;
  for (const auto& a : args) {
    auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == a.size())
      throw UsageError("--storage-path '{}': expected MEDIUM=DIR (e.g. sd=/media/sd/imagenet)", a);
    std::string medium = util::to_lower(util::trim(a.substr(0, eq)));
    if (!out.emplace(medium, util::trim(a.substr(eq + 1))).second)
      throw UsageError("--storage-path: medium '{}' is given twice", medium);
  }
  return out;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// Everything the backend will be asked, checked before anything is registered in the store.
void check_against_backend(device::Backend& backend, const profile::CharacterizationSpec& spec,
                           const CharacterizeOptions& o) {
  bool sim = util::starts_with(backend.name(), "sim:");
  bool measured = backend.provenance() == device::Provenance::measured;
  if (!measured && (!o.command.empty() || !o.container.empty()))
    throw UsageError("--command and --container run a user's program on a real board (--device jetson); {} "
                     "cannot run commands (use --workload)", backend.name());
  if (measured && o.command.empty())
    throw UsageError("{} runs your own training program: give --command \"python3 train.py ...\" (it reports "
                     "minibatches on $MODEWISE_PIPE, docs/HARDWARE.md)", backend.name());
  if (!measured && !spec.storage_paths.empty())
    throw UsageError("--storage-path names dataset directories on a real board; {} models storage media itself",
                     backend.name());
  if (sim) {
    if (!sim::is_catalog_workload(spec.workload.workload))
      throw UsageError("unknown workload '{}' for the emulator (expected one of: {})", spec.workload.workload,
                       join_names(sim::workload_names()));
    device::WorkloadRequest probe = spec.workload;
    for (const auto& st : spec.axes.storage) {
      probe.storage = st;
      sim::estimate(backend.spec(), probe, spec.axes.modes.front().mode);  // UsageError for an unknown medium
    }
  }
  if (auto* replay = dynamic_cast<profile::ReplayBackend*>(&backend)) {
    device::WorkloadRequest probe = spec.workload;
    for (int bs : spec.axes.batch_sizes) {
      probe.batch_size = bs;
      replay->modes_for(probe);  // throws, naming the file and the workloads and batch sizes it has
    }
  }
  for (const auto& c : profile::configurations(spec)) profile::configuration_command(spec, c);  // checks paths
}

void run_characterize(const CharacterizeOptions& o, const GlobalOptions& g) {
  check_options(o);
  if (!o.out.empty() && o.out != "-") util::check_output_path(o.out);
  auto backend = open_backend_arg(o.device, g, o.seed);
  note_provenance(*backend);
  const bool measured = backend->provenance() == device::Provenance::measured;

  profile::CharacterizationSpec spec;
  spec.backend = backend->name();
  spec.device = backend->spec().name;
  spec.provenance = profile::provenance_of(*backend);  // a replay keeps the recorded origin
  spec.workload.workload = o.workload.empty() ? "command" : util::trim(o.workload);
  if (util::starts_with(backend->name(), "sim:") && sim::is_catalog_workload(spec.workload.workload))
    spec.workload.workload = sim::canonical_workload(spec.workload.workload);
  spec.workload.task = o.task;
  spec.workload.command = o.command;
  spec.container = o.container;
  spec.storage_paths = parse_storage_paths(o.storage_paths);
  if (measured) spec.axes.storage = {"default"};  // a real board's dataset stays where the command reads it
  for (const auto& s : o.sweeps) profile::parse_sweep(s, backend->spec(), spec.axes);
  if (spec.axes.modes.empty()) spec.axes.modes = {{"maxn", backend->spec().maxn()}};
  if (!o.shard.empty()) {  // the mode axis split like profile --shard; the other axes stay whole
    profile::Shard shard = profile::parse_shard(o.shard);
    if (shard.sharded()) {
      if (static_cast<size_t>(shard.count) > spec.axes.modes.size())
        throw UsageError("--shard {}: the sweep has {} mode{}, fewer than the {} shards (--shard splits the swept "
                         "modes)", shard.label(), spec.axes.modes.size(), spec.axes.modes.size() == 1 ? "" : "s",
                         shard.count);
      std::vector<profile::NamedMode> mine;
      for (size_t i : profile::shard_positions(spec.axes.modes.size(), shard)) mine.push_back(spec.axes.modes[i]);
      info(fmt::format("shard {} (K from {}): {} of the {} swept modes", shard.label(), shard.source, mine.size(),
                       spec.axes.modes.size()));
      spec.axes.modes = std::move(mine);
    }
  }
  spec.minibatches = o.minibatches;
  spec.epochs = o.epochs;
  spec.dataset_samples = o.dataset_samples;
  spec.warmup_allowance = o.warmup_allowance;
  spec.seed = o.seed;
  auto plan = profile::plan_campaigns(spec);  // validates counts
  check_against_backend(*backend, spec, o);

  std::optional<store::Store> db;
  std::optional<store::CharacterizationStore> chars;
  std::unique_ptr<profile::CampaignLog> log;
  if (o.no_db) {
    log = std::make_unique<profile::MemoryCampaignLog>();
  } else {
    db.emplace(db_path_or_default(g.db_path));
    chars.emplace(*db);
    chars->open(spec, command_line(o));
    log = std::make_unique<store::StoreCampaignLog>(*db, backend->spec(), command_line(o));
  }
  const size_t total = profile::configurations(spec).size();
  info(fmt::format("characterization {}: {} configurations in {} campaigns{}", spec.id(), total, plan.size(),
                   db ? " (store: " + db->path() + ")" : ""));

  Output out(o.out);
  profile::CharacterizationWriter writer(out.stream());
  writer.write_header();

  profile::CharacterizeOptions options;
  options.settle_ms = o.settle_ms >= 0 ? o.settle_ms : measured ? 10000 : 0;
  options.stop = StopSignals::flag();
  bool warned = false;
  if (measured && !o.no_drop_caches)
    options.before_run = [&](const profile::Configuration&) {
      std::string why = profile::drop_page_cache(g.sysfs_root);
      if (!why.empty() && !warned) {
        warn(why + "; stalls of the first minibatches may be hidden by cached data (--no-drop-caches silences this)");
        warned = true;
      }
    };
  util::Progress progress(fmt::format("characterize {}", spec.workload.workload), total,
                          util::Progress::stderr_is_terminal());
  profile::CharacterizeCallbacks cb;
  cb.on_rows = [&](const std::vector<profile::CharacterizationRow>& rows) {
    for (const auto& r : rows) writer.write(r);
  };
  cb.on_config = [&](size_t done, size_t all, const profile::Configuration& c, bool resumed) {
    progress.update(done, fmt::format("bs {} w {} {} {}", c.batch_size, c.workers, c.storage, c.mode.name));
    if (g.verbose && !resumed)
      info(fmt::format("[{}/{}] batch {} workers {} storage {} mode {}", done, all, c.batch_size, c.workers,
                       c.storage, c.mode.name));
  };

  profile::CharacterizeOutcome result;
  {
    StopSignals signals("configuration");
    try {
      result = profile::run_characterization(*backend, spec, *log, options, cb);
    } catch (const std::exception& e) {
      progress.finish();
      if (chars) chars->close(spec.id(), "failed", e.what());
      throw;
    }
  }
  progress.finish();
  out.commit();  // --out is replaced only now: a failed run leaves an existing file as it was
  if (chars) chars->close(spec.id(), result.stopped ? "stopped" : "done", "");
  info(fmt::format("characterization {}: {} of {} configurations done ({} resumed, {} profiled now) in {}; numbers "
                   "are {}",
                   result.id, result.rows.size(), result.total, result.resumed, result.measured,
                   util::format_duration(result.elapsed_s),
                   provenance_label(*backend)));
  if (o.json) {
    nlohmann::json j = {{"characterization", result.id}, {"configs_total", result.total},
                        {"configs_done", result.rows.size()}, {"resumed", result.resumed},
                        {"profiled", result.measured},  {"stopped", result.stopped},
                        {"elapsed_s", result.elapsed_s},  {"out", o.out},
                        {"provenance", spec.provenance},  {"campaigns", result.campaign_ids}};
    if (db) j["db"] = db->path();
    std::cout << j.dump() << "\n";
  }
  if (result.stopped)
    throw Error("interrupted: stopped after {} of {} configurations; rerun the same command to resume "
                "characterization {}",
                result.rows.size(), result.total, result.id);
}

Registrar reg(25, "characterize", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<CharacterizeOptions>();
  auto* cmd = app.add_subcommand(
      "characterize",
      "Sweep batch size x DataLoader workers x storage x power mode; one CSV row per configuration (resumable)");
  cmd->add_option("--device", o->device,
                  "Backend: sim:<device> (emulated), replay:FILE.csv (recorded), jetson (real board); a bare built-in "
                  "name means sim:<name>")
      ->required();
  cmd->add_option("--workload", o->workload,
                  "Emulator catalog workload (resnet18, resnet50, mobilenetv3, yolov8n, bert-base, bert-large, lstm), "
                  "a replay file's workload, or a label for --command");
  cmd->add_option("--command", o->command,
                  "Real board: the training command, run once per configuration and mode; it may use {batch_size}, "
                  "{workers}, {storage}, {data_dir}, {epochs} or $MODEWISE_BATCH_SIZE, ... (docs/CHARACTERIZE.md)");
  cmd->add_option("--sweep", o->sweeps,
                  "NAME=V1,V2,...: batch-size=4,8,16,32 | workers=0,1,2,4 | storage=sd,emmc,ssd,hdd | "
                  "mode=maxn,MODE_30W,<cores>c/<cpu>/<gpu>/<emc>; repeat for each axis (defaults: batch-size=16, "
                  "workers=4, storage=nvme, mode=maxn)");
  cmd->add_option("--container", o->container,
                  "Run --command inside this Docker image (docker run --rm --runtime nvidia ..., protocol pipe "
                  "bind-mounted) for the bare-metal vs container comparison");
  cmd->add_option("--storage-path", o->storage_paths,
                  "Real board: MEDIUM=DIR, the dataset's directory on each swept medium (e.g. sd=/media/sd/data)");
  cmd->add_option("--epochs", o->epochs,
                  "Measure this many whole epochs per configuration (default 0: a window of --minibatches, per-epoch "
                  "numbers scaled from it)");
  cmd->add_option("--dataset-samples", o->dataset_samples, "Samples per epoch")->capture_default_str()
      ->check(CLI::Range(1, 1000000000));
  cmd->add_option("--minibatches", o->minibatches, "Minibatches measured per configuration after warm-up")
      ->capture_default_str();
  cmd->add_option("--warmup-allowance", o->warmup_allowance, "Extra minibatches per run to cover warm-up")
      ->capture_default_str();
  cmd->add_option("--settle-ms", o->settle_ms, "Wait after setting each mode (default: 10000 on a real board, else 0)")
      ->check(CLI::Range(0, 3600000));
  cmd->add_option("--task", o->task, "train or infer")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the emulator")->capture_default_str();
  cmd->add_option("--out", o->out, "Output CSV, one row per configuration ('-' for stdout)")->capture_default_str();
  cmd->add_flag("--no-drop-caches", o->no_drop_caches, "Real board: do not drop the page cache before each run");
  cmd->add_flag("--no-db", o->no_db, "Do not use the store (cannot be resumed or reported)");
  cmd->add_flag("--json", o->json, "Print a JSON summary on stdout at the end (needs --out FILE)");
  cmd->add_option("--shard", o->shard,
                  "K/N: sweep only the K-th (0-based) of N interleaved parts of the swept modes (one board of a "
                  "fleet); auto/N: K from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX (docs/FLEET.md)");
  cmd->footer(
      "Each (batch size, workers, storage) is one profiling campaign over the swept modes, kept in the store (--db);\n"
      "rerunning the same command resumes. `modewise report` draws heat maps and stall breakdowns of it.");
  cmd->callback([o, &g] { run_characterize(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
