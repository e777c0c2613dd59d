// modewise monitor: live power per rail from the board's INA3221/INA238 sensors (or NVML, which falls back to the
// INA rails where it answers NotSupported), sampled at --interval-ms; text, CSV (stdout or a file) or one JSON
// summary, and optionally a Prometheus /metrics endpoint (--prometheus HOST:PORT) served while it samples.
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "modewise/control/board.h"
#include "modewise/control/knobs.h"
#include "modewise/control/signals.h"
#include "modewise/telemetry/power_sensor.h"
#include "modewise/telemetry/prometheus.h"
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
  std::string csv_path;  // "" or "-": stdout
  std::string prometheus;
  bool json = false;
  CLI::Option* duration_opt = nullptr;
  CLI::Option* csv_opt = nullptr;
  CLI::Option* prometheus_opt = nullptr;
};

// What the /metrics endpoint needs besides the sampler: the board (for clocks and cores) when discovery works.
struct MetricsContext {
  std::string device, sensor, total_rule;
  std::vector<std::string> channels;  // "total" first
  telemetry::SysfsRoot root{"/"};
  std::optional<control::JetsonBoard> board;
};

// One exposition, rendered per scrape on the server thread from the sampler's latest sample (which the sampler's
// lock guards) and the board's knobs read now.
std::string render_metrics(const MetricsContext& m, const telemetry::PowerSampler& sampler) {
  using telemetry::Labels;
  telemetry::Sample s = sampler.latest();
  telemetry::PrometheusText t;
  t.family("modewise_rail_power_watts", "gauge", "Power of one measured rail (INA3221/INA238 or NVML), latest sample");
  for (size_t c = 1; c < m.channels.size() && c < s.power_w.size(); ++c)
    t.sample("modewise_rail_power_watts", s.power_w[c], Labels{{"rail", m.channels[c]}});
  t.family("modewise_board_power_watts", "gauge", "Board power by the total rule (see modewise_info total_rule)");
  t.sample("modewise_board_power_watts", s.power_w.empty() ? 0.0 : s.power_w[0]);
  t.family("modewise_rail_energy_joules_total", "counter", "Energy of one rail since monitor started (trapezoidal)");
  for (size_t c = 1; c < m.channels.size() && c < s.energy_j.size(); ++c)
    t.sample("modewise_rail_energy_joules_total", s.energy_j[c], Labels{{"rail", m.channels[c]}});
  t.family("modewise_board_energy_joules_total", "counter",
           "Board energy since monitor started (trapezoidal integration of the board power)");
  t.sample("modewise_board_energy_joules_total", s.energy_j.empty() ? 0.0 : s.energy_j[0]);
  t.family("modewise_samples_total", "counter", "Power samples taken since monitor started");
  t.sample("modewise_samples_total", static_cast<double>(sampler.sample_count()));
  t.family("modewise_sample_errors_total", "counter", "Power samples that failed (a rail could not be read)");
  t.sample("modewise_sample_errors_total", static_cast<double>(sampler.errors()));
  std::string power_mode = "unknown";
  std::optional<device::PowerMode> mode;
  if (m.board) {
    // The clocks the power mode now set holds (the caps: scaling_max_freq, devfreq max_freq, the EMC cap), read
    // from the board at every scrape; 0 (unreadable) is left out, and so is everything when the knobs cannot be
    // read at all (the power metrics are still served).
    try {
      mode = control::mode_of(*m.board, control::read_knobs(m.root, *m.board));
    } catch (const Error&) {
    }
  }
  if (mode) {
    power_mode = mode->key();
    t.family("modewise_clock_hertz", "gauge", "Clock of the power mode now set (its cap), per domain");
    for (auto [domain, mhz] : {std::pair{"cpu", mode->cpu_mhz}, {"gpu", mode->gpu_mhz}, {"emc", mode->emc_mhz}})
      if (mhz > 0) t.sample("modewise_clock_hertz", std::round(mhz * 1e6), Labels{{"domain", domain}});  // whole Hz
    t.family("modewise_online_cores", "gauge", "CPU cores online");
    t.sample("modewise_online_cores", mode->cores);
  }
  t.family("modewise_info", "gauge", "What is measured: power mode (cores/CPU/GPU/EMC MHz), provenance, device");
  Labels info{{"power_mode", power_mode},   {"provenance", "measured"}, {"device", m.device},
              {"sensor", m.sensor},         {"total_rule", m.total_rule}};
  if (m.board) info.push_back({"board", m.board->model});
  t.sample("modewise_info", 1, info);
  return t.str();
}

void run_monitor(const MonitorOptions& o, const GlobalOptions& g) {
  if (!(o.interval_ms >= 0.5 && o.interval_ms <= 60000))
    throw UsageError("--interval-ms must be between 0.5 and 60000, got {}", o.interval_ms);
  if (!(o.print_ms >= 10)) throw UsageError("--print-ms must be at least 10, got {}", o.print_ms);
  // Only an explicit finite, non-negative --duration stops by itself: "-1" or "nan" would otherwise run forever.
  const bool timed = o.duration_opt && o.duration_opt->count() > 0;
  if (timed) check_non_negative(o.duration_s, "--duration");
  const bool csv = o.csv_opt && o.csv_opt->count() > 0;
  const bool csv_stdout = csv && (o.csv_path.empty() || o.csv_path == "-");
  if (csv_stdout && o.json)
    throw UsageError("--csv on stdout and --json exclude each other; give --csv a FILE to log samples beside --json");
  std::optional<telemetry::ListenAddress> listen;
  if (o.prometheus_opt && o.prometheus_opt->count() > 0) listen = telemetry::parse_listen_address(o.prometheus);

  telemetry::SysfsRoot root(g.sysfs_root);
  auto sensor = telemetry::open_power_sensor(o.device, root);
  std::vector<std::string> channels = sensor->channels();

  // The CSV goes to stdout or to a file written as it goes (not atomically: a log that a kill must not lose),
  // flushed at every print tick.
  std::ofstream csv_file;
  if (csv && !csv_stdout) {
    csv_file.open(o.csv_path, std::ios::out | std::ios::trunc);
    if (!csv_file) throw Error("--csv {}: cannot open for writing: {}", o.csv_path, std::strerror(errno));
  }
  std::ostream& csv_out = csv_stdout ? std::cout : static_cast<std::ostream&>(csv_file);
  std::mutex out_mutex;
  double t0 = -1;
  telemetry::SamplerOptions so;
  so.interval_s = o.interval_ms / 1000.0;
  so.keep_history = false;
  util::CsvWriter csv_writer(csv_out);
  if (csv) {
    std::vector<std::string> header{"t_s"};
    for (const auto& c : channels) header.push_back(c + "_w");
    csv_writer.row(header);
    csv_out.flush();
    so.on_sample = [&](const telemetry::Sample& s) {
      std::lock_guard lock(out_mutex);
      if (t0 < 0) t0 = s.t_s;
      std::vector<std::string> row{fmt::format("{:.6f}", s.t_s - t0)};
      for (double p : s.power_w) row.push_back(fmt::format("{:.4f}", p));
      csv_writer.row(row);
    };
  }

  MetricsContext mctx;
  if (listen) {
    mctx.device = o.device;
    mctx.sensor = sensor->name();
    mctx.total_rule = sensor->total_rule();
    mctx.channels = channels;
    mctx.root = root;
    try {
      mctx.board = control::discover_board(root);
    } catch (const Error& e) {
      warn(fmt::format("no clock and core metrics: {}", e.what()));
    }
  }

  info(fmt::format("sampling {} ({} channels, total = {}) every {} ms{}; Ctrl-C to stop", sensor->name(),
                   channels.size(), sensor->total_rule(), util::format_number(o.interval_ms),
                   timed ? fmt::format(" for {} s", util::format_number(o.duration_s)) : ""));
  control::SignalCatcher catcher;
  telemetry::PowerSampler sampler(*sensor, so);
  sampler.start();
  std::unique_ptr<telemetry::MetricsServer> server;
  if (listen) {
    server = std::make_unique<telemetry::MetricsServer>(*listen, [&] { return render_metrics(mctx, sampler); });
    info(fmt::format("serving Prometheus metrics on {} (port {})", server->url(), server->port()));
  }
  telemetry::Sample first = sampler.latest(), last = first;
  if (!csv_stdout && !o.json) {
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
    if (csv) {
      std::lock_guard lock(out_mutex);
      csv_out.flush();
    }
    if (csv_stdout || o.json) {
      // CSV rows are written by the sampler; JSON is one summary object at the end
    } else if (now.t_s > last.t_s) {
      std::string row = fmt::format("{:>9.2f}", now.t_s - first.t_s);
      for (size_t c = 0; c < channels.size(); ++c)
        row += fmt::format("  {:>{}.3f}", telemetry::mean_power_w(last, now, c), std::max<size_t>(8, channels[c].size() + 2));
      std::cout << row << std::endl;
      last = now;
    }
    if (stop) break;
  }
  if (server) server->stop();
  sampler.stop();
  if (csv) {
    std::lock_guard lock(out_mutex);
    csv_out.flush();
    if (!csv_out) throw Error("--csv {}: write failed: {}", csv_stdout ? "stdout" : o.csv_path, std::strerror(errno));
  }
  telemetry::Sample end = sampler.latest();
  double span = telemetry::elapsed_s(first, end);
  std::string summary = fmt::format("{} samples in {:.2f} s ({:.0f} Hz)", sampler.sample_count(), span,
                                    sampler.achieved_rate_hz());
  for (size_t c = 0; c < channels.size(); ++c)
    summary += fmt::format("; {} {:.3f} J, mean {:.3f} W", channels[c], telemetry::energy_j(first, end, c),
                           telemetry::mean_power_w(first, end, c));
  if (first.counter_energy_j >= 0 && end.counter_energy_j >= 0)
    summary += fmt::format("; sensor counter {:.3f} J", end.counter_energy_j - first.counter_energy_j);
  if (server) summary += fmt::format("; {} metrics requests served", server->requests());
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
  cmd->add_option("--print-ms", o->print_ms,
                  "Text output: one line of mean power per rail every N ms (also how often --csv FILE is flushed)")
      ->capture_default_str();
  o->csv_opt = cmd->add_option("--csv", o->csv_path,
                               "CSV, one row per sample (t_s, total_w, <rail>_w ...): on stdout (--csv or --csv -), "
                               "or logged to FILE (--csv FILE), flushed every --print-ms")
                   ->expected(0, 1)
                   ->type_name("[FILE]");
  cmd->add_flag("--json", o->json,
                "One JSON object on stdout at the end: sensor, total_rule (e.g. \"input rail VIN\"), channels, "
                "samples, rate_hz, mean_power_w and energy_j per channel");
  o->prometheus_opt = cmd->add_option(
      "--prometheus", o->prometheus,
      "Serve Prometheus metrics on http://HOST:PORT/metrics while sampling (HOST:PORT; :PORT = 127.0.0.1; "
      "0.0.0.0:PORT = every interface; port 0 = any free port, printed on stderr)")
                          ->type_name("HOST:PORT");
  cmd->footer("A summary (samples, rate, energy and mean power per rail) goes to stderr at the end. Metrics: "
              "modewise_rail_power_watts{rail}, modewise_board_power_watts, modewise_board_energy_joules_total, "
              "modewise_rail_energy_joules_total{rail}, modewise_clock_hertz{domain}, modewise_online_cores, "
              "modewise_info{power_mode,provenance,device,...} (docs/PYTHON.md, \"Prometheus and Grafana\").");
  cmd->callback([o, &g] { run_monitor(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
