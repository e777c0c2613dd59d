// The store's schema, version 1 (PRAGMA user_version = 1). Changing it means a new version and a migration
// in Store::Store(); a file with a newer version is refused with a clear error.
#pragma once

namespace modewise::store::detail {

inline constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE devices (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT,
  spec_json   TEXT                      -- device_to_json() when known
);
CREATE TABLE workloads (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  task        TEXT NOT NULL,            -- train / infer / '' (unknown)
  batch_size  INTEGER NOT NULL,         -- 0: unknown
  workers     INTEGER NOT NULL,         -- DataLoader workers; -1: unknown
  storage     TEXT NOT NULL,
  command     TEXT NOT NULL,
  UNIQUE (name, task, batch_size, workers, storage, command)
);
CREATE TABLE campaigns (
  id               TEXT PRIMARY KEY,    -- 16 hex digits: FNV-1a 64 of identity
  kind             TEXT NOT NULL CHECK (kind IN ('profile', 'import')),
  device_id        INTEGER NOT NULL REFERENCES devices(id),
  workload_id      INTEGER NOT NULL REFERENCES workloads(id),
  backend          TEXT NOT NULL,       -- sim:orin-agx, replay:FILE, jetson, import
  provenance       TEXT NOT NULL,       -- measured / emulated / replayed / mixed / ''
  minibatches      INTEGER NOT NULL,
  warmup_allowance INTEGER NOT NULL,
  seed             INTEGER NOT NULL,
  modes_total      INTEGER NOT NULL,
  identity         TEXT NOT NULL,       -- canonical definition (CampaignSpec::identity), mode list included
  source           TEXT NOT NULL,       -- command line or imported file
  status           TEXT NOT NULL,       -- running / stopped / done / failed / imported
  message          TEXT NOT NULL DEFAULT '',
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE TABLE results (                  -- one row per finished power mode of a campaign
  id                 INTEGER PRIMARY KEY,
  campaign_id        TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  mode_index         INTEGER NOT NULL,  -- position in the campaign's mode list
  mode_key           TEXT NOT NULL,     -- PowerMode::key(); in a merged campaign key@board (docs/FLEET.md)
  cores              INTEGER NOT NULL,
  cpu_mhz            REAL NOT NULL,
  gpu_mhz            REAL NOT NULL,
  emc_mhz            REAL NOT NULL,
  time_ms            REAL NOT NULL,     -- mean time per minibatch over the window
  power_w            REAL NOT NULL,     -- median board power over the window
  energy_j           REAL,              -- per minibatch
  time_sd_ms         REAL,
  power_sd_w         REAL,
  samples            INTEGER,           -- minibatches in the window
  warmup_minibatches INTEGER,
  warmup_method      TEXT,
  provenance         TEXT NOT NULL,
  metrics_json       TEXT NOT NULL DEFAULT '{}',
  board              TEXT NOT NULL DEFAULT '', -- the board that measured it (serial or host); '' unknown
  recorded_at        TEXT NOT NULL,
  UNIQUE (campaign_id, mode_key)
);
CREATE TABLE samples (                  -- every minibatch of the run behind a result, warm-up included
  result_id  INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
  idx        INTEGER NOT NULL,
  start_s    REAL NOT NULL,
  time_ms    REAL NOT NULL,
  fetch_ms   REAL,
  compute_ms REAL,
  power_w    REAL,                      -- mean of the power samples taken during the minibatch
  phase      TEXT NOT NULL CHECK (phase IN ('warmup', 'window', 'after')),
  PRIMARY KEY (result_id, idx)
) WITHOUT ROWID;
CREATE TABLE power_traces (             -- the board power trace of the run behind a result
  result_id INTEGER PRIMARY KEY REFERENCES results(id) ON DELETE CASCADE,
  samples   INTEGER NOT NULL,
  t_s       BLOB NOT NULL,              -- `samples` little-endian IEEE-754 float64: seconds since the run start
  power_w   BLOB NOT NULL               -- `samples` little-endian IEEE-754 float64: board power
);
CREATE INDEX results_by_campaign ON results (campaign_id, mode_index);
)sql";

}  // namespace modewise::store::detail
