// modewise monitor: live power per rail from the board's INA3221/INA238 sensors (or NVML, which falls back to the
// INA rails where it answers NotSupported), sampled at --interval-ms; text, CSV or one JSON summary.
#include <chrono>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "modewise/control/signals.h"
#include "modewise/telemetry/power_sensor.h"
#include "modewise/telemetry/sampler.h"
#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::cli {
namespace {

struct MonitorOptions {
  std::string device = "jetson";
  double interval_ms = 10;
  double duration_s = -1;
  double print_ms = 500;
  bool csv = false, json = false;
  CLI::Option* duration_opt = nullptr;
};

void run_monitor(const MonitorOptions& o, const GlobalOptions& g) {
  if (!(o.interval_ms >= 0.5 && o.interval_ms <= 60000))
    throw UsageError("--interval-ms must be between 0.5 and 60000, got {}", o.interval_ms);
  if (!(o.print_ms >= 10)) throw UsageError("--print-ms must be at least 10, got {}", o.print_ms);
  // Only an explicit finite, non-negative --duration stops by itself: "-1" or "nan" would otherwise run forever.
  const bool timed = o.duration_opt && o.duration_opt->count() > 0;
  if (timed) check_non_negative(o.duration_s, "--duration");
  telemetry::SysfsRoot root(g.sysfs_root);
  auto sensor = telemetry::open_power_sensor(o.device, root);
  std::vector<std::string> channels = sensor->channels();
  std::mutex out_mutex;
  double t0 = -1;
  telemetry::SamplerOptions so;
  so.interval_s = o.interval_ms / 1000.0;
  so.keep_history = false;
  util::CsvWriter csv(std::cout);
  if (o.csv) {
    std::vector<std::string> header{"t_s"};
    for (const auto& c : channels) header.push_back(c + "_w");
    csv.row(header);
    so.on_sample = [&](const telemetry::Sample& s) {
      std::lock_guard lock(out_mutex);
      if (t0 < 0) t0 = s.t_s;
      std::vector<std::string> row{fmt::format("{:.6f}", s.t_s - t0)};
      for (double p : s.power_w) row.push_back(fmt::format("{:.4f}", p));
      csv.row(row);
    };
  }
  info(fmt::format("sampling {} ({} channels, total = {}) every {} ms{}; Ctrl-C to stop", sensor->name(),
                   channels.size(), sensor->total_rule(), util::format_number(o.interval_ms),
                   timed ? fmt::format(" for {} s", util::format_number(o.duration_s)) : ""));
  control::SignalCatcher catcher;
  telemetry::PowerSampler sampler(*sensor, so);
  sampler.start();
  telemetry::Sample first = sampler.latest(), last = first;
  if (!o.csv && !o.json) {
    std::string head = fmt::format("{:>9}", "t_s");
    for (const auto& c : channels) head += fmt::format("  {:>{}}", c + "_w", std::max<size_t>(8, c.size() + 2));
    std::cout << head << std::endl;
  }
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double wait = o.print_ms / 1000.0;
    if (timed) wait = std::min(wait, std::max(0.0, o.duration_s - elapsed));
    bool stop = control::SignalCatcher::wait(wait);
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (timed && elapsed >= o.duration_s) stop = true;
    telemetry::Sample now = sampler.latest();
    if (o.csv) {
      std::lock_guard lock(out_mutex);
      std::cout.flush();
    } else if (o.json) {
      // one summary object at the end
    } else if (now.t_s > last.t_s) {
      std::string row = fmt::format("{:>9.2f}", now.t_s - first.t_s);
      for (size_t c = 0; c < channels.size(); ++c)
        row += fmt::format("  {:>{}.3f}", telemetry::mean_power_w(last, now, c), std::max<size_t>(8, channels[c].size() + 2));
      std::cout << row << std::endl;
      last = now;
    }
    if (stop) break;
  }
  sampler.stop();
  telemetry::Sample end = sampler.latest();
  double span = telemetry::elapsed_s(first, end);
  std::string summary = fmt::format("{} samples in {:.2f} s ({:.0f} Hz)", sampler.sample_count(), span,
                                    sampler.achieved_rate_hz());
  for (size_t c = 0; c < channels.size(); ++c)
    summary += fmt::format("; {} {:.3f} J, mean {:.3f} W", channels[c], telemetry::energy_j(first, end, c),
                           telemetry::mean_power_w(first, end, c));
  if (first.counter_energy_j >= 0 && end.counter_energy_j >= 0)
    summary += fmt::format("; sensor counter {:.3f} J", end.counter_energy_j - first.counter_energy_j);
  info(summary);
  if (o.json) {
    nlohmann::json mean = nlohmann::json::object(), energy = nlohmann::json::object();
    for (size_t c = 0; c < channels.size(); ++c) {
      mean[channels[c]] = telemetry::mean_power_w(first, end, c);
      energy[channels[c]] = telemetry::energy_j(first, end, c);
    }
    nlohmann::json j{{"provenance", "measured"},
                     {"sensor", sensor->name()},
                     {"total_rule", sensor->total_rule()},
                     {"channels", channels},
                     {"samples", sampler.sample_count()},
                     {"duration_s", span},
                     {"rate_hz", sampler.achieved_rate_hz()},
                     {"mean_power_w", mean},
                     {"energy_j", energy},
                     {"failed_samples", sampler.errors()}};
    if (first.counter_energy_j >= 0 && end.counter_energy_j >= 0)
      j["sensor_counter_energy_j"] = end.counter_energy_j - first.counter_energy_j;
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  }
  if (sampler.errors() > 0) warn(fmt::format("{} samples failed: {}", sampler.errors(), sampler.last_error()));
}

Registrar reg(72, "monitor", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<MonitorOptions>();
  auto* cmd = app.add_subcommand("monitor", "Live board power per rail (INA3221 on a Jetson, or NVML), measured");
  cmd->add_option("--device", o->device, "Power sensor: jetson (INA3221 rails) or nvml:<index>")->capture_default_str();
  cmd->add_option("--interval-ms", o->interval_ms, "Sampling interval in ms")->capture_default_str();
  o->duration_opt =
      cmd->add_option("--duration", o->duration_s, "Stop after S seconds (finite, >= 0; default: until Ctrl-C)");
  cmd->add_option("--print-ms", o->print_ms, "Text output: one line of mean power per rail every N ms")
      ->capture_default_str();
  auto* csv = cmd->add_flag("--csv", o->csv, "CSV on stdout: one row per sample (t_s, total_w, <rail>_w ...)");
  cmd->add_flag("--json", o->json,
                "One JSON object on stdout at the end: sensor, total_rule (e.g. \"input rail VIN\"), channels, "
                "samples, rate_hz, mean_power_w and energy_j per channel")
      ->excludes(csv);
  cmd->footer("A summary (samples, rate, energy and mean power per rail) goes to stderr at the end.");
  cmd->callback([o, &g] { run_monitor(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
