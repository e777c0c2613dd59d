// The profile store: one SQLite file (default ~/.local/share/modewise/modewise.db, --db PATH) holding devices,
// workloads, campaigns (profiling runs and imported CSV files), per-mode results and the raw samples of every
// run (per minibatch, and the board power trace). WAL journal, a busy timeout, synchronous=NORMAL, a versioned
// schema (PRAGMA user_version) and an application id: a newer, foreign or corrupt file is a clear Error.
// Every finished mode is one transaction, so a campaign killed at any point loses no finished mode.
// Schema and guarantees: docs/PROFILING.md.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "modewise/device/device_spec.h"
#include "modewise/profile/campaign.h"
#include "modewise/profile/profile.h"

namespace modewise::store {

namespace sql {
class Db;
}

inline constexpr int kSchemaVersion = 1;
inline constexpr int32_t kApplicationId = 0x6d6f6465;  // "mode"

struct CampaignInfo {
  std::string id;
  std::string kind;  // "profile" or "import"
  std::string device, workload, task;
  int batch_size = 0;
  std::string backend, provenance;
  std::string status;  // running, stopped, done, failed, imported
  std::string message;
  std::string source;  // the command line that ran it, or the imported file
  int minibatches = 0;
  int64_t modes_total = 0, modes_done = 0;
  std::string created_at, updated_at;  // UTC, ISO 8601
};

// One stored per-mode result.
struct StoredResult {
  int64_t result_id = 0;
  int mode_index = 0;
  profile::ProfileRow row;
  std::string warmup_method;
  std::string recorded_at;
  int64_t minibatch_samples = 0, power_samples = 0;  // raw samples kept for it
};

struct MergeSummary;  // store/merge.h

struct ImportOptions {
  // Used for rows whose file has no such column (or an empty cell).
  std::string device, workload, task;
  int batch_size = 0;
};

struct ImportSummary {
  std::vector<CampaignInfo> campaigns;  // one per (device, workload, task, batch size) in the file
  size_t rows = 0;
  bool replaced = false;  // the same file content was imported before; its rows were replaced
};

class Store {
 public:
  // Opens the store, creating the file and schema when `create` (else Error when the file is missing).
  explicit Store(const std::string& path, bool create = true);
  // Opens an existing store read-only (db list, db export, report): never creates, changes or converts a file;
  // Error when it is missing, empty or not a modewise store.
  struct ReadOnly {};
  Store(const std::string& path, ReadOnly);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }

  // Campaigns (the StoreCampaignLog below drives these).
  std::vector<profile::ProfileRow> open_campaign(const profile::CampaignSpec& spec,
                                                 const device::DeviceSpec* device_spec, const std::string& source);
  // One transaction: the result row, every minibatch and every power sample. A mode already recorded for the
  // campaign (a concurrent run) is left as it was; returns false then.
  // O(1) in the number of modes when given the campaign id (spec.id() formats and hashes every mode).
  bool record_result(const std::string& campaign_id, const profile::ModeResult& result);
  bool record_result(const profile::CampaignSpec& spec, const profile::ModeResult& result);
  void close_campaign(const std::string& id, const std::string& status, const std::string& message);

  std::vector<CampaignInfo> list_campaigns();
  // By full id or a unique prefix. Throws Error when none or several match.
  CampaignInfo find_campaign(const std::string& id_or_prefix);
  // The same, but nullopt when none matches (still an Error when several do: "ambiguous").
  std::optional<CampaignInfo> find_campaign_if_any(const std::string& id_or_prefix);
  std::vector<StoredResult> campaign_results(const std::string& id);  // in mode order
  std::vector<profile::ProfileRow> campaign_rows(const std::string& id);
  // The raw run behind a result: every minibatch and the power trace (utilizations are not kept).
  device::RunTrace load_trace(int64_t result_id);

  // Import a profile CSV (profile.h schema) as one campaign per (device, workload, task, batch size).
  // Importing the same file content again replaces its rows. Errors name file:line and field.
  ImportSummary import_csv(const std::string& path, const ImportOptions& options = {});

 private:
  int64_t upsert_device(const std::string& name, const device::DeviceSpec* spec);
  int64_t upsert_workload(const device::WorkloadRequest& w);
  void open(bool create, bool read_only);
  std::string path_;
  bool read_only_ = false;
  std::unique_ptr<sql::Db> db_;
  bool has_board_ = true;  // results.board exists (a read-only open of an older version-1 file may lack it)

 public:
  // `db merge` (store/merge.h, merge.cpp): merge the campaigns of other stores into this one.
  MergeSummary merge_from(const std::vector<std::string>& input_paths);
};

// The campaign runner's log, kept in the store.
class StoreCampaignLog : public profile::CampaignLog {
 public:
  // device_spec: stored with the device (may be null); source: the command line, shown by `db list`.
  StoreCampaignLog(Store& store, std::optional<device::DeviceSpec> device_spec, std::string source);
  std::vector<profile::ProfileRow> open(const profile::CampaignSpec& spec) override;
  void record(const profile::CampaignSpec& spec, const profile::ModeResult& result) override;
  void close(const profile::CampaignSpec& spec, const std::string& status, const std::string& message) override;

 private:
  Store& store_;
  std::optional<device::DeviceSpec> device_spec_;
  std::string source_;
  std::string id_;  // of the campaign opened last: computed once per campaign, not per mode
};

}  // namespace modewise::store
