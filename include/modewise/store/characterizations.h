// Characterizations in the store: which campaigns make up a characterization sweep (profile/characterize.h) and
// how it was defined, so `report` can find it again and rebuild its per-configuration rows.
// Two tables beside the store's schema, created on first use (CREATE TABLE IF NOT EXISTS; the store's schema
// version is unchanged, older files gain them when a characterization is first stored):
//   characterizations        (id, device, workload, task, backend, provenance, definition_json, source, status, ...)
//   characterization_configs (characterization_id, config_index, campaign_id, batch_size, workers, storage,
//                             mode_name, mode_key)
// The measurements themselves are ordinary campaign results (results/samples/power_samples).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "modewise/device/device_spec.h"
#include "modewise/profile/characterize.h"
#include "modewise/store/store.h"

namespace modewise::store {

namespace sql {
class Db;
}

struct CharacterizationInfo {
  std::string id;
  std::string device, workload, task, backend, provenance;
  std::string status;   // running, stopped, done, failed
  std::string message;
  std::string source;   // the command line
  int64_t configs_total = 0, configs_done = 0;
  std::string created_at, updated_at;
};

// The definition as stored (definition_json) and back. Throws Error naming `source` for a malformed definition.
nlohmann::json characterization_to_json(const profile::CharacterizationSpec& spec);
profile::CharacterizationSpec characterization_from_json(const nlohmann::json& j, const std::string& source);

class CharacterizationStore {
 public:
  // A second connection to the store's file (WAL: it does not block the campaign writer).
  explicit CharacterizationStore(Store& store);
  ~CharacterizationStore();
  CharacterizationStore(const CharacterizationStore&) = delete;
  CharacterizationStore& operator=(const CharacterizationStore&) = delete;

  // Register (or find again) a characterization and its configurations; status becomes "running".
  void open(const profile::CharacterizationSpec& spec, const std::string& source);
  void close(const std::string& id, const std::string& status, const std::string& message);

  std::vector<CharacterizationInfo> list();
  // By full id or unique prefix: nullopt when none matches; Error when several do.
  std::optional<CharacterizationInfo> find(const std::string& id_or_prefix);
  profile::CharacterizationSpec definition(const std::string& id);
  // Finished configurations, in configuration order, rebuilt from the member campaigns' results.
  std::vector<profile::CharacterizationRow> rows(const std::string& id);
  // Campaigns that belong to any characterization.
  std::set<std::string> member_campaigns();
  // The device description stored with the device (devices.spec_json), or the built-in one; nullopt when unknown.
  std::optional<device::DeviceSpec> device_spec(const std::string& device_name);

 private:
  Store& store_;
  std::unique_ptr<sql::Db> db_;
};

}  // namespace modewise::store
