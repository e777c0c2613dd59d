// Profiling campaigns: measure a workload at a list of power modes, one mode at a time, so that a campaign
// killed at any point (even kill -9) loses no finished mode and the same command resumes where it stopped.
//
// For each mode not yet done: apply, settle, run(minibatches + warm-up allowance), summarize (warmup.h),
// record in the CampaignLog (the store: one transaction per mode, with the raw samples), then report the row.
// A campaign's identity is a hash of everything that defines what it measures (backend, workload request,
// mode list, minibatches, warm-up allowance, seed): rerunning the same command finds the same campaign.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "modewise/device/backend.h"
#include "modewise/device/device_spec.h"
#include "modewise/profile/profile.h"
#include "modewise/profile/warmup.h"

namespace modewise::profile {

struct CampaignSpec {
  std::string backend;     // Backend::name(): "sim:orin-agx", "replay:f.csv", "jetson"
  std::string device;      // DeviceSpec::name
  std::string provenance;  // measured / emulated / replayed
  device::WorkloadRequest workload;
  std::vector<device::PowerMode> modes;  // in measuring order, without duplicates
  int minibatches = 40;                  // measurement window per mode
  int warmup_allowance = 10;             // extra minibatches run per mode so warm-up can be skipped
  uint64_t seed = 1;
  std::string fingerprint;  // more identity when not empty, e.g. a replay file's content hash
  // Where the rows are measured: the `board` column of every row (shard.h, board_id.h). Not part of the identity:
  // a shard resumed on another board of the same store keeps each row's own board.
  std::string board;
  // A shard of a longer mode list (shard.h, apply_shard): `modes` is shard "K/N" of a list of `full_modes` modes
  // whose FNV-1a hash is `full_list` (all three part of the identity); positions[i] is the place of modes[i] in
  // that list, recorded as the result's mode_index so merged shards keep the unsharded order. Empty: unsharded.
  std::string shard;
  size_t full_modes = 0;
  std::string full_list;
  std::vector<size_t> positions;
  // A campaign whose modes are chosen while it runs (run_chosen_campaign below; `profile --modes adaptive:N`):
  // `design` names how they are chosen (method, N, batch sizes, hashes of the base model and the candidate list),
  // `modes` stays empty and `planned_modes` is N. Both are part of the identity; empty/0 for a fixed mode list.
  std::string design;
  size_t planned_modes = 0;

  std::string identity() const;  // canonical text of what defines the campaign
  std::string id() const;        // 16 hex digits: FNV-1a 64 of identity()
  // Modes the campaign measures when complete: planned_modes for a chosen campaign, else modes.size().
  size_t mode_count() const { return design.empty() ? modes.size() : planned_modes; }
};

// One finished mode: the row for the CSV, its summary and the raw run it came from.
struct ModeResult {
  size_t mode_index = 0;  // position in CampaignSpec::modes (a chosen campaign: in the order measured)
  ProfileRow row;
  RunSummary summary;
  device::RunTrace trace;
};

// Where finished modes are kept (the store implements it; MemoryCampaignLog below keeps them in memory).
class CampaignLog {
 public:
  virtual ~CampaignLog() = default;
  // Register the campaign, or find it again, and return the rows of the modes it already finished.
  virtual std::vector<ProfileRow> open(const CampaignSpec& spec) = 0;
  // Persist one finished mode atomically (row and raw samples). Called before the row is reported anywhere.
  virtual void record(const CampaignSpec& spec, const ModeResult& result) = 0;
  // status: "done", "stopped" or "failed" (message: why).
  virtual void close(const CampaignSpec& spec, const std::string& status, const std::string& message) = 0;
};

// Keeps finished rows in memory only: resumes within one process (tests), not across processes.
class MemoryCampaignLog : public CampaignLog {
 public:
  std::vector<ProfileRow> open(const CampaignSpec& spec) override;
  void record(const CampaignSpec& spec, const ModeResult& result) override;
  void close(const CampaignSpec& spec, const std::string& status, const std::string& message) override;
  std::string status;  // last close() status
  std::vector<ModeResult> results;

 private:
  std::string id_;
};

struct CampaignOptions {
  int settle_ms = 0;                        // wait after apply() before run() (published setup: about 10 s)
  const std::atomic<bool>* stop = nullptr;  // set (e.g. by SIGINT/SIGTERM): stop after the current mode
  WarmupRule warmup;
};

struct CampaignCallbacks {
  // After the log was opened: the campaign id, modes already finished, modes in the campaign.
  std::function<void(const std::string& id, size_t done, size_t total)> on_start;
  // Every finished row: first the resumed ones (resumed = true, in mode order), then each new one as it completes.
  std::function<void(const ProfileRow& row, bool resumed)> on_row;
  // Before each mode is measured: modes done so far, total, and the mode about to be measured.
  std::function<void(size_t done, size_t total, const device::PowerMode& next)> on_progress;
  // Called exactly once when the campaign ends: finished, stopped or failing with an exception. The hook for
  // restoring the board's original power mode on real hardware.
  std::function<void()> on_exit;
  // A chosen campaign (run_chosen_campaign) only. on_choose: before each call of the chooser that decides new modes
  // (step 1 is the first batch; modes measured so far; planned). on_chosen: what it chose (empty: complete).
  std::function<void(size_t step, size_t done, size_t total)> on_choose;
  std::function<void(size_t step, const std::vector<device::PowerMode>& modes)> on_chosen;
  // A resumed chosen campaign whose stored rows are not what the chooser picks now (a changed chooser): a note.
  std::function<void(const std::string& message)> on_note;
};

struct CampaignOutcome {
  std::vector<ProfileRow> rows;  // every finished mode, in mode order (chosen campaign: order measured)
  size_t total = 0;              // modes in the campaign
  size_t resumed = 0;            // finished before this run
  size_t measured = 0;           // measured in this run
  bool stopped = false;          // stopped early by CampaignOptions::stop
  size_t choices = 0;            // chosen campaign: calls of the chooser in this run, replayed ones included
  double elapsed_s = 0;
  std::string id;
};

// Run (or resume) a campaign. Exceptions from the backend propagate after the log is closed as "failed";
// finished modes stay recorded.
CampaignOutcome run_campaign(device::Backend& backend, const CampaignSpec& spec, CampaignLog& log,
                             const CampaignOptions& options = {}, const CampaignCallbacks& callbacks = {});

// The next modes to measure, chosen from the rows measured so far (in the order measured); empty when the campaign
// is complete. It must be a pure function of its argument (the same rows give the same modes).
using ChooseModesFn = std::function<std::vector<device::PowerMode>(const std::vector<ProfileRow>& measured)>;

// Run (or resume) a campaign whose modes are chosen in batches while it runs (spec.design set, spec.modes empty):
// choose a batch from the rows so far, measure it mode by mode (each recorded as it completes, mode_index = the
// order measured), repeat until spec.planned_modes are measured or `choose` returns nothing. On resume the stored
// rows are read in the order measured and the choices are replayed from them (choose(first rows of each batch)),
// so a batch interrupted by a kill is finished with the modes it was chosen with: a resumed campaign measures the
// same modes in the same order as an uninterrupted one. If the stored rows disagree with the replayed choice (the
// chooser changed), on_note says so and the campaign goes on from the rows as stored; no row is lost or measured
// twice either way. Outcome rows are in the order measured.
CampaignOutcome run_chosen_campaign(device::Backend& backend, const CampaignSpec& spec, CampaignLog& log,
                                    const ChooseModesFn& choose, const CampaignOptions& options = {},
                                    const CampaignCallbacks& callbacks = {});

// The row for one mode from its run summary.
ProfileRow make_row(const CampaignSpec& spec, const device::PowerMode& mode, const RunSummary& summary);

// --modes: "all" (every mode of `grid`), "maxn" or another named mode, "random:N" (N modes of `grid` sampled
// without replacement with `seed`, in grid order), or a CSV file with cores,cpu_mhz,gpu_mhz,emc_mhz columns.
// (spread:N and adaptive:N need predict, above this module: the CLI resolves them, src/cli/mode_designs.h.)
// Every mode is checked against the device. Throws UsageError for a bad argument, Error for a bad file.
std::vector<device::PowerMode> resolve_modes(const device::DeviceSpec& spec, const std::string& modes_arg,
                                             const std::string& grid, uint64_t seed);
// N of "random:N" (the text after the colon); throws UsageError unless it is a whole number.
long long parse_mode_count(std::string_view text);
// `n` of `modes` sampled without replacement (deterministic for a seed on every platform), in their input order.
std::vector<device::PowerMode> sample_modes(const std::vector<device::PowerMode>& modes, size_t n, uint64_t seed);
// Modes without repeats, first occurrence kept.
std::vector<device::PowerMode> unique_modes(const std::vector<device::PowerMode>& modes);

// FNV-1a 64-bit hash as 16 hex digits.
std::string fnv1a_hex(std::string_view text);

}  // namespace modewise::profile
