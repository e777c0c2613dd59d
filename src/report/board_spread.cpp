// The report's board-to-board section for campaigns whose rows come from several boards (a merged fleet
// campaign, docs/FLEET.md): how far each board's time and power sit from the other boards' on the same modes, and
// the modes that differ most. Rows are never averaged: every board's numbers are shown.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "modewise/store/merge.h"
#include "report/sections.h"

namespace modewise::report::detail {

namespace {

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string pct(double v) { return std::isfinite(v) ? fmt::format("{:+.1f}%", v) : "–"; }

}  // namespace

void render_board_spread(Page& page, const CampaignReport& c, const std::string& provenance) {
  auto boards = store::boards_of(c.rows);
  if (boards.size() < 2) return;
  auto spread = store::board_spread(c.rows);
  page.heading(3, "Board-to-board spread");
  page.paragraph(fmt::format("{} boards ({}). {} of the campaign's modes were measured on two or more boards; every "
                             "board's row is kept and shown, never averaged. Numbers are {}.",
                             boards.size(), [&] {
                               std::string s;
                               for (const auto& b : boards) s += (s.empty() ? "" : ", ") + b;
                               return s;
                             }(),
                             spread.size(), provenance));
  if (spread.empty()) {
    page.paragraph("No mode was measured on more than one board (a sharded campaign: each board profiled its own "
                   "modes), so there is no spread to show.", "hint");
    return;
  }
  // Per board: its deviation from the median of all boards on each shared mode, then the median over modes.
  HtmlTable per_board({"board", "rows", "shared modes", "time vs. boards' median", "power vs. boards' median"},
                      fmt::format("Each board against the median of the boards on the modes measured on several "
                                  "boards (median over those modes) — {}", provenance));
  for (const auto& b : boards) {
    std::vector<double> dt, dp;
    for (const auto& m : spread) {
      double mt = median(m.time_ms), mp = median(m.power_w);
      for (size_t i = 0; i < m.boards.size(); ++i)
        if (m.boards[i] == b) {
          dt.push_back((m.time_ms[i] - mt) / mt * 100);
          dp.push_back((m.power_w[i] - mp) / mp * 100);
        }
    }
    size_t rows = static_cast<size_t>(std::count_if(c.rows.begin(), c.rows.end(), [&](const auto& r) { return r.board == b; }));
    per_board.add({b, std::to_string(rows), std::to_string(dt.size()), pct(median(dt)), pct(median(dp))});
  }
  page.table(per_board);

  std::vector<double> ts, ps;
  for (const auto& m : spread) ts.push_back(m.time_spread_pct()), ps.push_back(m.power_spread_pct());
  page.paragraph(fmt::format("Spread of a mode = (largest − smallest) / smallest over its boards. Time: median {}, "
                             "largest {}; power: median {}, largest {}.",
                             num(median(ts), 3) + "%", num(*std::max_element(ts.begin(), ts.end()), 3) + "%",
                             num(median(ps), 3) + "%", num(*std::max_element(ps.begin(), ps.end()), 3) + "%"));
  std::vector<size_t> order(spread.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return spread[a].time_spread_pct() > spread[b].time_spread_pct(); });
  const size_t shown = std::min<size_t>(order.size(), 20);
  HtmlTable modes({"mode", "board", "time ms", "power W", "time spread", "power spread"},
                  fmt::format("The {} modes with the largest board-to-board time spread (of {}) — {}", shown,
                              spread.size(), provenance));
  for (size_t k = 0; k < shown; ++k) {
    const auto& m = spread[order[k]];
    for (size_t i = 0; i < m.boards.size(); ++i)
      modes.add({i ? "" : m.mode.key(), m.boards[i].empty() ? "?" : m.boards[i], num(m.time_ms[i]), num(m.power_w[i]),
                 i ? "" : num(m.time_spread_pct(), 3) + "%", i ? "" : num(m.power_spread_pct(), 3) + "%"},
                i == 0);
  }
  page.table(modes);
}

}  // namespace modewise::report::detail
