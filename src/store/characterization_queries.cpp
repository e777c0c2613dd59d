// Characterizations in the store (include/modewise/store/characterizations.h): two tables beside the campaign
// schema and the queries the characterize and report commands need.
#include <sqlite3.h>

#include <map>

#include <nlohmann/json.hpp>

#include "modewise/device/device_spec.h"
#include "modewise/store/characterizations.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"
#include "store/sqlite.h"

namespace modewise::store {

using sql::Stmt;
using sql::Transaction;

namespace {

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

constexpr const char* kTables = R"sql(
CREATE TABLE IF NOT EXISTS characterizations (
  id              TEXT PRIMARY KEY,     -- 16 hex digits: FNV-1a 64 of CharacterizationSpec::identity()
  device          TEXT NOT NULL,
  workload        TEXT NOT NULL,
  task            TEXT NOT NULL,
  backend         TEXT NOT NULL,
  provenance      TEXT NOT NULL,
  definition_json TEXT NOT NULL,        -- characterization_to_json()
  source          TEXT NOT NULL,        -- command line
  status          TEXT NOT NULL,        -- running / stopped / done / failed
  message         TEXT NOT NULL DEFAULT '',
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS characterization_configs (
  characterization_id TEXT NOT NULL REFERENCES characterizations(id) ON DELETE CASCADE,
  config_index        INTEGER NOT NULL,
  campaign_id         TEXT NOT NULL,    -- campaigns(id), registered when the campaign first runs
  batch_size          INTEGER NOT NULL,
  workers             INTEGER NOT NULL,
  storage             TEXT NOT NULL,
  mode_name           TEXT NOT NULL,
  mode_key            TEXT NOT NULL,
  PRIMARY KEY (characterization_id, config_index)
) WITHOUT ROWID;
)sql";

constexpr const char* kInfoSelect =
    "SELECT c.id, c.device, c.workload, c.task, c.backend, c.provenance, c.status, c.message, c.source, "
    "(SELECT count(*) FROM characterization_configs k WHERE k.characterization_id = c.id), "
    "(SELECT count(*) FROM characterization_configs k JOIN results r ON r.campaign_id = k.campaign_id "
    " AND r.mode_key = k.mode_key WHERE k.characterization_id = c.id), c.created_at, c.updated_at "
    "FROM characterizations c ";

CharacterizationInfo info_from(const Stmt& s) {
  CharacterizationInfo c;
  c.id = s.text(0);
  c.device = s.text(1);
  c.workload = s.text(2);
  c.task = s.text(3);
  c.backend = s.text(4);
  c.provenance = s.text(5);
  c.status = s.text(6);
  c.message = s.text(7);
  c.source = s.text(8);
  c.configs_total = s.int64(9);
  c.configs_done = s.int64(10);
  c.created_at = s.text(11);
  c.updated_at = s.text(12);
  return c;
}

}  // namespace

// ---- definition <-> JSON

nlohmann::json characterization_to_json(const profile::CharacterizationSpec& s) {
  nlohmann::json modes = nlohmann::json::array();
  for (const auto& m : s.axes.modes) {
    nlohmann::json j = device::mode_to_json(m.mode);
    j["name"] = m.name;
    modes.push_back(j);
  }
  return {{"version", 1},
          {"backend", s.backend},
          {"device", s.device},
          {"provenance", s.provenance},
          {"workload", s.workload.workload},
          {"task", s.workload.task},
          {"command", s.workload.command},
          {"container", s.container},
          {"minibatches", s.minibatches},
          {"epochs", s.epochs},
          {"dataset_samples", s.dataset_samples},
          {"warmup_allowance", s.warmup_allowance},
          {"seed", s.seed},
          {"storage_paths", s.storage_paths},
          {"axes",
           {{"batch_size", s.axes.batch_sizes}, {"workers", s.axes.workers}, {"storage", s.axes.storage},
            {"mode", modes}}}};
}

profile::CharacterizationSpec characterization_from_json(const nlohmann::json& j, const std::string& source) {
  try {
    profile::CharacterizationSpec s;
    s.backend = j.at("backend").get<std::string>();
    s.device = j.at("device").get<std::string>();
    s.provenance = j.at("provenance").get<std::string>();
    s.workload.workload = j.at("workload").get<std::string>();
    s.workload.task = j.at("task").get<std::string>();
    s.workload.command = j.at("command").get<std::string>();
    s.container = j.at("container").get<std::string>();
    s.minibatches = j.at("minibatches").get<int>();
    s.epochs = j.at("epochs").get<int>();
    s.dataset_samples = j.at("dataset_samples").get<int>();
    s.warmup_allowance = j.at("warmup_allowance").get<int>();
    s.seed = j.at("seed").get<uint64_t>();
    s.storage_paths = j.at("storage_paths").get<std::map<std::string, std::string>>();
    const auto& a = j.at("axes");
    s.axes.batch_sizes = a.at("batch_size").get<std::vector<int>>();
    s.axes.workers = a.at("workers").get<std::vector<int>>();
    s.axes.storage = a.at("storage").get<std::vector<std::string>>();
    s.axes.modes.clear();
    for (const auto& m : a.at("mode"))
      s.axes.modes.push_back({m.at("name").get<std::string>(),
                              {m.at("cores").get<int>(), m.at("cpu_mhz").get<double>(), m.at("gpu_mhz").get<double>(),
                               m.at("emc_mhz").get<double>()}});
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw Error("{}: malformed characterization definition: {}", source, e.what());
  }
}

// ---- the store side

CharacterizationStore::CharacterizationStore(Store& store) : store_(store) {
  db_ = std::make_unique<sql::Db>(store.path(), /*create=*/false, store.read_only());
  sqlite3_busy_timeout(db_->handle(), 5000);
  db_->exec("PRAGMA foreign_keys = ON", "enabling foreign keys");
  if (store.read_only()) {  // never change the file: a store without these tables reads as having none
    Stmt s(*db_, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'characterizations'");
    if (s.step() && s.integer(0) == 0) {
      std::string temp = kTables;
      for (size_t at; (at = temp.find("CREATE TABLE")) != std::string::npos;) temp.replace(at, 12, "CREATE TEMP TABLE");
      db_->exec(temp, "creating empty characterization tables");
    }
    return;
  }
  Transaction tx(*db_);
  db_->exec(kTables, "creating the characterization tables");
  tx.commit();
}

CharacterizationStore::~CharacterizationStore() = default;

void CharacterizationStore::open(const profile::CharacterizationSpec& spec, const std::string& source) {
  const std::string id = spec.id();
  const auto configs = profile::configurations(spec);
  const auto plan = profile::plan_campaigns(spec);
  Transaction tx(*db_);
  Stmt up(*db_, fmt::format(
                    "INSERT INTO characterizations (id, device, workload, task, backend, provenance, definition_json, "
                    "source, status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'running', {0}, "
                    "{0}) ON CONFLICT (id) DO UPDATE SET status = 'running', message = '', updated_at = {0}",
                    kNow));
  up.bind(1, id).bind(2, spec.device).bind(3, spec.workload.workload).bind(4, spec.workload.task);
  up.bind(5, spec.backend).bind(6, spec.provenance).bind(7, characterization_to_json(spec).dump()).bind(8, source);
  up.run();
  Stmt ins(*db_,
           "INSERT INTO characterization_configs (characterization_id, config_index, campaign_id, batch_size, workers, "
           "storage, mode_name, mode_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
           "ON CONFLICT (characterization_id, config_index) DO NOTHING");
  for (const auto& p : plan) {
    std::string campaign_id = p.campaign.id();
    for (size_t index : p.configs) {
      const auto& c = configs[index];
      ins.bind(1, id).bind(2, static_cast<int64_t>(c.index)).bind(3, campaign_id).bind(4, c.batch_size);
      ins.bind(5, c.workers).bind(6, c.storage).bind(7, c.mode.name).bind(8, c.mode.mode.key());
      ins.run();
      ins.reset();
    }
  }
  tx.commit();
}

void CharacterizationStore::close(const std::string& id, const std::string& status, const std::string& message) {
  Stmt s(*db_, fmt::format("UPDATE characterizations SET status = ?2, message = ?3, updated_at = {} WHERE id = ?1",
                           kNow));
  s.bind(1, id).bind(2, status).bind(3, message).run();
}

std::vector<CharacterizationInfo> CharacterizationStore::list() {
  Stmt s(*db_, std::string(kInfoSelect) + "ORDER BY c.created_at, c.id");
  std::vector<CharacterizationInfo> out;
  while (s.step()) out.push_back(info_from(s));
  return out;
}

std::optional<CharacterizationInfo> CharacterizationStore::find(const std::string& prefix) {
  std::string want = util::to_lower(util::trim(prefix));
  if (want.empty()) return std::nullopt;
  Stmt s(*db_, std::string(kInfoSelect) + "WHERE substr(c.id, 1, length(?1)) = ?1 ORDER BY c.id");
  s.bind(1, want);
  std::vector<CharacterizationInfo> found;
  while (s.step()) found.push_back(info_from(s));
  if (found.empty()) return std::nullopt;
  if (found.size() > 1)
    throw Error("{}: characterization id '{}' is ambiguous: it starts {} and {}", store_.path(), prefix, found[0].id,
                found[1].id);
  return found.front();
}

profile::CharacterizationSpec CharacterizationStore::definition(const std::string& id) {
  Stmt s(*db_, "SELECT definition_json FROM characterizations WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) throw Error("{}: no characterization '{}'", store_.path(), id);
  std::string where = fmt::format("{}: characterization {}", store_.path(), id);
  auto j = nlohmann::json::parse(s.text(0), nullptr, false);
  if (j.is_discarded()) throw Error("{}: definition is not valid JSON", where);
  return characterization_from_json(j, where);
}

std::vector<profile::CharacterizationRow> CharacterizationStore::rows(const std::string& id) {
  profile::CharacterizationSpec spec = definition(id);
  struct Config {
    profile::Configuration config;
    std::string campaign_id, mode_key;
  };
  std::vector<Config> configs;
  {
    Stmt s(*db_,
           "SELECT config_index, campaign_id, batch_size, workers, storage, mode_name, mode_key "
           "FROM characterization_configs WHERE characterization_id = ?1 ORDER BY config_index");
    s.bind(1, id);
    std::map<std::string, profile::NamedMode> modes;
    for (const auto& m : spec.axes.modes) modes[m.mode.key()] = m;
    while (s.step()) {
      Config c;
      c.config.index = static_cast<size_t>(s.int64(0));
      c.campaign_id = s.text(1);
      c.config.batch_size = s.integer(2);
      c.config.workers = s.integer(3);
      c.config.storage = s.text(4);
      c.mode_key = s.text(6);
      auto it = modes.find(c.mode_key);
      if (it == modes.end())
        throw Error("{}: characterization {}: configuration {} has mode {} that its definition lacks", store_.path(),
                    id, c.config.index, c.mode_key);
      c.config.mode = it->second;
      c.config.mode.name = s.text(5);
      configs.push_back(std::move(c));
    }
  }
  std::map<std::string, std::map<std::string, profile::ProfileRow>> by_campaign;  // campaign -> mode key -> row
  std::vector<profile::CharacterizationRow> out;
  for (const auto& c : configs) {
    auto [it, fresh] = by_campaign.try_emplace(c.campaign_id);
    if (fresh)
      for (auto& row : store_.campaign_rows(c.campaign_id)) it->second[row.mode.key()] = std::move(row);
    if (auto r = it->second.find(c.mode_key); r != it->second.end())
      out.push_back(profile::make_characterization_row(spec, c.config, r->second, c.campaign_id));
  }
  return out;
}

std::set<std::string> CharacterizationStore::member_campaigns() {
  Stmt s(*db_, "SELECT DISTINCT campaign_id FROM characterization_configs");
  std::set<std::string> out;
  while (s.step()) out.insert(s.text(0));
  return out;
}

std::optional<device::DeviceSpec> CharacterizationStore::device_spec(const std::string& name) {
  Stmt s(*db_, "SELECT spec_json FROM devices WHERE name = ?1");
  s.bind(1, name);
  if (s.step() && !s.is_null(0)) {
    auto j = nlohmann::json::parse(s.text(0), nullptr, false);
    if (!j.is_discarded()) {
      try {
        return device::device_from_json(j, fmt::format("{}: device {}", store_.path(), name));
      } catch (const Error&) {
        // fall through to the built-in description
      }
    }
  }
  for (const auto& b : device::builtin_device_names())
    if (b == name) return device::builtin_device(name);
  return std::nullopt;
}

}  // namespace modewise::store
