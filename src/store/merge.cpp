// db merge: the campaigns of several stores (a fleet's boards) merged into one store. docs/FLEET.md.
#include "modewise/store/merge.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "modewise/profile/shard.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"
#include "store/sqlite.h"

namespace modewise::store {

using sql::Stmt;
using sql::Transaction;

namespace {

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

// The settings that define a merged campaign, in this order (the merged campaign's identity).
const std::vector<std::string>& setting_keys() {
  static const std::vector<std::string> keys = {"device",  "backend",     "workload",         "task",
                                                "batch_size", "workers",  "storage",          "command",
                                                "minibatches", "warmup_allowance", "seed", "fingerprint"};
  return keys;
}

// "key=value" lines of a campaign identity (CampaignSpec::identity, or a merged campaign's).
std::map<std::string, std::string> identity_lines(const std::string& identity) {
  std::map<std::string, std::string> out;
  for (const auto& line : util::split(identity, '\n')) {
    auto eq = line.find('=');
    if (eq != std::string::npos) out.emplace(line.substr(0, eq), line.substr(eq + 1));
  }
  return out;
}

double spread_pct(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return *lo > 0 ? (*hi - *lo) / *lo * 100.0 : std::nan("");
}

// One campaign of an input store.
struct Source {
  std::string input;
  CampaignInfo info;
  std::map<std::string, std::string> identity;  // key=value lines
  std::vector<StoredResult> results;
  size_t input_index = 0;
};

std::string group_identity(const Source& s) {
  std::map<std::string, std::string> v;
  if (s.info.backend == "merge") {
    v = s.identity;  // already a merged campaign: its settings
  } else {
    v = s.identity;
    v["device"] = s.info.device;
    if (s.info.kind == "import") v = {{"device", s.info.device}, {"backend", "import"}};
    v["workload"] = s.info.workload;
    v["task"] = s.info.task;
    v["batch_size"] = std::to_string(s.info.batch_size);
  }
  std::string text = "modewise-merge v1\n";
  for (const auto& k : setting_keys()) text += k + "=" + (v.count(k) ? v.at(k) : "") + "\n";
  return text;
}

std::vector<std::string> mode_list(const Source& s) {
  std::vector<std::string> keys;
  auto it = s.identity.find("modes");
  if (it != s.identity.end() && !it->second.empty()) {
    keys = util::split(it->second, ',');
  } else {
    for (const auto& r : s.results) keys.push_back(r.row.mode.key());  // an import or merged campaign: its rows
  }
  return keys;
}

std::string same_path_key(const std::string& p) {
  std::error_code ec;
  auto c = std::filesystem::weakly_canonical(p, ec);
  return ec ? p : c.string();
}

}  // namespace

double ModeSpread::time_spread_pct() const { return spread_pct(time_ms); }
double ModeSpread::power_spread_pct() const { return spread_pct(power_w); }

std::vector<std::string> boards_of(const std::vector<profile::ProfileRow>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows)
    if (!r.board.empty() && std::find(out.begin(), out.end(), r.board) == out.end()) out.push_back(r.board);
  return out;
}

std::vector<ModeSpread> board_spread(const std::vector<profile::ProfileRow>& rows) {
  std::map<std::string, size_t> index;
  std::vector<ModeSpread> all;
  for (const auto& r : rows) {
    auto [it, fresh] = index.emplace(r.mode.key(), all.size());
    if (fresh) all.push_back({r.mode, {}, {}, {}});
    ModeSpread& m = all[it->second];
    m.boards.push_back(r.board);
    m.time_ms.push_back(r.time_ms);
    m.power_w.push_back(r.power_w);
  }
  std::vector<ModeSpread> out;
  for (auto& m : all)
    if (std::set<std::string>(m.boards.begin(), m.boards.end()).size() >= 2) out.push_back(std::move(m));
  return out;
}

MergeSummary merge_stores(const std::string& output, const std::vector<std::string>& inputs) {
  if (inputs.empty()) throw UsageError("db merge: expected one or more input stores after OUT.db");
  std::set<std::string> seen;
  for (const auto& in : inputs) {
    if (same_path_key(in) == same_path_key(output))
      throw UsageError("db merge: the output store '{}' is also an input; merge into another file", output);
    std::error_code ec;
    if (!std::filesystem::exists(in, ec)) throw Error("{}: no store at this path (an input of db merge)", in);
  }
  Store out(output);
  return out.merge_from(inputs);
}

namespace {

// Copies one result of `in` (row, minibatch samples, power trace) into `out` under campaign `id` with `mode_key`.
// Returns false when the output already has a row for that campaign and mode_key.
bool copy_result(sql::Db& in, sql::Db& out, int64_t result_id, const std::string& id, const std::string& mode_key,
                 const std::string& board) {
  Stmt q(in, "SELECT mode_index, cores, cpu_mhz, gpu_mhz, emc_mhz, time_ms, power_w, energy_j, time_sd_ms, power_sd_w, "
             "samples, warmup_minibatches, warmup_method, provenance, metrics_json, recorded_at FROM results WHERE id = ?1");
  q.bind(1, result_id);
  if (!q.step()) return false;
  Stmt ins(out, "INSERT INTO results (campaign_id, mode_index, mode_key, cores, cpu_mhz, gpu_mhz, emc_mhz, time_ms, "
                "power_w, energy_j, time_sd_ms, power_sd_w, samples, warmup_minibatches, warmup_method, provenance, "
                "metrics_json, recorded_at, board) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                "?15, ?16, ?17, ?18, ?19) ON CONFLICT (campaign_id, mode_key) DO NOTHING");
  ins.bind(1, id).bind(2, q.int64(0)).bind(3, mode_key).bind(4, q.int64(1));
  for (int c = 2; c <= 9; ++c) ins.bind(c + 3, q.real(c));
  q.is_null(10) ? ins.bind_null(13) : ins.bind(13, q.int64(10));
  q.is_null(11) ? ins.bind_null(14) : ins.bind(14, q.int64(11));
  q.is_null(12) ? ins.bind_null(15) : ins.bind(15, q.text(12));
  ins.bind(16, q.text(13)).bind(17, q.text(14)).bind(18, q.text(15)).bind(19, board);
  ins.run();
  if (out.changes() == 0) return false;
  int64_t new_id = out.last_insert_id();
  Stmt mb(in, "SELECT idx, start_s, time_ms, fetch_ms, compute_ms, power_w, phase FROM samples WHERE result_id = ?1 "
              "ORDER BY idx");
  mb.bind(1, result_id);
  Stmt put(out, "INSERT INTO samples (result_id, idx, start_s, time_ms, fetch_ms, compute_ms, power_w, phase) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  while (mb.step()) {
    put.bind(1, new_id).bind(2, mb.int64(0));
    for (int c = 1; c <= 5; ++c) put.bind(c + 2, mb.real(c));
    put.bind(8, mb.text(6));
    put.run();
    put.reset();
  }
  Stmt pt(in, "SELECT samples, t_s, power_w FROM power_traces WHERE result_id = ?1");
  pt.bind(1, result_id);
  if (pt.step()) {
    std::string t = pt.blob(1), p = pt.blob(2);
    Stmt put_trace(out, "INSERT INTO power_traces (result_id, samples, t_s, power_w) VALUES (?1, ?2, ?3, ?4)");
    put_trace.bind(1, new_id).bind(2, pt.int64(0)).bind_blob(3, t.data(), t.size()).bind_blob(4, p.data(), p.size());
    put_trace.run();
  }
  return true;
}

std::string plural(size_t n, const char* word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

}  // namespace

MergeSummary Store::merge_from(const std::vector<std::string>& input_paths) {
  MergeSummary summary;
  summary.output = path_;
  summary.inputs = input_paths;

  // Every campaign of every input, grouped by the merged campaign it belongs to.
  std::vector<std::string> order;
  std::map<std::string, std::vector<Source>> groups;
  std::vector<std::unique_ptr<Store>> stores;
  for (size_t i = 0; i < input_paths.size(); ++i) {
    stores.push_back(std::make_unique<Store>(input_paths[i], ReadOnly{}));
    Store& in = *stores.back();
    for (const auto& info : in.list_campaigns()) {
      Source s;
      s.input = input_paths[i];
      s.input_index = i;
      s.info = info;
      Stmt q(*in.db_, "SELECT identity FROM campaigns WHERE id = ?1");
      q.bind(1, info.id);
      if (q.step()) s.identity = identity_lines(q.text(0));
      s.results = in.campaign_results(info.id);
      std::string key = group_identity(s);
      if (!groups.count(key)) order.push_back(key);
      groups[key].push_back(std::move(s));
    }
  }

  for (const auto& key : order) {
    const auto& sources = groups.at(key);
    const auto settings = identity_lines(key);
    auto setting = [&](const char* k) { return settings.count(k) ? settings.at(k) : std::string(); };
    auto setting_int = [&](const char* k, int64_t fallback) -> int64_t {
      try {
        return util::parse_int(setting(k), k);
      } catch (const Error&) {
        return fallback;
      }
    };
    MergedCampaign m;
    const std::string id = profile::fnv1a_hex(key);

    // What the campaigns were asked to measure: their lists, and the shards that never ran.
    std::set<std::string> expected, measured;
    struct ShardSet {
      int count = 0;
      size_t full_modes = 0;
      std::set<int> present;
    };
    std::map<std::string, ShardSet> lists;  // by full_list hash
    for (const auto& s : sources) {
      for (const auto& k : mode_list(s)) expected.insert(k);
      for (const auto& r : s.results) measured.insert(r.row.mode.key());
      auto shard = s.identity.find("shard");
      std::string label = shard == s.identity.end() ? "" : shard->second;
      m.sources.push_back(fmt::format("{}: {} ({}{}, {} of {} modes)", s.input, s.info.id,
                                      label.empty() ? "" : "shard " + label + ", ", s.info.status, s.info.modes_done,
                                      s.info.modes_total));
      if (!label.empty()) {
        try {
          profile::Shard sh = profile::parse_shard(label);
          ShardSet& set = lists[s.identity.count("full_list") ? s.identity.at("full_list") : ""];
          set.count = sh.count;
          set.full_modes = static_cast<size_t>(util::parse_int(s.identity.at("full_modes"), "full_modes"));
          set.present.insert(sh.index);
        } catch (const std::exception&) {
          // not a shard label this version writes: treated as an ordinary campaign
        }
      }
    }
    {
      Transaction tx(*db_);
      device::WorkloadRequest w;
      w.workload = setting("workload");
      w.task = setting("task");
      w.batch_size = static_cast<int>(setting_int("batch_size", 0));
      w.workers = static_cast<int>(setting_int("workers", -1));
      w.storage = setting("storage");
      w.command = setting("command");
      int64_t device_id = upsert_device(setting("device"), nullptr);
      int64_t workload_id = upsert_workload(w);
      Stmt ins(*db_, fmt::format(
                         "INSERT INTO campaigns (id, kind, device_id, workload_id, backend, provenance, minibatches, "
                         "warmup_allowance, seed, modes_total, identity, source, status, created_at, updated_at) "
                         "VALUES (?1, 'import', ?2, ?3, 'merge', '', ?4, ?5, ?6, 0, ?7, '', 'merged', {0}, {0}) "
                         "ON CONFLICT (id) DO NOTHING",
                         kNow));
      ins.bind(1, id).bind(2, device_id).bind(3, workload_id).bind(4, setting_int("minibatches", 0));
      ins.bind(5, setting_int("warmup_allowance", 0)).bind(6, setting_int("seed", 0));
      ins.bind(7, key).run();
      Stmt check(*db_, "SELECT backend, identity FROM campaigns WHERE id = ?1");
      check.bind(1, id);
      if (!check.step() || check.text(0) != "merge" || check.text(1) != key)
        throw Error("{}: campaign {} is already used by a different campaign (a hash collision); merge into another "
                    "file", path_, id);

      for (const auto& s : sources) {
        sql::Db& in = *stores[s.input_index]->db_;
        for (const auto& r : s.results) {
          const std::string mode_key = r.row.mode.key() + "@" + r.row.board;
          if (copy_result(in, *db_, r.result_id, id, mode_key, r.row.board)) {
            ++m.rows_added;
            continue;
          }
          Stmt have(*db_, "SELECT time_ms, power_w FROM results WHERE campaign_id = ?1 AND mode_key = ?2");
          have.bind(1, id).bind(2, mode_key);
          if (have.step() && have.real(0) == r.row.time_ms && have.real(1) == r.row.power_w)
            ++m.rows_present;  // the same row merged again
          else
            ++m.same_board_repeats;  // the board measured the mode twice: the first row kept
        }
      }
      std::vector<std::string> provenances;
      Stmt prov(*db_, "SELECT DISTINCT provenance FROM results WHERE campaign_id = ?1");
      prov.bind(1, id);
      while (prov.step()) provenances.push_back(prov.text(0));
      std::string inputs;
      for (const auto& p : input_paths) inputs += (inputs.empty() ? "" : " ") + p;
      Stmt upd(*db_, fmt::format("UPDATE campaigns SET provenance = ?2, modes_total = ?3, source = ?4, "
                                 "status = 'merged', updated_at = {} WHERE id = ?1", kNow));
      upd.bind(1, id).bind(2, profile::combine_provenance(provenances));
      upd.bind(3, static_cast<int64_t>(0)).bind(4, "db merge " + inputs).run();
      tx.commit();
    }
    auto stored = campaign_results(id);
    std::vector<profile::ProfileRow> rows;
    std::set<size_t> positions;  // mode_index: a shard's result carries its place in the whole list
    for (const auto& r : stored) {
      rows.push_back(r.row);
      measured.insert(r.row.mode.key());
      positions.insert(static_cast<size_t>(r.mode_index));
    }
    // Missing: shards that never ran (none of their places in the whole list has a row, in this merge or an
    // earlier one into the same output), then modes of the merged campaigns that no board finished.
    size_t absent_modes = 0;
    for (const auto& [list, set] : lists)
      for (int k = 0; k < set.count; ++k) {
        if (set.present.count(k)) continue;
        auto places = profile::shard_positions(set.full_modes, {k, set.count, ""});
        if (std::any_of(places.begin(), places.end(), [&](size_t p) { return positions.count(p) > 0; })) continue;
        absent_modes += places.size();
        m.missing.push_back(fmt::format("shard {}/{} never ran: {} not profiled (run it with --shard {}/{} and merge "
                                        "again)", k, set.count, plural(places.size(), "mode"), k, set.count));
      }
    for (const auto& s : sources) {
      size_t left = 0;
      for (const auto& k : mode_list(s)) left += measured.count(k) ? 0 : 1;
      if (left > 0)
        m.missing.push_back(fmt::format("{}: campaign {}{} ({}) has {} not profiled by any board (rerun its command "
                                        "to resume it, then merge again)",
                                        s.input, s.info.id,
                                        s.identity.count("shard") ? ", shard " + s.identity.at("shard") : "",
                                        s.info.status, plural(left, "mode")));
    }
    for (const auto& k : measured) expected.insert(k);
    m.modes_expected = expected.size() + absent_modes;
    m.modes_measured = measured.size();
    {
      Stmt upd(*db_, "UPDATE campaigns SET modes_total = ?2 WHERE id = ?1");
      upd.bind(1, id).bind(2, static_cast<int64_t>(m.modes_expected)).run();
    }
    m.info = find_campaign(id);
    m.boards = boards_of(rows);
    m.conflicts = board_spread(rows);
    summary.campaigns.push_back(std::move(m));
  }
  return summary;
}

}  // namespace modewise::store
