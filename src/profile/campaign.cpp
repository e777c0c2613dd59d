#include "modewise/profile/campaign.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>

#include "modewise/device/grid.h"
#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::profile {

using device::PowerMode;

std::string fnv1a_hex(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

std::string CampaignSpec::identity() const {
  std::string s = fmt::format(
      "modewise-campaign v1\nbackend={}\nworkload={}\ntask={}\nbatch_size={}\nworkers={}\nstorage={}\ncommand={}\n"
      "minibatches={}\nwarmup_allowance={}\nseed={}\nmodes=",
      backend, workload.workload, workload.task, workload.batch_size, workload.workers, workload.storage,
      workload.command, minibatches, warmup_allowance, seed);
  for (size_t i = 0; i < modes.size(); ++i) {
    if (i) s += ',';
    s += modes[i].key();
  }
  s += "\n";
  if (!fingerprint.empty()) s += "fingerprint=" + fingerprint + "\n";
  if (!shard.empty()) s += fmt::format("shard={}\nfull_modes={}\nfull_list={}\n", shard, full_modes, full_list);
  if (!design.empty()) s += fmt::format("design={}\nplanned_modes={}\n", design, planned_modes);
  return s;
}

std::string CampaignSpec::id() const { return fnv1a_hex(identity()); }

// ---- MemoryCampaignLog

std::vector<ProfileRow> MemoryCampaignLog::open(const CampaignSpec& spec) {
  if (id_ != spec.id()) results.clear();
  id_ = spec.id();
  std::vector<ProfileRow> rows;
  for (const auto& r : results) rows.push_back(r.row);
  return rows;
}

void MemoryCampaignLog::record(const CampaignSpec&, const ModeResult& result) { results.push_back(result); }

void MemoryCampaignLog::close(const CampaignSpec&, const std::string& s, const std::string&) { status = s; }

// ---- the runner

ProfileRow make_row(const CampaignSpec& spec, const PowerMode& mode, const RunSummary& s) {
  ProfileRow r;
  r.device = spec.device;
  r.workload = spec.workload.workload;
  r.task = spec.workload.task;
  r.batch_size = spec.workload.batch_size;
  r.mode = mode;
  r.time_ms = s.time_ms;
  r.power_w = s.power_w;
  r.energy_j = s.energy_j;
  r.time_sd_ms = s.time_sd_ms;
  r.power_sd_w = s.power_sd_w;
  r.samples = s.samples;
  r.provenance = spec.provenance;
  r.board = spec.board;
  auto put = [&](const char* name, double v) {
    if (!std::isnan(v)) r.metrics[name] = v;
  };
  put("gpu_util", s.gpu_util);
  put("cpu_util", s.cpu_util);
  put("stall_fraction", s.stall_fraction);
  put("fetch_ms", s.fetch_ms);
  put("mem_used_mb", s.mem_used_mb);
  put("warmup_minibatches", s.warmup_minibatches);
  return r;
}

namespace {

struct ExitHook {
  const std::function<void()>& fn;
  ~ExitHook() {
    if (fn) fn();
  }
};

// Sleep in short slices so a stop request is honoured quickly.
void settle(int settle_ms, const std::atomic<bool>* stop) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(settle_ms);
  while (std::chrono::steady_clock::now() < until) {
    if (stop && stop->load()) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(20), until - std::chrono::steady_clock::now()));
  }
}

// Apply, settle, run and summarize one mode.
ModeResult measure_mode(device::Backend& backend, const CampaignSpec& spec, const PowerMode& mode, size_t mode_index,
                        const CampaignOptions& options) {
  backend.apply(mode);
  settle(options.settle_ms, options.stop);
  ModeResult result;
  result.mode_index = mode_index;
  result.trace = backend.run(spec.workload, spec.minibatches + spec.warmup_allowance);
  result.summary = summarize_run(result.trace, spec.minibatches, options.warmup);
  result.row = make_row(spec, mode, result.summary);
  return result;
}

void check_run_settings(const CampaignSpec& spec) {
  if (spec.minibatches < 1) throw UsageError("--minibatches must be at least 1, found {}", spec.minibatches);
  if (spec.warmup_allowance < 0)
    throw UsageError("--warmup-allowance must be 0 or more, found {}", spec.warmup_allowance);
}

}  // namespace

CampaignOutcome run_campaign(device::Backend& backend, const CampaignSpec& spec, CampaignLog& log,
                             const CampaignOptions& options, const CampaignCallbacks& callbacks) {
  ExitHook exit_hook{callbacks.on_exit};
  if (spec.modes.empty()) throw Error("campaign has no power modes to profile");
  check_run_settings(spec);
  MW_CHECK(spec.design.empty());
  MW_CHECK(spec.positions.empty() || spec.positions.size() == spec.modes.size());
  std::unordered_map<PowerMode, size_t, device::PowerModeHash> index;
  for (size_t i = 0; i < spec.modes.size(); ++i)
    if (auto [it, fresh] = index.emplace(spec.modes[i], i); !fresh)
      throw Error("campaign mode list repeats mode {} (positions {} and {})", spec.modes[i].key(), it->second + 1,
                  i + 1);

  auto start = std::chrono::steady_clock::now();
  CampaignOutcome out;
  out.total = spec.modes.size();
  out.id = spec.id();
  std::vector<std::optional<ProfileRow>> done(spec.modes.size());
  for (auto& row : log.open(spec))
    if (auto it = index.find(row.mode); it != index.end() && !done[it->second]) {
      done[it->second] = std::move(row);
      ++out.resumed;
    }
  if (callbacks.on_start) callbacks.on_start(out.id, out.resumed, out.total);
  for (const auto& row : done)
    if (row && callbacks.on_row) callbacks.on_row(*row, true);

  try {
    for (size_t i = 0; i < spec.modes.size(); ++i) {
      if (done[i]) continue;
      if (options.stop && options.stop->load()) {
        out.stopped = true;
        break;
      }
      if (callbacks.on_progress) callbacks.on_progress(out.resumed + out.measured, out.total, spec.modes[i]);
      ModeResult result =
          measure_mode(backend, spec, spec.modes[i], spec.positions.empty() ? i : spec.positions[i], options);
      log.record(spec, result);
      ++out.measured;
      if (callbacks.on_row) callbacks.on_row(result.row, false);
      done[i] = std::move(result.row);
    }
  } catch (const std::exception& e) {
    log.close(spec, "failed", e.what());
    throw;
  }
  out.stopped = out.stopped || (out.resumed + out.measured < out.total);
  log.close(spec, out.stopped ? "stopped" : "done", "");
  for (auto& row : done)
    if (row) out.rows.push_back(std::move(*row));
  out.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

// ---- campaigns whose modes are chosen while they run

namespace {

// Keys of up to 3 modes from `from` on, for messages.
template <class T, class Key>
std::string first_keys(const std::vector<T>& items, size_t from, Key key) {
  std::string s;
  for (size_t i = from; i < from + 3 && i < items.size(); ++i) {
    if (!s.empty()) s += ' ';
    s += key(items[i]).key();
  }
  if (from + 3 < items.size()) s += " ...";
  return s.empty() ? "none" : s;
}

}  // namespace

CampaignOutcome run_chosen_campaign(device::Backend& backend, const CampaignSpec& spec, CampaignLog& log,
                                    const ChooseModesFn& choose, const CampaignOptions& options,
                                    const CampaignCallbacks& callbacks) {
  ExitHook exit_hook{callbacks.on_exit};
  MW_CHECK(!spec.design.empty() && spec.modes.empty() && spec.shard.empty() && choose);
  if (spec.planned_modes == 0) throw Error("campaign has no power modes to profile");
  check_run_settings(spec);

  auto start = std::chrono::steady_clock::now();
  CampaignOutcome out;
  out.total = spec.planned_modes;
  out.id = spec.id();
  std::vector<ProfileRow> rows;  // in the order measured
  std::unordered_map<PowerMode, size_t, device::PowerModeHash> seen;
  for (auto& row : log.open(spec))  // the store gives them in mode_index order: the order measured
    if (seen.emplace(row.mode, rows.size()).second) rows.push_back(std::move(row));
  out.resumed = rows.size();
  if (callbacks.on_start) callbacks.on_start(out.id, out.resumed, out.total);
  for (const auto& row : rows)
    if (callbacks.on_row) callbacks.on_row(row, true);

  auto choose_after = [&](size_t n_rows) {
    ++out.choices;
    if (callbacks.on_choose) callbacks.on_choose(out.choices, n_rows, out.total);
    std::vector<ProfileRow> prefix(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(n_rows));
    std::vector<PowerMode> next = choose(prefix);
    std::unordered_map<PowerMode, bool, device::PowerModeHash> in_batch;
    for (const auto& m : next)
      if (!in_batch.emplace(m, true).second) throw Error("the mode chooser repeated mode {} in one batch", m.key());
    if (callbacks.on_chosen) callbacks.on_chosen(out.choices, next);
    return next;
  };

  try {
    // Replay the choices behind the stored rows, to find the batch a kill interrupted.
    std::vector<PowerMode> pending;
    size_t replayed = 0;
    while (replayed < rows.size() && rows.size() < out.total) {
      std::vector<PowerMode> next = choose_after(replayed);
      size_t k = 0;
      while (k < next.size() && replayed + k < rows.size() && rows[replayed + k].mode == next[k]) ++k;
      if (!next.empty() && replayed + k == rows.size() && k < next.size()) {  // the interrupted batch
        pending.assign(next.begin() + static_cast<std::ptrdiff_t>(k), next.end());
        replayed = rows.size();
      } else if (!next.empty() && k == next.size()) {  // a whole batch as stored
        replayed += k;
      } else {
        if (callbacks.on_note)
          callbacks.on_note(fmt::format(
              "the {} stored modes from position {} ({}) are not the modes the chooser picks now ({}): going on "
              "from the {} rows as stored",
              rows.size() - replayed, replayed + 1,
              first_keys(rows, replayed, [](const ProfileRow& r) { return r.mode; }),
              first_keys(next, 0, [](const PowerMode& m) { return m; }), rows.size()));
        replayed = rows.size();
      }
    }

    while (rows.size() < out.total) {
      if (options.stop && options.stop->load()) {
        out.stopped = true;
        break;
      }
      if (pending.empty()) {
        for (auto& m : choose_after(rows.size()))
          if (!seen.count(m)) pending.push_back(m);
        if (pending.empty()) break;  // the chooser has nothing more (or only measured modes): complete
      }
      for (const auto& mode : pending) {
        if (rows.size() >= out.total) break;
        if (seen.count(mode)) continue;
        if (options.stop && options.stop->load()) {
          out.stopped = true;
          break;
        }
        if (callbacks.on_progress) callbacks.on_progress(rows.size(), out.total, mode);
        ModeResult result = measure_mode(backend, spec, mode, rows.size(), options);
        log.record(spec, result);
        ++out.measured;
        seen.emplace(mode, rows.size());
        rows.push_back(result.row);
        if (callbacks.on_row) callbacks.on_row(result.row, false);
      }
      pending.clear();
      if (out.stopped) break;
    }
  } catch (const std::exception& e) {
    log.close(spec, "failed", e.what());
    throw;
  }
  log.close(spec, out.stopped ? "stopped" : "done", "");
  out.rows = std::move(rows);
  out.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

// ---- mode lists

std::vector<PowerMode> unique_modes(const std::vector<PowerMode>& modes) {
  std::vector<PowerMode> out;
  std::unordered_map<PowerMode, bool, device::PowerModeHash> seen;
  for (const auto& m : modes)
    if (seen.emplace(m, true).second) out.push_back(m);
  return out;
}

std::vector<PowerMode> sample_modes(const std::vector<PowerMode>& modes, size_t n, uint64_t seed) {
  MW_CHECK(n <= modes.size());
  std::mt19937_64 rng(seed);  // the engine's output is fixed by the standard; the bounded draw below is ours
  auto below = [&](uint64_t bound) {  // uniform in [0, bound) by rejection
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do x = rng();
    while (x >= limit);
    return x % bound;
  };
  std::vector<size_t> idx(modes.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  for (size_t i = 0; i < n; ++i) std::swap(idx[i], idx[i + below(idx.size() - i)]);
  idx.resize(n);
  std::sort(idx.begin(), idx.end());
  std::vector<PowerMode> out;
  for (size_t i : idx) out.push_back(modes[i]);
  return out;
}

namespace {

std::vector<PowerMode> modes_from_file(const device::DeviceSpec& spec, const std::string& path) {
  std::vector<PowerMode> modes = read_modes_csv(path);  // parse errors name file:line and field
  util::CsvTable table = util::read_csv_file(path);     // for the line numbers of rows
  for (size_t i = 0; i < modes.size(); ++i) {
    try {
      device::validate_mode(spec, modes[i]);
    } catch (const Error& e) {
      throw Error("{}: {}", table.where(table.rows[i]), e.what());
    }
  }
  return unique_modes(modes);
}

}  // namespace

long long parse_mode_count(std::string_view text) {
  try {
    return util::parse_int(text, "--modes random:N", "a whole number of modes N");
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError("{}", e.what());
  }
}

std::vector<PowerMode> resolve_modes(const device::DeviceSpec& spec, const std::string& arg, const std::string& grid,
                                     uint64_t seed) {
  std::string a = util::trim(arg);
  if (a == "all") return device::grid_modes(spec, grid);
  if (util::starts_with(util::to_lower(a), "random:")) {
    long long n = parse_mode_count(a.substr(7));
    auto all = device::grid_modes(spec, grid);
    if (n < 1 || static_cast<size_t>(n) > all.size())
      throw UsageError("--modes random:N: N must be between 1 and {} (the size of grid '{}' of {}), found {}",
                       all.size(), grid, spec.name, n);
    return sample_modes(all, static_cast<size_t>(n), seed);
  }
  bool looks_like_file = a.size() > 4 && util::to_lower(a.substr(a.size() - 4)) == ".csv";
  std::error_code ec;
  if (looks_like_file || std::filesystem::is_regular_file(a, ec)) return modes_from_file(spec, a);
  try {
    return {device::named_mode(spec, a)};
  } catch (const UsageError& e) {
    throw UsageError("--modes '{}': expected all, random:N, FILE.csv or a named mode ({})", a, e.what());
  }
}

}  // namespace modewise::profile
