// The report page: loading what to show from the store, the page skeleton and its CSS.
#include "modewise/report/report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "modewise/util/error.h"
#include "modewise/util/strings.h"
#include "report/sections.h"

namespace modewise::report {

using detail::esc;

std::vector<size_t> pareto_front(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<size_t> idx;
  for (size_t i = 0; i < std::min(x.size(), y.size()); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i])) idx.push_back(i);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return x[a] < x[b] || (x[a] == x[b] && y[a] < y[b]); });
  std::vector<size_t> front;
  double best = std::numeric_limits<double>::infinity();
  for (size_t i : idx)
    if (y[i] < best) {
      front.push_back(i);
      best = y[i];
    }
  return front;
}

std::string provenance_text(const std::string& provenance, const std::string& backend, const std::string& source) {
  const std::string not_measured = profile::provenance_origin(provenance) == "measured" ? "" : ", not measured";
  if (backend == "import") {
    std::string what = provenance.empty()        ? "provenance unknown"
                       : provenance == "mixed" ? "mixed provenance"
                                               : provenance;
    return fmt::format("imported from {} ({}{})", source.empty() ? "a CSV file" : source, what, not_measured);
  }
  if (provenance == "emulated") return fmt::format("emulated ({}), not measured", backend);
  if (provenance == "replayed") return fmt::format("replayed ({}), origin not recorded", backend);
  if (provenance == "measured") return fmt::format("measured ({})", backend);
  if (util::starts_with(provenance, "replayed ("))  // the origin kept: "replayed (emulated)" -> "... of emulated rows"
    return fmt::format("replayed from {} rows ({}){}", profile::provenance_origin(provenance), backend, not_measured);
  return fmt::format("{} ({}){}", provenance.empty() ? "provenance unknown" : provenance, backend, not_measured);
}

std::string provenance_noun(const std::string& provenance) {
  if (provenance == "measured" || provenance == "emulated") return provenance;
  const std::string origin = profile::provenance_origin(provenance);
  if (util::starts_with(provenance, "replayed") && !origin.empty()) return "replayed (" + origin + ")";
  return "profiled";
}

ReportData load_report_data(store::Store& db, const std::string& id_prefix) {
  ReportData data;
  data.db_path = db.path();
  store::CharacterizationStore chars(db);
  auto load_campaign = [&](const store::CampaignInfo& info) {
    CampaignReport c;
    c.info = info;
    c.rows = db.campaign_rows(info.id);
    c.spec = chars.device_spec(info.device);
    data.campaigns.push_back(std::move(c));
  };
  auto load_characterization = [&](const store::CharacterizationInfo& info) {
    CharacterizationReport c;
    c.info = info;
    c.definition = chars.definition(info.id);
    c.rows = chars.rows(info.id);
    c.spec = chars.device_spec(info.device);
    data.characterizations.push_back(std::move(c));
  };
  std::string want = util::trim(id_prefix);
  if (want.empty()) {
    for (const auto& info : chars.list()) load_characterization(info);
    auto members = chars.member_campaigns();
    for (const auto& info : db.list_campaigns())
      if (!members.count(info.id)) load_campaign(info);
    return data;
  }
  auto characterization = chars.find(want);
  std::optional<store::CampaignInfo> campaign = db.find_campaign_if_any(want);  // Error when ambiguous
  if (!campaign && !characterization)
    throw Error("{}: no campaign or characterization '{}' (see `modewise db list`)", db.path(), want);
  if (characterization && campaign)
    throw Error("{}: '{}' starts both characterization {} and campaign {}; give more digits", db.path(), want,
                characterization->id, campaign->id);
  if (characterization)
    load_characterization(*characterization);
  else
    load_campaign(*campaign);
  return data;
}

namespace {

constexpr const char* kCss = R"css(
body { font-family: sans-serif; color: #222; margin: 0 auto; max-width: 1240px; padding: 16px 24px; line-height: 1.4; }
h1 { margin-bottom: 4px; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 40px; }
h3 { margin-top: 28px; }
.meta, .hint { color: #555; font-size: 13px; }
.prov { display: inline-block; background: #fff3cd; border: 1px solid #e0c36a; border-radius: 4px; padding: 2px 8px;
        font-size: 13px; }
nav ul { margin: 4px 0; } nav li { font-size: 14px; }
.grid { display: flex; flex-wrap: wrap; gap: 12px; }
figure.plot { margin: 0; border: 1px solid #e4e4e4; border-radius: 4px; padding: 4px; background: white; max-width: 100%;
              overflow-x: auto; }
figure.plot svg { display: block; max-width: 100%; height: auto; }
.table-wrap { overflow-x: auto; margin: 8px 0 16px; }
table { border-collapse: collapse; font-size: 12.5px; }
caption { text-align: left; font-weight: bold; padding: 4px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; } th { background: #f4f4f4; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.hl td { background: #eef6ee; }
details summary { cursor: pointer; margin: 8px 0; }
footer { margin-top: 48px; color: #777; font-size: 12px; }
)css";

std::string provenance_summary(const ReportData& d) {
  std::map<std::string, int> counts;
  for (const auto& c : d.campaigns) counts[c.info.backend == "import" ? "imported" : c.info.provenance]++;
  for (const auto& c : d.characterizations) counts[c.info.provenance]++;
  std::vector<std::string> parts;
  for (const auto& [p, n] : counts)
    parts.push_back(fmt::format("{} section{} {}", n, n == 1 ? "" : "s", p.empty() ? "of unknown provenance" : p));
  return parts.empty() ? "nothing" : fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

RenderedReport render_report(const ReportData& data, const ReportOptions& o) {
  detail::Page page;
  page.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
  page.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
  page.raw(fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n", esc(o.title), kCss));
  page.raw("<header>\n");
  page.heading(1, o.title);
  std::string meta = fmt::format("Store: {}", data.db_path);
  if (!o.generated_at.empty()) meta += " · generated " + o.generated_at;
  if (!o.command_line.empty()) meta += " · " + o.command_line;
  page.paragraph(meta, "meta");
  page.raw(fmt::format("<p><span class=\"prov\">Where the numbers come from: {}. Emulated numbers come from "
                       "modewise's board emulator and are not measurements.</span></p>\n",
                       esc(provenance_summary(data))));
  page.raw("</header>\n");

  if (data.campaigns.empty() && data.characterizations.empty()) {
    page.paragraph("The store holds no campaigns yet: run `modewise profile` or `modewise characterize` first.");
  } else {
    page.raw("<nav><h2>Contents</h2><ul>\n");
    for (const auto& c : data.characterizations)
      page.raw(fmt::format("<li><a href=\"#{}\">Characterization {}: {} {} on {}</a> ({} of {} configurations, {})</li>\n",
                           detail::characterization_anchor(c), esc(c.info.id), esc(c.info.workload), esc(c.info.task),
                           esc(c.info.device), c.rows.size(), c.info.configs_total,
                           esc(provenance_text(c.info.provenance, c.info.backend))));
    for (const auto& c : data.campaigns)
      page.raw(fmt::format("<li><a href=\"#{}\">Campaign {}: {} {} · batch {} on {}</a> ({} modes, {})</li>\n",
                           detail::campaign_anchor(c), esc(c.info.id), esc(c.info.workload), esc(c.info.task),
                           c.info.batch_size, esc(c.info.device), c.rows.size(),
                           esc(provenance_text(c.info.provenance, c.info.backend, c.info.source))));
    page.raw("</ul></nav>\n");
  }
  for (const auto& c : data.characterizations) detail::render_characterization(page, c, o);
  for (const auto& c : data.campaigns) detail::render_campaign(page, c, o);
  page.raw(fmt::format("<footer id=\"report-end\">modewise report: {} plots, {} tables. Every plot and table names the "
                       "source of its numbers.</footer>\n</body>\n</html>\n",
                       page.plots, page.tables));
  return {std::move(page.html), page.plots, page.tables};
}

}  // namespace modewise::report
