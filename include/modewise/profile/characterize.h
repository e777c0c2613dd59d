// Characterization sweeps (the training characterization study, FACTS.md §4): run a workload over every
// combination of batch size x DataLoader workers x storage medium x power mode and report, per configuration,
// time per minibatch and per epoch, fetch-stall fraction, GPU/CPU utilization, energy per epoch and per sample,
// variability (coefficient of variation over minibatches) and memory use.
//
// A characterization is a set of ordinary profiling campaigns (campaign.h): one campaign per (batch size,
// workers, storage) whose mode list is the swept modes. So every finished configuration is stored like a profile
// (one transaction per mode), and rerunning the same command resumes: finished campaigns are found complete,
// the interrupted one resumes at its first unfinished mode. docs/CHARACTERIZE.md.
//
// On a real board (--command): the command sees the configuration in placeholders ({batch_size}, {workers},
// {storage}, {data_dir}, {epochs}) and in environment variables (MODEWISE_BATCH_SIZE, MODEWISE_WORKERS,
// MODEWISE_STORAGE, MODEWISE_DATA_DIR, MODEWISE_EPOCHS); "storage" means the dataset's directory on each medium
// (storage_paths) and the page cache is dropped before each run. With a container image the command runs in
// `docker run --rm --runtime nvidia ... IMAGE sh -c CMD` with the protocol pipe ($MODEWISE_PIPE) bind-mounted.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "modewise/device/backend.h"
#include "modewise/device/device_spec.h"
#include "modewise/profile/campaign.h"
#include "modewise/profile/profile.h"

namespace modewise::profile {

// A power mode with the name the user gave it ("maxn", "MODE_30W", or its key "8c/1728/522.75/3199").
struct NamedMode {
  std::string name;
  device::PowerMode mode;
};

// The values each sweep axis takes (each at least one value; defaults: the published profiling setup).
struct SweepAxes {
  std::vector<int> batch_sizes{16};
  std::vector<int> workers{4};
  std::vector<std::string> storage{"nvme"};
  std::vector<NamedMode> modes;  // empty: filled with maxn by the caller
};

// Parse one --sweep argument ("batch-size=4,8,16", "workers=0,1,2,4", "storage=sd,emmc,ssd,hdd",
// "mode=maxn,MODE_30W,12c/2201.6/1300.5/3199") into `axes`, replacing that axis. Modes are named modes,
// mode keys, random:N or FILE.csv (profile --modes); every mode is checked against the device. Throws
// UsageError naming the argument and what was expected (unknown axis, empty or repeated values, bad numbers).
void parse_sweep(const std::string& arg, const device::DeviceSpec& spec, SweepAxes& axes);
// The axis names parse_sweep accepts, for messages.
std::string sweep_axis_names();

struct CharacterizationSpec {
  std::string backend;     // Backend::name()
  std::string device;      // DeviceSpec::name
  std::string provenance;  // measured / emulated / replayed
  device::WorkloadRequest workload;  // workload, task and command template; batch/workers/storage come from axes
  SweepAxes axes;
  int minibatches = 40;          // measurement window per configuration when epochs == 0
  int epochs = 0;                // > 0: measure this many whole epochs per configuration instead
  int dataset_samples = 10000;   // samples per epoch (per-epoch numbers = per-minibatch x minibatches per epoch)
  int warmup_allowance = 10;
  uint64_t seed = 1;
  std::string container;                            // Docker image; empty: bare metal
  std::map<std::string, std::string> storage_paths;  // real board: medium -> dataset directory

  std::string identity() const;  // canonical text of everything that defines the characterization
  std::string id() const;        // 16 hex digits: FNV-1a 64 of identity()
};

// One point of the sweep.
struct Configuration {
  size_t index = 0;  // position in configurations(): batch size, then workers, storage, mode (innermost)
  int batch_size = 0;
  int workers = 0;
  std::string storage;
  NamedMode mode;
};

// Every combination, in order. Throws UsageError when an axis is empty.
std::vector<Configuration> configurations(const CharacterizationSpec& spec);

// Minibatches per epoch: ceil(dataset_samples / batch_size) (the last, partial minibatch counts as one).
int minibatches_per_epoch(int dataset_samples, int batch_size);

// The campaigns that measure a characterization: one per (batch size, workers, storage), modes in sweep order.
struct PlannedCampaign {
  CampaignSpec campaign;
  std::vector<size_t> configs;  // configuration index of each of campaign.modes
};
std::vector<PlannedCampaign> plan_campaigns(const CharacterizationSpec& spec);

// The user's command for one configuration (real board): the placeholders above expanded (other braces are left
// alone), the configuration exported in environment variables, wrapped in `docker run` when spec.container is
// set. Empty when there is no command. Throws UsageError for a swept storage medium without a directory in
// storage_paths (storage swept over several media needs one per medium).
std::string configuration_command(const CharacterizationSpec& spec, const Configuration& config);

// `docker run --rm --runtime nvidia --network host --ipc host -e MODEWISE_PIPE -e MODEWISE_MINIBATCHES ...
//  -v "$MODEWISE_PIPE:$MODEWISE_PIPE" [-e NAME=VALUE ...] [-v DIR:DIR:ro ...] IMAGE sh -c 'COMMAND'`: the variables
// the backend sets for the command (MODEWISE_PIPE, MODEWISE_MINIBATCHES, MODEWISE_MODE, ...) are passed on, and the
// protocol pipe's path is expanded by the shell that runs the line, so it is the pipe the backend created for this
// run. Values are shell-quoted.
std::string container_command(const std::string& image, const std::string& command,
                              const std::vector<std::pair<std::string, std::string>>& env,
                              const std::vector<std::string>& read_only_dirs);

// Single-quote `text` for /bin/sh ('it'"'"'s').
std::string shell_quote(const std::string& text);

// Drop the page cache: sync, then write 3 to <sysfs_root>/proc/sys/vm/drop_caches. Returns "" on success, else why
// it could not (e.g. "needs root"), so the caller can warn; never throws for a permission problem.
std::string drop_page_cache(const std::string& sysfs_root);

// One configuration's numbers (a CSV row).
struct CharacterizationRow {
  Configuration config;
  ProfileRow row;            // the campaign's row for the mode (time_ms, power_w, metrics, provenance, ...)
  std::string campaign_id;
  int minibatches_per_epoch = 0;

  double time_cv() const;              // time_sd_ms / time_ms (variability over minibatches)
  double epoch_time_s() const;         // time_ms x minibatches per epoch
  double epoch_energy_j() const;       // energy per minibatch x minibatches per epoch
  double energy_per_sample_j() const;  // energy per minibatch / batch size
  double throughput_sps() const;       // samples per second
  double metric(const std::string& name) const;  // row.metrics[name] or NaN
};

CharacterizationRow make_characterization_row(const CharacterizationSpec& spec, const Configuration& config,
                                              const ProfileRow& row, const std::string& campaign_id);

// CSV: batch_size,workers,storage,mode, then cores,cpu_mhz,gpu_mhz,emc_mhz and the metrics, then device,
// workload, task, provenance, campaign. Also a valid profile CSV (profile.h readers accept it).
const std::vector<std::string>& characterization_columns();
class CharacterizationWriter {
 public:
  explicit CharacterizationWriter(std::ostream& out) : out_(out) {}
  void write_header();
  void write(const CharacterizationRow& row);  // flushes

 private:
  std::ostream& out_;
};

struct CharacterizeOptions {
  int settle_ms = 0;
  const std::atomic<bool>* stop = nullptr;  // stop after the current mode
  WarmupRule warmup;
  // Called before every mode is measured (a real board drops the page cache here).
  std::function<void(const Configuration& next)> before_run;
};

struct CharacterizeCallbacks {
  // Before each campaign: its position, the number of campaigns, and the campaign.
  std::function<void(size_t index, size_t count, const CampaignSpec& campaign)> on_campaign;
  // A campaign's rows, in configuration order, when it has finished (or stopped: its finished rows).
  std::function<void(const std::vector<CharacterizationRow>& rows)> on_rows;
  // Every configuration finished or resumed: done so far, total, and whether it was resumed.
  std::function<void(size_t done, size_t total, const Configuration& config, bool resumed)> on_config;
};

struct CharacterizeOutcome {
  std::vector<CharacterizationRow> rows;  // finished configurations, in configuration order
  size_t total = 0, resumed = 0, measured = 0;
  bool stopped = false;
  double elapsed_s = 0;
  std::string id;
  std::vector<std::string> campaign_ids;
};

// Run (or resume) every campaign of the characterization through `log` (the store in the CLI). Exceptions from
// the backend propagate (finished configurations stay recorded).
CharacterizeOutcome run_characterization(device::Backend& backend, const CharacterizationSpec& spec,
                                         CampaignLog& log, const CharacterizeOptions& options = {},
                                         const CharacterizeCallbacks& callbacks = {});

}  // namespace modewise::profile
