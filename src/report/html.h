// Building blocks of the report page: escaping, number formatting, tables, figures, and a page that counts them.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace modewise::report::detail {

std::string esc(std::string_view text);                // HTML text and attribute escaping
std::string num(double v, int significant = 4);        // "–" for NaN
std::string anchor_id(std::string_view prefix, std::string_view id);  // "campaign-0123abcd"

class HtmlTable {
 public:
  // numeric_align: a cell that parses as a number is right-aligned (off for tables of facts).
  HtmlTable(std::vector<std::string> header, std::string caption, bool numeric_align = true);
  // Cells are text (escaped here).
  void add(std::vector<std::string> cells, bool highlight = false);
  size_t size() const { return rows_.size(); }
  std::string render() const;

 private:
  std::vector<std::string> header_;
  std::string caption_;
  bool numeric_align_;
  struct Row {
    std::vector<std::string> cells;
    bool highlight;
  };
  std::vector<Row> rows_;
};

// The page being written: HTML text plus counts of what it holds.
struct Page {
  std::string html;
  int plots = 0, tables = 0;
  void raw(std::string_view text) { html += text; }
  void heading(int level, std::string_view text, std::string_view id = {});
  void paragraph(std::string_view text, std::string_view cls = {});  // text is escaped
  void figure(const std::string& svg);   // one plot
  void table(const HtmlTable& table);
  void open_grid() { html += "<div class=\"grid\">\n"; }
  void close_grid() { html += "</div>\n"; }
};

}  // namespace modewise::report::detail
