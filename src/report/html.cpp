#include "report/html.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "modewise/util/strings.h"
#include "modewise/util/svg.h"

namespace modewise::report::detail {

std::string esc(std::string_view t) { return util::svg_escape(t); }  // also right for HTML text and attributes

std::string num(double v, int significant) {
  if (!std::isfinite(v)) return "–";
  double a = std::fabs(v);
  if (a >= std::pow(10.0, significant)) return fmt::format("{:.0f}", v);
  return fmt::format("{:.{}g}", v, significant);
}

std::string anchor_id(std::string_view prefix, std::string_view id) {
  std::string out(prefix);
  out += '-';
  for (char c : id) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return out;
}

HtmlTable::HtmlTable(std::vector<std::string> header, std::string caption, bool numeric_align)
    : header_(std::move(header)), caption_(std::move(caption)), numeric_align_(numeric_align) {}

void HtmlTable::add(std::vector<std::string> cells, bool highlight) { rows_.push_back({std::move(cells), highlight}); }

namespace {
bool is_number(const std::string& s) {
  if (s.empty()) return false;
  if (s == "–") return true;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end && *end == '\0';
}
}  // namespace

std::string HtmlTable::render() const {
  std::string o = "<div class=\"table-wrap\"><table>\n<caption>" + esc(caption_) + "</caption>\n<thead><tr>";
  for (const auto& h : header_) o += "<th>" + esc(h) + "</th>";
  o += "</tr></thead>\n<tbody>\n";
  for (const auto& r : rows_) {
    o += r.highlight ? "<tr class=\"hl\">" : "<tr>";
    for (const auto& c : r.cells) o += (numeric_align_ && is_number(c) ? "<td class=\"n\">" : "<td>") + esc(c) + "</td>";
    o += "</tr>\n";
  }
  return o + "</tbody></table></div>\n";
}

void Page::heading(int level, std::string_view text, std::string_view id) {
  if (id.empty())
    html += fmt::format("<h{0}>{1}</h{0}>\n", level, esc(text));
  else
    html += fmt::format("<h{0} id=\"{2}\">{1}</h{0}>\n", level, esc(text), esc(id));
}

void Page::paragraph(std::string_view text, std::string_view cls) {
  if (cls.empty())
    html += "<p>" + esc(text) + "</p>\n";
  else
    html += fmt::format("<p class=\"{}\">{}</p>\n", esc(cls), esc(text));
}

void Page::figure(const std::string& svg) {
  html += "<figure class=\"plot\">\n" + svg + "</figure>\n";
  ++plots;
}

void Page::table(const HtmlTable& t) {
  html += t.render();
  ++tables;
}

}  // namespace modewise::report::detail
