// modewise tegrastats: turn a tegrastats log (a file, or stdin live: `tegrastats | modewise tegrastats --json`)
// into JSON lines, CSV or a table.
#include <filesystem>
#include <fstream>
#include <set>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "modewise/telemetry/tegrastats.h"
#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"
#include "modewise/util/table.h"

namespace modewise::cli {
namespace {

struct TegrastatsOptions {
  std::string file = "-";
  bool json = false, csv = false, skip_bad = false, strict = false;
};

std::string num(const std::optional<double>& v) { return v ? util::format_number(*v) : ""; }

std::vector<std::string> summary_row(const telemetry::TegrastatsRecord& r, int line) {
  double load = 0, mhz = 0;
  int online = 0;
  for (const auto& c : r.cpus)
    if (c.online) {
      ++online;
      load += c.load_pct.value_or(0);
      mhz = std::max(mhz, c.mhz.value_or(0));
    }
  auto engine_mhz = [](const std::optional<telemetry::TegraEngine>& e) -> std::optional<double> {
    if (!e || e->mhz.empty()) return std::nullopt;
    return *std::max_element(e->mhz.begin(), e->mhz.end());
  };
  return {std::to_string(line),
          r.timestamp.value_or(""),
          std::to_string(online),
          online ? fmt::format("{:.1f}", load / online) : "",
          online && mhz > 0 ? util::format_number(mhz) : "",
          r.gpu ? num(r.gpu->load_pct) : "",
          num(engine_mhz(r.gpu)),
          r.emc ? num(r.emc->load_pct) : "",
          num(engine_mhz(r.emc)),
          num(r.total_power_mw),
          r.total_rule};
}

void run_tegrastats(const TegrastatsOptions& o) {
  std::ifstream file;
  std::istream* in = &std::cin;
  std::string source = "<stdin>";
  if (o.file != "-") {
    std::error_code ec;
    if (std::filesystem::is_directory(o.file, ec))
      throw Error("cannot read '{}': it is a directory (expected a tegrastats log file, or - for stdin)", o.file);
    file.open(o.file);
    if (!file) throw Error("cannot read '{}': no such file or not readable", o.file);
    in = &file;
    source = o.file;
  }
  const std::vector<std::string> header{"line",    "timestamp",   "cpus_online",   "cpu_load_pct", "cpu_mhz", "gpu_load_pct",
                                        "gpu_mhz", "emc_load_pct", "emc_mhz", "total_power_mw", "total_rule"};
  util::CsvWriter csv(std::cout);
  util::TextTable table(header);
  if (o.csv) csv.row(header);
  std::string line;
  int lineno = 0, records = 0, skipped = 0;
  telemetry::TegrastatsParseOptions po;
  po.strict = o.strict;
  std::set<std::string> warned;  // one warning per unknown field name
  while (std::getline(*in, line)) {
    ++lineno;
    if (util::trim(line).empty()) continue;
    telemetry::TegrastatsRecord r;
    try {
      r = telemetry::parse_tegrastats_line(line, fmt::format("{}:{}", source, lineno), po);
    } catch (const Error& e) {
      if (!o.skip_bad) throw;
      warn(fmt::format("skipped: {}", e.what()));
      ++skipped;
      continue;
    }
    ++records;
    for (const auto& other : r.other)
      if (warned.insert(other.name).second)
        warn(fmt::format("{}:{}: field '{}' ('{}') has a format this parser does not know: kept as raw text under "
                         "\"other\" in --json (warned once per field name; --strict makes it an error)",
                         source, lineno, other.name, other.text.substr(0, 40)));
    if (o.json) {
      std::cout << telemetry::to_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    } else if (o.csv) {
      csv.row(summary_row(r, lineno));
      std::cout.flush();
    } else {
      table.add(summary_row(r, lineno));
    }
  }
  if (!o.json && !o.csv) table.print(std::cout);
  info(fmt::format("{} tegrastats record(s) from {}{}", records, source,
                   skipped ? fmt::format(", {} line(s) skipped", skipped) : ""));
}

Registrar reg(73, "tegrastats", [](CLI::App& app, GlobalOptions&) {
  auto o = std::make_shared<TegrastatsOptions>();
  auto* cmd = app.add_subcommand("tegrastats", "Parse a tegrastats log (any JetPack format) into JSON lines, CSV or a table");
  cmd->add_option("file", o->file, "Log file, or - for stdin (e.g. `tegrastats | modewise tegrastats --json`)")
      ->capture_default_str();
  auto* json = cmd->add_flag("--json", o->json,
                             "One JSON object per line: timestamp, cpu, emc, gpu, engines, temperatures_c, rails "
                             "{NAME: {power_mw, avg_mw}}, total_power_mw, total_rule, other {NAME: raw text}");
  cmd->add_flag("--csv", o->csv, "CSV summary (one row per line)")->excludes(json);
  cmd->add_flag("--skip-bad", o->skip_bad, "Warn about lines that do not parse and go on (default: stop with an error)");
  cmd->add_flag("--strict", o->strict,
                "Unknown or unreadable non-power fields are errors (default: kept under \"other\", warned once per name)");
  cmd->footer(
      "Total power: the input rail VDD_IN / POM_5V_IN / VIN where present, else the sum of the rails (NC skipped);\n"
      "\"total_rule\" says which. A power rail that is present but malformed is an error (file:line: field).");
  cmd->callback([o] { run_tegrastats(*o); });
});

}  // namespace
}  // namespace modewise::cli
