#include "modewise/store/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"
#include "store/schema.h"
#include "store/sqlite.h"

namespace modewise::store {

using sql::Stmt;
using sql::Transaction;

static_assert(std::endian::native == std::endian::little, "power traces are stored as little-endian float64");

namespace {

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

int pragma_int(sql::Db& db, const char* name) {
  Stmt s(db, fmt::format("PRAGMA {}", name));
  return s.step() ? s.integer(0) : 0;
}

bool has_column(sql::Db& db, const char* table, const char* column) {
  Stmt s(db, fmt::format("PRAGMA table_info({})", table));
  while (s.step())
    if (s.text(1) == column) return true;
  return false;
}

std::string metrics_json(const std::map<std::string, double>& metrics) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : metrics)
    if (!std::isnan(v)) j[k] = v;
  return j.dump();
}

std::map<std::string, double> parse_metrics(const std::string& text) {
  std::map<std::string, double> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object())
    for (auto& [k, v] : j.items())
      if (v.is_number()) out[k] = v.get<double>();
  return out;
}

bool is_builtin(const std::string& name) {
  auto names = device::builtin_device_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Mean power over [t0, t1) from a trace sorted by time; NaN when no sample falls inside.
double mean_power(const std::vector<device::PowerSample>& p, double t0, double t1) {
  auto lo = std::lower_bound(p.begin(), p.end(), t0, [](const auto& s, double t) { return s.t_s < t; });
  double sum = 0;
  int n = 0;
  for (auto it = lo; it != p.end() && it->t_s < t1; ++it) sum += it->power_w, ++n;
  return n ? sum / n : std::nan("");
}

}  // namespace

// ---- opening and schema

Store::Store(const std::string& path, bool create) : path_(path) { open(create, /*read_only=*/false); }

Store::Store(const std::string& path, ReadOnly) : path_(path) { open(/*create=*/false, /*read_only=*/true); }

void Store::open(bool create, bool read_only) {
  const std::string& path = path_;
  read_only_ = read_only;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error("{}: is a directory, not a store file (pass --db PATH of a file)", path);
  if (!create && !std::filesystem::exists(path, ec))
    throw Error("{}: no store at this path (profile or import something first, or pass --db PATH)", path);
  if (read_only && std::filesystem::file_size(path, ec) == 0 && !ec)
    throw Error("{}: not a modewise store (an empty file); pass the --db PATH of a store", path);
  db_ = std::make_unique<sql::Db>(path, create, read_only);
  sqlite3_busy_timeout(db_->handle(), 5000);
  int version = 0, app_id = 0, tables = 0;
  try {
    // One read transaction: the three reads see the same snapshot. Without it, a process opening a new store while
    // another one creates its schema could read version 0 before that commit and the schema's tables after it, and
    // call the store "another application's" (seen with a test polling a campaign's store).
    db_->exec("BEGIN", "reading the store header");
    version = pragma_int(*db_, "user_version");
    app_id = pragma_int(*db_, "application_id");
    {
      Stmt s(*db_, "SELECT count(*) FROM sqlite_master");
      if (s.step()) tables = s.integer(0);
    }
    db_->exec("COMMIT", "reading the store header");
  } catch (const Error& e) {
    throw Error("{}: not a usable modewise store (corrupt, or not an SQLite database): {} (move it away or use --db "
                "PATH)", path, e.what());
  }
  if (app_id != 0 && app_id != kApplicationId)
    throw Error("{}: not a modewise store (SQLite application id {:#x}, expected {:#x}); use another --db PATH", path,
                static_cast<uint32_t>(app_id), static_cast<uint32_t>(kApplicationId));
  if (version > kSchemaVersion)
    throw Error("{}: store schema version {} is newer than this modewise understands (version {}); use a newer "
                "modewise or another --db PATH", path, version, kSchemaVersion);
  if (version == 0 && tables > 0)
    throw Error("{}: not a modewise store (it holds {} tables of another application and no modewise schema "
                "version); use another --db PATH", path, tables);
  if (read_only) {
    if (version == 0) throw Error("{}: not a modewise store (no modewise schema); pass the --db PATH of a store", path);
    db_->exec("PRAGMA foreign_keys = ON", "enabling foreign keys");
    has_board_ = has_column(*db_, "results", "board");
    return;
  }
  db_->exec("PRAGMA foreign_keys = ON", "enabling foreign keys");
  if (version == 0) {
    Transaction tx(*db_);
    if (pragma_int(*db_, "user_version") == 0) {  // another process may have created it meanwhile
      db_->exec(detail::kSchemaV1, "creating the store schema");
      db_->exec(fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {}", kApplicationId, kSchemaVersion),
                "setting the schema version");
    }
    tx.commit();
  }
  // results.board (docs/FLEET.md) came after version 1 was fixed: an additive column, added to older version-1
  // files on their first read-write open (older modewise builds name their columns and ignore it).
  if (!has_column(*db_, "results", "board")) {
    Transaction tx(*db_);
    if (!has_column(*db_, "results", "board"))  // another process may have added it meanwhile
      db_->exec("ALTER TABLE results ADD COLUMN board TEXT NOT NULL DEFAULT ''", "adding the board column");
    tx.commit();
  }
  // WAL: readers never block the campaign writer. synchronous = NORMAL (in WAL mode): a committed mode survives
  // the process being killed at any point; a power cut may lose the last few committed modes (they are measured
  // again on resume) but never corrupts the file.
  Stmt wal(*db_, "PRAGMA journal_mode = WAL");
  wal.run();
  db_->exec("PRAGMA synchronous = NORMAL", "setting synchronous mode");
}

Store::~Store() = default;

int64_t Store::upsert_device(const std::string& name, const device::DeviceSpec* spec) {
  std::optional<device::DeviceSpec> builtin;
  if (!spec && is_builtin(name)) spec = &builtin.emplace(device::builtin_device(name));
  Stmt s(*db_,
         "INSERT INTO devices (name, description, spec_json) VALUES (?1, ?2, ?3) "
         "ON CONFLICT (name) DO UPDATE SET description = coalesce(excluded.description, description), "
         "spec_json = coalesce(excluded.spec_json, spec_json) RETURNING id");
  s.bind(1, name);
  if (spec) s.bind(2, spec->description).bind(3, device::device_to_json(*spec).dump());
  MW_CHECK(s.step());
  return s.int64(0);
}

int64_t Store::upsert_workload(const device::WorkloadRequest& w) {
  Stmt s(*db_,
         "INSERT INTO workloads (name, task, batch_size, workers, storage, command) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
         "ON CONFLICT (name, task, batch_size, workers, storage, command) DO UPDATE SET name = name RETURNING id");
  s.bind(1, w.workload).bind(2, w.task).bind(3, w.batch_size).bind(4, w.workers).bind(5, w.storage).bind(6, w.command);
  MW_CHECK(s.step());
  return s.int64(0);
}

// ---- campaigns

std::vector<profile::ProfileRow> Store::open_campaign(const profile::CampaignSpec& spec,
                                                      const device::DeviceSpec* device_spec,
                                                      const std::string& source) {
  std::string id = spec.id(), identity = spec.identity();
  {
    Transaction tx(*db_);
    int64_t device_id = upsert_device(spec.device, device_spec);
    int64_t workload_id = upsert_workload(spec.workload);
    Stmt find(*db_, "SELECT identity, kind FROM campaigns WHERE id = ?1");
    find.bind(1, id);
    if (find.step()) {
      if (find.text(0) != identity || find.text(1) != "profile")
        throw Error("{}: campaign {} is already used by a different campaign (a hash collision); use another --db",
                    path_, id);
      Stmt upd(*db_, fmt::format("UPDATE campaigns SET status = 'running', message = '', updated_at = {} "
                                 "WHERE id = ?1", kNow));
      upd.bind(1, id).run();
    } else {
      Stmt ins(*db_, fmt::format(
                         "INSERT INTO campaigns (id, kind, device_id, workload_id, backend, provenance, minibatches, "
                         "warmup_allowance, seed, modes_total, identity, source, status, created_at, updated_at) "
                         "VALUES (?1, 'profile', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'running', {0}, {0})",
                         kNow));
      ins.bind(1, id).bind(2, device_id).bind(3, workload_id).bind(4, spec.backend).bind(5, spec.provenance);
      ins.bind(6, spec.minibatches).bind(7, spec.warmup_allowance).bind(8, static_cast<int64_t>(spec.seed));
      ins.bind(9, static_cast<int64_t>(spec.mode_count())).bind(10, identity).bind(11, source);
      ins.run();
    }
    tx.commit();
  }
  return campaign_rows(id);
}

bool Store::record_result(const profile::CampaignSpec& spec, const profile::ModeResult& r) {
  return record_result(spec.id(), r);
}

bool Store::record_result(const std::string& id, const profile::ModeResult& r) {
  const auto& row = r.row;
  Transaction tx(*db_);
  Stmt ins(*db_, fmt::format(
                     "INSERT INTO results (campaign_id, mode_index, mode_key, cores, cpu_mhz, gpu_mhz, emc_mhz, "
                     "time_ms, power_w, energy_j, time_sd_ms, power_sd_w, samples, warmup_minibatches, "
                     "warmup_method, provenance, metrics_json, board, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                     "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, {}) ON CONFLICT (campaign_id, mode_key) DO NOTHING",
                     kNow));
  ins.bind(1, id).bind(2, static_cast<int64_t>(r.mode_index)).bind(3, row.mode.key()).bind(4, row.mode.cores);
  ins.bind(5, row.mode.cpu_mhz).bind(6, row.mode.gpu_mhz).bind(7, row.mode.emc_mhz).bind(8, row.time_ms);
  ins.bind(9, row.power_w).bind(10, row.energy_j).bind(11, row.time_sd_ms).bind(12, row.power_sd_w);
  ins.bind(13, row.samples).bind(14, r.summary.warmup_minibatches).bind(15, r.summary.warmup_method);
  ins.bind(16, row.provenance).bind(17, metrics_json(row.metrics)).bind(18, row.board);
  ins.run();
  if (db_->changes() == 0) return false;  // recorded by a concurrent run: keep the first
  int64_t result_id = db_->last_insert_id();

  std::vector<device::PowerSample> power = r.trace.power;
  std::stable_sort(power.begin(), power.end(), [](const auto& a, const auto& b) { return a.t_s < b.t_s; });
  size_t window_first = static_cast<size_t>(r.summary.warmup_minibatches);
  size_t window_end = window_first + static_cast<size_t>(r.summary.samples);
  Stmt mb(*db_, "INSERT INTO samples (result_id, idx, start_s, time_ms, fetch_ms, compute_ms, power_w, phase) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  for (size_t i = 0; i < r.trace.minibatches.size(); ++i) {
    const auto& m = r.trace.minibatches[i];
    const char* phase = i < window_first ? "warmup" : i < window_end ? "window" : "after";
    mb.bind(1, result_id).bind(2, static_cast<int64_t>(i)).bind(3, m.start_s).bind(4, m.time_ms);
    mb.bind(5, m.fetch_ms).bind(6, m.compute_ms).bind(7, mean_power(power, m.start_s, m.start_s + m.time_ms / 1000));
    mb.bind(8, phase);
    mb.run();
    mb.reset();
  }
  std::vector<double> t_s, power_w;
  for (const auto& p : power) t_s.push_back(p.t_s), power_w.push_back(p.power_w);
  Stmt ps(*db_, "INSERT INTO power_traces (result_id, samples, t_s, power_w) VALUES (?1, ?2, ?3, ?4)");
  ps.bind(1, result_id).bind(2, static_cast<int64_t>(power.size()));
  ps.bind_blob(3, t_s.data(), t_s.size() * sizeof(double)).bind_blob(4, power_w.data(), power_w.size() * sizeof(double));
  ps.run();
  Stmt upd(*db_, fmt::format("UPDATE campaigns SET updated_at = {} WHERE id = ?1", kNow));
  upd.bind(1, id).run();
  tx.commit();
  return true;
}

void Store::close_campaign(const std::string& id, const std::string& status, const std::string& message) {
  Stmt s(*db_, fmt::format("UPDATE campaigns SET status = ?2, message = ?3, updated_at = {} WHERE id = ?1", kNow));
  s.bind(1, id).bind(2, status).bind(3, message).run();
}

namespace {
constexpr const char* kCampaignSelect =
    "SELECT c.id, c.kind, d.name, w.name, w.task, w.batch_size, c.backend, c.provenance, c.status, c.message, "
    "c.source, c.minibatches, c.modes_total, (SELECT count(*) FROM results r WHERE r.campaign_id = c.id), "
    "c.created_at, c.updated_at FROM campaigns c JOIN devices d ON d.id = c.device_id "
    "JOIN workloads w ON w.id = c.workload_id ";

CampaignInfo campaign_from(const Stmt& s) {
  CampaignInfo c;
  c.id = s.text(0);
  c.kind = s.text(1);
  c.device = s.text(2);
  c.workload = s.text(3);
  c.task = s.text(4);
  c.batch_size = s.integer(5);
  c.backend = s.text(6);
  c.provenance = s.text(7);
  c.status = s.text(8);
  c.message = s.text(9);
  c.source = s.text(10);
  c.minibatches = s.integer(11);
  c.modes_total = s.int64(12);
  c.modes_done = s.int64(13);
  c.created_at = s.text(14);
  c.updated_at = s.text(15);
  return c;
}
}  // namespace

std::vector<CampaignInfo> Store::list_campaigns() {
  Stmt s(*db_, std::string(kCampaignSelect) + "ORDER BY c.created_at, c.id");
  std::vector<CampaignInfo> out;
  while (s.step()) out.push_back(campaign_from(s));
  return out;
}

CampaignInfo Store::find_campaign(const std::string& prefix) {
  auto found = find_campaign_if_any(prefix);
  if (!found) throw Error("{}: no campaign '{}' (see `modewise db list`)", path_, prefix);
  return *found;
}

std::optional<CampaignInfo> Store::find_campaign_if_any(const std::string& prefix) {
  std::string want = util::to_lower(util::trim(prefix));
  if (want.empty()) throw UsageError("--campaign: expected a campaign id (see `modewise db list`)");
  Stmt s(*db_, std::string(kCampaignSelect) + "WHERE substr(c.id, 1, length(?1)) = ?1 ORDER BY c.id");
  s.bind(1, want);
  std::vector<CampaignInfo> found;
  while (s.step()) found.push_back(campaign_from(s));
  if (found.empty()) return std::nullopt;
  if (found.size() > 1) {
    std::string ids;
    for (const auto& c : found) {
      if (!ids.empty()) ids += ", ";
      ids += c.id;
    }
    throw Error("{}: campaign id '{}' is ambiguous: it starts {} ({})", path_, prefix, found.size() == 2 ? "both" : "all of",
                ids);
  }
  return found.front();
}

std::vector<StoredResult> Store::campaign_results(const std::string& id) {
  Stmt s(*db_,
         "SELECT r.id, r.mode_index, r.cores, r.cpu_mhz, r.gpu_mhz, r.emc_mhz, r.time_ms, r.power_w, r.energy_j, "
         "r.time_sd_ms, r.power_sd_w, r.samples, r.provenance, r.metrics_json, r.warmup_method, r.recorded_at, "
         "(SELECT count(*) FROM samples m WHERE m.result_id = r.id), "
         "coalesce((SELECT p.samples FROM power_traces p WHERE p.result_id = r.id), 0), d.name, w.name, w.task, w.batch_size, " +
             std::string(has_board_ ? "r.board " : "'' ") +
             "FROM results r JOIN campaigns c ON c.id = r.campaign_id JOIN devices d ON d.id = c.device_id "
         "JOIN workloads w ON w.id = c.workload_id WHERE r.campaign_id = ?1 ORDER BY r.mode_index, r.id");
  s.bind(1, id);
  std::vector<StoredResult> out;
  while (s.step()) {
    StoredResult r;
    r.result_id = s.int64(0);
    r.mode_index = s.integer(1);
    auto& row = r.row;
    row.mode = {s.integer(2), s.real(3), s.real(4), s.real(5)};
    row.time_ms = s.real(6);
    row.power_w = s.real(7);
    row.energy_j = s.real(8);
    row.time_sd_ms = s.real(9);
    row.power_sd_w = s.real(10);
    row.samples = s.is_null(11) ? 0 : s.integer(11);
    row.provenance = s.text(12);
    row.metrics = parse_metrics(s.text(13));
    r.warmup_method = s.text(14);
    r.recorded_at = s.text(15);
    r.minibatch_samples = s.int64(16);
    r.power_samples = s.int64(17);
    row.device = s.text(18);
    row.workload = s.text(19);
    row.task = s.text(20);
    row.batch_size = s.integer(21);
    row.board = s.text(22);
    out.push_back(std::move(r));
  }
  return out;
}

device::RunTrace Store::load_trace(int64_t result_id) {
  device::RunTrace t;
  Stmt mb(*db_, "SELECT start_s, time_ms, fetch_ms, compute_ms FROM samples WHERE result_id = ?1 ORDER BY idx");
  mb.bind(1, result_id);
  while (mb.step()) t.minibatches.push_back({mb.real(0), mb.real(1), mb.real(2), mb.real(3)});
  Stmt ps(*db_, "SELECT samples, t_s, power_w FROM power_traces WHERE result_id = ?1");
  ps.bind(1, result_id);
  if (ps.step()) {
    size_t n = static_cast<size_t>(ps.int64(0));
    std::string ts = ps.blob(1), pw = ps.blob(2);
    if (ts.size() != n * sizeof(double) || pw.size() != n * sizeof(double))
      throw Error("{}: power trace of result {} is damaged ({} samples, {} and {} bytes)", path_, result_id, n,
                  ts.size(), pw.size());
    t.power.resize(n);
    for (size_t i = 0; i < n; ++i) {
      std::memcpy(&t.power[i].t_s, ts.data() + i * sizeof(double), sizeof(double));
      std::memcpy(&t.power[i].power_w, pw.data() + i * sizeof(double), sizeof(double));
    }
  }
  return t;
}

std::vector<profile::ProfileRow> Store::campaign_rows(const std::string& id) {
  std::vector<profile::ProfileRow> rows;
  for (auto& r : campaign_results(id)) rows.push_back(std::move(r.row));
  return rows;
}

// ---- import

ImportSummary Store::import_csv(const std::string& path, const ImportOptions& o) {
  std::string text = util::read_text_file(path);
  util::CsvTable table = util::parse_csv(text, path);
  profile::Profile p = profile::parse_profile_csv(table);
  std::string content = profile::fnv1a_hex(text);
  std::string stem = std::filesystem::path(path).stem().string();

  struct Group {
    device::WorkloadRequest w;
    std::string device;
    std::vector<size_t> rows;
  };
  std::map<std::string, Group> groups;  // by device/workload/task/batch size
  std::vector<std::string> order;
  for (size_t i = 0; i < p.rows.size(); ++i) {
    auto& r = p.rows[i];
    if (r.device.empty()) r.device = o.device.empty() ? "unknown" : o.device;
    if (r.workload.empty()) r.workload = o.workload.empty() ? stem : o.workload;
    if (r.task.empty()) r.task = o.task;
    if (r.batch_size == 0) r.batch_size = o.batch_size;
    std::string key = fmt::format("{}\n{}\n{}\n{}", r.device, r.workload, r.task, r.batch_size);
    auto [it, fresh] = groups.try_emplace(key);
    if (fresh) {
      order.push_back(key);
      it->second.device = r.device;
      it->second.w.workload = r.workload;
      it->second.w.task = r.task;
      it->second.w.batch_size = r.batch_size;
      it->second.w.workers = -1;
      it->second.w.storage = "";
    }
    for (size_t j : it->second.rows)
      if (p.rows[j].mode == r.mode && p.rows[j].board == r.board)  // a merged export has a mode once per board
        throw Error("{}: power mode {} for {} {} {} batch size {} repeats line {}", table.where(table.rows[i]),
                    r.mode.key(), r.device, r.workload, r.task.empty() ? "(task?)" : r.task, r.batch_size,
                    table.rows[j].line);
    it->second.rows.push_back(i);
  }

  ImportSummary summary;
  std::vector<std::string> ids;
  {
    Transaction tx(*db_);
    for (const auto& key : order) {
      const Group& g = groups.at(key);
      std::string identity = fmt::format("modewise-import v1\ncontent={}\ngroup={}\n", content, key);
      std::string id = profile::fnv1a_hex(identity);
      Stmt del(*db_, "DELETE FROM campaigns WHERE id = ?1");
      del.bind(1, id).run();
      if (db_->changes() > 0) summary.replaced = true;
      std::vector<std::string> provenances;
      for (size_t i : g.rows) provenances.push_back(p.rows[i].provenance);
      std::string provenance = profile::combine_provenance(provenances);  // profile.h: the origin kept
      int64_t device_id = upsert_device(g.device, nullptr);
      int64_t workload_id = upsert_workload(g.w);
      Stmt ins(*db_, fmt::format(
                         "INSERT INTO campaigns (id, kind, device_id, workload_id, backend, provenance, minibatches, "
                         "warmup_allowance, seed, modes_total, identity, source, status, created_at, updated_at) "
                         "VALUES (?1, 'import', ?2, ?3, 'import', ?4, 0, 0, 0, ?5, ?6, ?7, 'imported', {0}, {0})",
                         kNow));
      ins.bind(1, id).bind(2, device_id).bind(3, workload_id).bind(4, provenance);
      ins.bind(5, static_cast<int64_t>(g.rows.size())).bind(6, identity).bind(7, path).run();
      Stmt res(*db_, fmt::format(
                         "INSERT INTO results (campaign_id, mode_index, mode_key, cores, cpu_mhz, gpu_mhz, emc_mhz, "
                         "time_ms, power_w, energy_j, time_sd_ms, power_sd_w, samples, provenance, metrics_json, "
                         "board, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                         "?15, ?16, {})",
                         kNow));
      for (size_t k = 0; k < g.rows.size(); ++k) {
        const auto& r = p.rows[g.rows[k]];
        res.bind(1, id).bind(2, static_cast<int64_t>(k)).bind(4, r.mode.cores);
        res.bind(3, r.board.empty() ? r.mode.key() : r.mode.key() + "@" + r.board);
        res.bind(5, r.mode.cpu_mhz).bind(6, r.mode.gpu_mhz).bind(7, r.mode.emc_mhz).bind(8, r.time_ms);
        res.bind(9, r.power_w).bind(10, r.energy_j).bind(11, r.time_sd_ms).bind(12, r.power_sd_w);
        if (r.samples > 0) res.bind(13, r.samples);
        res.bind(14, r.provenance).bind(15, metrics_json(r.metrics)).bind(16, r.board);
        res.run();
        res.reset();
      }
      summary.rows += g.rows.size();
      ids.push_back(id);
    }
    tx.commit();
  }
  for (const auto& id : ids) summary.campaigns.push_back(find_campaign(id));
  return summary;
}

// ---- the campaign log

StoreCampaignLog::StoreCampaignLog(Store& store, std::optional<device::DeviceSpec> device_spec, std::string source)
    : store_(store), device_spec_(std::move(device_spec)), source_(std::move(source)) {}

std::vector<profile::ProfileRow> StoreCampaignLog::open(const profile::CampaignSpec& spec) {
  id_ = spec.id();
  return store_.open_campaign(spec, device_spec_ ? &*device_spec_ : nullptr, source_);
}

// The runner calls record()/close() with the spec it opened: the id computed by open() is reused, so recording
// a mode costs the same whatever the number of modes in the campaign.
void StoreCampaignLog::record(const profile::CampaignSpec& spec, const profile::ModeResult& result) {
  store_.record_result(id_.empty() ? spec.id() : id_, result);
}

void StoreCampaignLog::close(const profile::CampaignSpec& spec, const std::string& status, const std::string& message) {
  store_.close_campaign(id_.empty() ? spec.id() : id_, status, message);
}

}  // namespace modewise::store
