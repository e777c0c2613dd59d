// modewise report: one self-contained HTML page (inline SVG and CSS, no scripts or external resources) of the
// campaigns and characterizations in the store. docs/REPORT.md.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "modewise/report/report.h"
#include "modewise/store/store.h"
#include "modewise/util/error.h"

namespace modewise::cli {
namespace {

struct ReportCliOptions {
  std::string campaign, out, title = "modewise report";
  size_t max_rows = 1000;
  bool json = false;
};

std::string utc_now() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

void run_report(const ReportCliOptions& o, const GlobalOptions& g) {
  if (o.out.empty()) throw UsageError("--out: expected an HTML file name (or '-' for stdout)");
  if (o.json && o.out == "-") throw UsageError("--json prints a summary on stdout: write the page with --out FILE.html");
  if (o.max_rows < 1) throw UsageError("--max-rows: expected at least 1");
  if (o.out != "-") util::check_output_path(o.out);
  store::Store db(db_path_for_reading(g.db_path), store::Store::ReadOnly{});
  report::ReportData data = report::load_report_data(db, o.campaign);
  report::ReportOptions options;
  options.title = o.title;
  options.generated_at = utc_now();
  options.command_line = o.campaign.empty() ? "modewise report" : "modewise report --campaign " + o.campaign;
  options.max_table_rows = o.max_rows;
  report::RenderedReport page = report::render_report(data, options);

  if (o.out == "-") {
    std::cout << page.html;
  } else {
    util::write_file_atomically(o.out, page.html, /*binary=*/true);
  }
  info(fmt::format("wrote {}: {} plots, {} tables ({} characterization{}, {} campaign{}; {} KB)",
                   o.out == "-" ? "the report to stdout" : o.out, page.plots, page.tables,
                   data.characterizations.size(), data.characterizations.size() == 1 ? "" : "s", data.campaigns.size(),
                   data.campaigns.size() == 1 ? "" : "s", page.html.size() / 1024));
  if (o.json) {
    nlohmann::json j = {{"out", o.out}, {"plots", page.plots}, {"tables", page.tables}, {"bytes", page.html.size()},
                        {"db", db.path()}};
    j["campaigns"] = nlohmann::json::array();
    for (const auto& c : data.campaigns)
      j["campaigns"].push_back({{"id", c.info.id}, {"modes", c.rows.size()}, {"provenance", c.info.provenance}});
    j["characterizations"] = nlohmann::json::array();
    for (const auto& c : data.characterizations)
      j["characterizations"].push_back(
          {{"id", c.info.id}, {"configurations", c.rows.size()}, {"provenance", c.info.provenance}});
    std::cout << j.dump() << "\n";
  }
}

Registrar reg(90, "report", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<ReportCliOptions>();
  auto* cmd = app.add_subcommand(
      "report", "Write one self-contained HTML page of the store's campaigns and characterizations (SVG plots, tables)");
  cmd->add_option("--campaign", o->campaign,
                  "Only this campaign or characterization (id or unique prefix; see `modewise db list`)");
  cmd->add_option("--out", o->out, "HTML file to write ('-' for stdout)")->required();
  cmd->add_option("--title", o->title, "Page title")->capture_default_str();
  cmd->add_option("--max-rows", o->max_rows, "Rows per table at most (the store keeps everything)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print a JSON summary (plots, tables, sections) on stdout");
  cmd->footer("The store is --db PATH (before or after `report`), $MODEWISE_DB, or ~/.local/share/modewise/modewise.db.");
  cmd->callback([o, &g] { run_report(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
