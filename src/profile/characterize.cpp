// Characterization sweeps: the configurations, the campaigns that measure them, the per-configuration metrics
// and the CSV. The command-line side (--sweep, commands, docker, page cache) is in characterize_command.cpp.
#include "modewise/profile/characterize.h"

#include <chrono>
#include <cmath>
#include <ostream>
#include <stdexcept>

#include <fmt/format.h>

#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::profile {

using util::format_number;

std::string CharacterizationSpec::identity() const {
  std::string s = fmt::format(
      "modewise-characterization v1\nbackend={}\nworkload={}\ntask={}\ncommand={}\ncontainer={}\nminibatches={}\n"
      "epochs={}\ndataset_samples={}\nwarmup_allowance={}\nseed={}\n",
      backend, workload.workload, workload.task, workload.command, container, minibatches, epochs, dataset_samples,
      warmup_allowance, seed);
  auto join_ints = [](const std::vector<int>& v) {
    std::string out;
    for (int x : v) {
      if (!out.empty()) out += ',';
      out += std::to_string(x);
    }
    return out;
  };
  s += "batch_sizes=" + join_ints(axes.batch_sizes) + "\nworkers=" + join_ints(axes.workers) + "\nstorage=";
  for (size_t i = 0; i < axes.storage.size(); ++i) s += fmt::format("{}{}", i ? "," : "", axes.storage[i]);
  s += "\nmodes=";
  for (size_t i = 0; i < axes.modes.size(); ++i)
    s += fmt::format("{}{}={}", i ? "," : "", axes.modes[i].name, axes.modes[i].mode.key());
  s += "\nstorage_paths=";
  for (const auto& [medium, dir] : storage_paths) s += medium + "=" + dir + ";";
  return s + "\n";
}

std::string CharacterizationSpec::id() const { return fnv1a_hex(identity()); }

int minibatches_per_epoch(int dataset_samples, int batch_size) {
  MW_CHECK(batch_size > 0);
  return std::max(1, (dataset_samples + batch_size - 1) / batch_size);
}

std::vector<Configuration> configurations(const CharacterizationSpec& spec) {
  const auto& a = spec.axes;
  if (a.batch_sizes.empty() || a.workers.empty() || a.storage.empty() || a.modes.empty())
    throw UsageError("characterization: every sweep axis needs at least one value ({})", sweep_axis_names());
  std::vector<Configuration> out;
  for (int bs : a.batch_sizes)
    for (int w : a.workers)
      for (const auto& st : a.storage)
        for (const auto& m : a.modes) out.push_back({out.size(), bs, w, st, m});
  return out;
}

std::vector<PlannedCampaign> plan_campaigns(const CharacterizationSpec& spec) {
  if (spec.minibatches < 1) throw UsageError("--minibatches: expected at least 1, found {}", spec.minibatches);
  if (spec.epochs < 0) throw UsageError("--epochs: expected 0 or more, found {}", spec.epochs);
  if (spec.dataset_samples < 1)
    throw UsageError("--dataset-samples: expected at least 1, found {}", spec.dataset_samples);
  std::vector<PlannedCampaign> out;
  auto configs = configurations(spec);
  const size_t per_campaign = spec.axes.modes.size();
  for (size_t first = 0; first < configs.size(); first += per_campaign) {
    const Configuration& c = configs[first];
    PlannedCampaign p;
    p.campaign.backend = spec.backend;
    p.campaign.device = spec.device;
    p.campaign.provenance = spec.provenance;
    p.campaign.workload = spec.workload;
    p.campaign.workload.batch_size = c.batch_size;
    p.campaign.workload.workers = c.workers;
    p.campaign.workload.storage = c.storage;
    p.campaign.workload.command = configuration_command(spec, c);
    p.campaign.minibatches =
        spec.epochs > 0 ? spec.epochs * minibatches_per_epoch(spec.dataset_samples, c.batch_size) : spec.minibatches;
    p.campaign.warmup_allowance = spec.warmup_allowance;
    p.campaign.seed = spec.seed;
    for (size_t k = 0; k < per_campaign; ++k) {
      p.campaign.modes.push_back(configs[first + k].mode.mode);
      p.configs.push_back(first + k);
    }
    out.push_back(std::move(p));
  }
  return out;
}

// ---- rows

double CharacterizationRow::metric(const std::string& name) const {
  auto it = row.metrics.find(name);
  return it == row.metrics.end() ? device::kUnknown : it->second;
}
double CharacterizationRow::time_cv() const { return row.time_ms > 0 ? row.time_sd_ms / row.time_ms : device::kUnknown; }
double CharacterizationRow::epoch_time_s() const { return row.time_ms * minibatches_per_epoch / 1000.0; }
double CharacterizationRow::epoch_energy_j() const { return row.energy_or_derived_j() * minibatches_per_epoch; }
double CharacterizationRow::energy_per_sample_j() const { return row.energy_or_derived_j() / config.batch_size; }
double CharacterizationRow::throughput_sps() const {
  return row.time_ms > 0 ? config.batch_size * 1000.0 / row.time_ms : device::kUnknown;
}

CharacterizationRow make_characterization_row(const CharacterizationSpec& spec, const Configuration& config,
                                              const ProfileRow& row, const std::string& campaign_id) {
  CharacterizationRow r;
  r.config = config;
  r.row = row;
  r.campaign_id = campaign_id;
  r.minibatches_per_epoch = minibatches_per_epoch(spec.dataset_samples, config.batch_size);
  return r;
}

const std::vector<std::string>& characterization_columns() {
  static const std::vector<std::string> cols = {
      "batch_size", "workers", "storage", "mode", "cores", "cpu_mhz", "gpu_mhz", "emc_mhz",
      "time_ms", "time_sd_ms", "time_cv", "epoch_time_s", "throughput_sps", "power_w", "power_sd_w",
      "energy_j", "epoch_energy_j", "energy_per_sample_j", "fetch_ms", "stall_fraction", "gpu_util", "cpu_util",
      "mem_used_mb", "minibatches_per_epoch", "samples", "device", "workload", "task", "provenance", "campaign"};
  return cols;
}

void CharacterizationWriter::write_header() {
  util::CsvWriter(out_).row(characterization_columns());
  out_.flush();
}

void CharacterizationWriter::write(const CharacterizationRow& r) {
  auto num = [](double v) { return std::isnan(v) ? std::string() : format_number(v); };
  const auto& c = r.config;
  const auto& p = r.row;
  util::CsvWriter(out_).row(
      {std::to_string(c.batch_size), std::to_string(c.workers), c.storage, c.mode.name, std::to_string(p.mode.cores),
       format_number(p.mode.cpu_mhz), format_number(p.mode.gpu_mhz), format_number(p.mode.emc_mhz), num(p.time_ms),
       num(p.time_sd_ms), num(r.time_cv()), num(r.epoch_time_s()), num(r.throughput_sps()), num(p.power_w),
       num(p.power_sd_w), num(p.energy_or_derived_j()), num(r.epoch_energy_j()), num(r.energy_per_sample_j()),
       num(r.metric("fetch_ms")), num(r.metric("stall_fraction")), num(r.metric("gpu_util")),
       num(r.metric("cpu_util")), num(r.metric("mem_used_mb")), std::to_string(r.minibatches_per_epoch),
       std::to_string(p.samples), p.device, p.workload, p.task, p.provenance, r.campaign_id});
  out_.flush();
}

// ---- the runner

CharacterizeOutcome run_characterization(device::Backend& backend, const CharacterizationSpec& spec,
                                         CampaignLog& log, const CharacterizeOptions& options,
                                         const CharacterizeCallbacks& callbacks) {
  auto start = std::chrono::steady_clock::now();
  const auto configs = configurations(spec);
  const auto plan = plan_campaigns(spec);
  CharacterizeOutcome out;
  out.id = spec.id();
  out.total = configs.size();
  for (const auto& p : plan) out.campaign_ids.push_back(p.campaign.id());

  CampaignOptions copts;
  copts.settle_ms = options.settle_ms;
  copts.stop = options.stop;
  copts.warmup = options.warmup;
  for (size_t ci = 0; ci < plan.size(); ++ci) {
    if (options.stop && options.stop->load()) {
      out.stopped = true;
      break;
    }
    const PlannedCampaign& p = plan[ci];
    const std::string campaign_id = p.campaign.id();
    if (callbacks.on_campaign) callbacks.on_campaign(ci, plan.size(), p.campaign);
    auto config_of = [&](const device::PowerMode& m) -> const Configuration& {
      for (size_t k = 0; k < p.campaign.modes.size(); ++k)
        if (p.campaign.modes[k] == m) return configs[p.configs[k]];
      throw std::logic_error(fmt::format("characterization: mode {} is not in campaign {}", m.key(), campaign_id));
    };
    CampaignCallbacks cb;
    cb.on_progress = [&](size_t, size_t, const device::PowerMode& next) {
      if (options.before_run) options.before_run(config_of(next));
    };
    cb.on_row = [&](const ProfileRow& row, bool resumed) {
      (resumed ? out.resumed : out.measured) += 1;
      if (callbacks.on_config) callbacks.on_config(out.resumed + out.measured, out.total, config_of(row.mode), resumed);
    };
    CampaignOutcome result = run_campaign(backend, p.campaign, log, copts, cb);
    std::vector<CharacterizationRow> rows;
    for (const auto& row : result.rows) rows.push_back(make_characterization_row(spec, config_of(row.mode), row, campaign_id));
    if (callbacks.on_rows) callbacks.on_rows(rows);
    for (auto& r : rows) out.rows.push_back(std::move(r));
    if (result.stopped) {
      out.stopped = true;
      break;
    }
  }
  out.stopped = out.stopped || out.rows.size() < out.total;
  out.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace modewise::profile
