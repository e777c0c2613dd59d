#include "modewise/profile/replay.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "modewise/device/device_spec.h"
#include "modewise/device/grid.h"
#include "modewise/profile/campaign.h"
#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::profile {

using device::PowerMode;

namespace {

std::vector<double> distinct(const Profile& p, double PowerMode::*field) {
  std::set<long long> khz;
  for (const auto& r : p.rows) khz.insert(device::to_khz(r.mode.*field));
  std::vector<double> out;
  for (long long k : khz) out.push_back(static_cast<double>(k) / 1000.0);
  return out;
}

bool is_builtin(const std::string& name) {
  auto names = device::builtin_device_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Distance between modes for "nearest" hints: relative differences summed over the four knobs.
double mode_distance(const PowerMode& a, const PowerMode& b) {
  auto rel = [](double x, double y) { return std::fabs(x - y) / std::max({std::fabs(x), std::fabs(y), 1e-9}); };
  return rel(a.cores, b.cores) + rel(a.cpu_mhz, b.cpu_mhz) + rel(a.gpu_mhz, b.gpu_mhz) + rel(a.emc_mhz, b.emc_mhz);
}

std::string workload_label(const device::WorkloadRequest& w) {
  return fmt::format("workload '{}' task '{}' batch size {}", w.workload, w.task, w.batch_size);
}

}  // namespace

device::DeviceSpec spec_from_profile(const Profile& p, const std::string& name) {
  MW_CHECK(!p.rows.empty());
  device::DeviceSpec d;
  d.name = name;
  d.description = fmt::format("derived from the power modes in {}", p.source);
  int max_cores = 0, min_cores = 1 << 20;
  for (const auto& r : p.rows) max_cores = std::max(max_cores, r.mode.cores), min_cores = std::min(min_cores, r.mode.cores);
  std::vector<int> cluster;
  for (int c = 0; c < max_cores; ++c) cluster.push_back(c);
  d.cpu_clusters = {cluster};
  d.min_cores = min_cores;
  d.cpu_mhz = distinct(p, &PowerMode::cpu_mhz);
  d.gpu_mhz = distinct(p, &PowerMode::gpu_mhz);
  d.emc_mhz = distinct(p, &PowerMode::emc_mhz);
  return d;
}

ReplayBackend::ReplayBackend(const std::string& path) : path_(path) {
  std::string text = util::read_text_file(path);
  content_hash_ = fnv1a_hex(text);
  util::CsvTable table = util::parse_csv(text, path);
  profile_ = parse_profile_csv(table);  // errors name file:line and field
  for (const auto& r : table.rows) lines_.push_back(r.line);

  std::set<std::string> devices;
  for (const auto& r : profile_.rows)
    if (!r.device.empty()) devices.insert(r.device);
  std::string device_name = devices.size() == 1 ? *devices.begin() : "replay";
  if (devices.size() == 1 && is_builtin(device_name)) {
    spec_ = device::builtin_device(device_name);
    for (const auto& r : profile_.rows)
      if (!device::has_mode(spec_, r.mode)) spec_derived_ = true;
  } else {
    spec_derived_ = true;
  }
  if (spec_derived_) spec_ = spec_from_profile(profile_, device_name);
}

std::vector<size_t> ReplayBackend::matching(const device::WorkloadRequest& w) const {
  std::vector<size_t> out;
  std::string want_w = util::to_lower(w.workload), want_t = util::to_lower(w.task);
  for (size_t i = 0; i < profile_.rows.size(); ++i) {
    const auto& r = profile_.rows[i];
    if (!want_w.empty() && !r.workload.empty() && util::to_lower(r.workload) != want_w) continue;
    if (!want_t.empty() && !r.task.empty() && r.task != want_t) continue;
    if (w.batch_size > 0 && r.batch_size > 0 && r.batch_size != w.batch_size) continue;
    out.push_back(i);
  }
  if (out.empty()) select_rows(profile_, w.workload, w.task, w.batch_size);  // throws, listing what the file has
  MW_CHECK(!out.empty());
  return out;
}

std::vector<ProfileRow> ReplayBackend::rows_for(const device::WorkloadRequest& w) const {
  std::vector<ProfileRow> rows;
  for (size_t i : matching(w)) rows.push_back(profile_.rows[i]);
  return rows;
}

std::vector<PowerMode> ReplayBackend::modes_for(const device::WorkloadRequest& w) const {
  std::vector<PowerMode> modes;
  for (size_t i : matching(w)) modes.push_back(profile_.rows[i].mode);
  std::vector<PowerMode> unique;
  for (const auto& m : modes)
    if (std::find(unique.begin(), unique.end(), m) == unique.end()) unique.push_back(m);
  return unique;
}

void ReplayBackend::check_modes(const device::WorkloadRequest& w, const std::vector<PowerMode>& modes) const {
  std::vector<size_t> rows = matching(w);
  for (const auto& m : modes) {
    bool found = std::any_of(rows.begin(), rows.end(), [&](size_t i) { return profile_.rows[i].mode == m; });
    if (!found)
      throw Error("{}: no row for power mode {} with {}; for it the file has {}", path_, m.key(), workload_label(w),
                  describe_modes(rows, m));
  }
}

std::string ReplayBackend::describe_modes(const std::vector<size_t>& rows, const PowerMode& near) const {
  std::vector<PowerMode> modes;
  for (size_t i : rows)
    if (std::find(modes.begin(), modes.end(), profile_.rows[i].mode) == modes.end())
      modes.push_back(profile_.rows[i].mode);
  std::stable_sort(modes.begin(), modes.end(), [&](const PowerMode& a, const PowerMode& b) {
    return mode_distance(a, near) < mode_distance(b, near);
  });
  std::string list;
  for (size_t i = 0; i < std::min<size_t>(modes.size(), 5); ++i) {
    if (i) list += ", ";
    list += modes[i].key();
  }
  if (modes.size() <= 5) return fmt::format("{} mode{}: {}", modes.size(), modes.size() == 1 ? "" : "s", list);
  return fmt::format("{} modes; nearest: {}", modes.size(), list);
}

void ReplayBackend::apply(const PowerMode& mode) {
  std::vector<size_t> all(profile_.rows.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  bool found = std::any_of(profile_.rows.begin(), profile_.rows.end(), [&](const auto& r) { return r.mode == mode; });
  if (!found)
    throw Error("{}: no row for power mode {} (cores,cpu_mhz,gpu_mhz,emc_mhz); the file has {}", path_, mode.key(),
                describe_modes(all, mode));
  current_ = mode;
  applied_ = true;
}

device::RunTrace ReplayBackend::run(const device::WorkloadRequest& w, int minibatches) {
  if (!applied_) throw Error("replay: run() before apply(): no power mode selected");
  if (minibatches < 1) throw Error("replay: expected at least 1 minibatch, found {}", minibatches);
  std::vector<size_t> rows = matching(w);
  std::vector<size_t> hits;
  for (size_t i : rows)
    if (profile_.rows[i].mode == current_) hits.push_back(i);
  if (hits.empty())
    throw Error("{}: no row for power mode {} with {}; for it the file has {}", path_, current_.key(),
                workload_label(w), describe_modes(rows, current_));
  if (hits.size() > 1)
    throw Error("{}:{}: power mode {} with {} is also on line {} (add workload/task/batch_size columns, or "
                "remove the duplicate)",
                path_, lines_[hits[1]], current_.key(), workload_label(w), lines_[hits[0]]);
  const ProfileRow& r = profile_.rows[hits[0]];

  double stall = 0;
  if (auto it = r.metrics.find("stall_fraction"); it != r.metrics.end()) stall = std::clamp(it->second, 0.0, 1.0);
  else if (auto f = r.metrics.find("fetch_ms"); f != r.metrics.end()) stall = std::clamp(f->second / r.time_ms, 0.0, 1.0);

  device::RunTrace t;
  const double period_s = r.time_ms / 1000.0;
  for (int k = 0; k < minibatches; ++k) {
    device::MinibatchRecord mb;
    mb.start_s = k * period_s;
    mb.time_ms = r.time_ms;
    mb.fetch_ms = stall * r.time_ms;
    mb.compute_ms = r.time_ms - mb.fetch_ms;
    t.minibatches.push_back(mb);
    for (int s = 0; s < kPowerSamplesPerMinibatch; ++s)
      t.power.push_back({mb.start_s + period_s * s / kPowerSamplesPerMinibatch, r.power_w});
  }
  auto metric = [&](const char* name) {
    auto it = r.metrics.find(name);
    return it == r.metrics.end() ? device::kUnknown : it->second;
  };
  t.gpu_util = metric("gpu_util");
  t.cpu_util = metric("cpu_util");
  t.mem_used_mb = metric("mem_used_mb");
  t.extra["replay_line"] = lines_[hits[0]];
  return t;
}

std::unique_ptr<device::Backend> make_replay_backend(const std::string& path) {
  return std::make_unique<ReplayBackend>(path);
}

std::string ReplayBackend::provenance_for(const device::WorkloadRequest& w) const {
  std::vector<std::string> recorded;
  for (size_t i : matching(w)) recorded.push_back(profile_.rows[i].provenance);
  return replayed_provenance(combine_provenance(recorded));
}

std::string ReplayBackend::file_provenance() const {
  std::vector<std::string> recorded;
  for (const auto& r : profile_.rows) recorded.push_back(r.provenance);
  return replayed_provenance(combine_provenance(recorded));
}

std::string provenance_of(const device::Backend& backend, const device::WorkloadRequest& w) {
  if (const auto* r = dynamic_cast<const ReplayBackend*>(&backend)) return r->provenance_for(w);
  return device::to_string(backend.provenance());
}

std::string provenance_of(const device::Backend& backend) {
  if (const auto* r = dynamic_cast<const ReplayBackend*>(&backend)) return r->file_provenance();
  return device::to_string(backend.provenance());
}

}  // namespace modewise::profile
