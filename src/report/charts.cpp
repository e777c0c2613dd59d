// Heat maps and stacked bars as inline SVG, in the style of util/svg.h (sans-serif 12 px, title, grey note).
#include "modewise/report/charts.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "modewise/util/svg.h"

namespace modewise::report {

using util::svg_escape;

namespace {

constexpr double kCharW = 6.8;  // average glyph width of 12 px sans-serif

double text_w(const std::string& s, double char_w = kCharW) { return static_cast<double>(s.size()) * char_w; }

std::string header(double w, double h, const char* cls, const std::string& title, const std::string& note) {
  std::string o = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"{}\" width=\"{:.0f}\" height=\"{:.0f}\" viewBox=\"0 0 {:.0f} "
      "{:.0f}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      cls, w, h, w, h);
  o += fmt::format("<text x=\"12\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>\n", svg_escape(title));
  if (!note.empty())
    o += fmt::format("<text class=\"note\" x=\"12\" y=\"38\" font-size=\"11\" fill=\"#555\">{}</text>\n",
                     svg_escape(note));
  return o;
}

std::string format_value(double v, int digits) {
  if (!std::isfinite(v)) return "–";
  double a = std::fabs(v);
  if (a >= std::pow(10.0, digits)) return fmt::format("{:.0f}", v);
  return fmt::format("{:.{}g}", v, digits);
}

std::vector<double> nice_ticks(double hi) {
  if (!(hi > 0)) return {0, 1};
  double raw = hi / 5, mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag * (raw / mag < 1.5 ? 1 : raw / mag < 3.5 ? 2 : raw / mag < 7.5 ? 5 : 10);
  std::vector<double> t;
  for (double v = 0; v <= hi * 1.0001 + step; v += step) {
    t.push_back(v);
    if (v >= hi) break;
  }
  return t;
}

}  // namespace

std::string scale_color(double t) {
  static const int stops[][3] = {{255, 255, 217}, {237, 248, 177}, {199, 233, 180}, {127, 205, 187}, {65, 182, 196},
                                 {29, 145, 192},  {34, 94, 168},   {37, 52, 148},   {8, 29, 88}};
  constexpr int n = sizeof stops / sizeof stops[0];
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * (n - 1);
  int i = std::min(static_cast<int>(t), n - 2);
  double f = t - i;
  int rgb[3];
  for (int k = 0; k < 3; ++k) rgb[k] = static_cast<int>(std::lround(stops[i][k] + f * (stops[i + 1][k] - stops[i][k])));
  return fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
}

std::string render_heatmap(const HeatMap& m) {
  const size_t rows = m.y_categories.size(), cols = m.x_categories.size();
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& r : m.values)
    for (double v : r)
      if (std::isfinite(v)) lo = std::min(lo, v * m.scale), hi = std::max(hi, v * m.scale);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  auto t_of = [&](double v) { return hi > lo ? (v - lo) / (hi - lo) : 0.5; };

  double label_w = text_w(m.y_label);  // the row axis label sits above the row labels
  for (const auto& y : m.y_categories) label_w = std::max(label_w, text_w(y));
  double cell_w = 56;
  for (const auto& x : m.x_categories) cell_w = std::max(cell_w, text_w(x) + 14);
  const double cell_h = 26, left = 16 + label_w + 8, top = 72;
  const double grid_w = cell_w * static_cast<double>(cols), grid_h = cell_h * static_cast<double>(rows);
  const double legend_x = left + grid_w + 28, legend_h = std::clamp(grid_h, 80.0, 240.0);
  const double legend_w = std::max(90.0, text_w(m.value_label, 6.2) + 10);
  const double width = std::max({legend_x + legend_w + 16, text_w(m.title, 8.5) + 24, text_w(m.note, 6.0) + 24});
  const double height = top + std::max(grid_h, legend_h + 20) + 62;

  std::string o = header(width, height, "heatmap", m.title, m.note);
  for (size_t r = 0; r < rows; ++r) {
    double y = top + cell_h * static_cast<double>(r);
    o += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", left - 6, y + cell_h / 2 + 4,
                     svg_escape(m.y_categories[r]));
    for (size_t c = 0; c < cols; ++c) {
      double v = r < m.values.size() && c < m.values[r].size() ? m.values[r][c] * m.scale : std::nan("");
      double x = left + cell_w * static_cast<double>(c);
      bool ok = std::isfinite(v);
      double t = t_of(v);
      o += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\" "
                       "stroke=\"white\"><title>{} · {}: {}</title></rect>",
                       x, y, cell_w, cell_h, ok ? scale_color(t) : "#eeeeee", svg_escape(m.y_categories[r]),
                       svg_escape(m.x_categories[c]), svg_escape(format_value(v, m.digits)));
      o += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" fill=\"{}\">{}</text>\n", x + cell_w / 2,
                       y + cell_h / 2 + 4, ok && t > 0.55 ? "white" : "#222", svg_escape(format_value(v, m.digits)));
    }
  }
  for (size_t c = 0; c < cols; ++c)
    o += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                     left + cell_w * (static_cast<double>(c) + 0.5), top + grid_h + 16, svg_escape(m.x_categories[c]));
  o += fmt::format("<text class=\"x-label\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                   left + grid_w / 2, top + grid_h + 38, svg_escape(m.x_label));
  o += fmt::format("<text class=\"y-label\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" font-style=\"italic\">{}"
                   "</text>\n",
                   left - 6, top - 8, svg_escape(m.y_label));
  // colour scale: 24 steps, high values on top
  o += fmt::format("<text class=\"legend-label\" x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", legend_x, top - 6,
                   svg_escape(m.value_label));
  constexpr int steps = 24;
  for (int k = 0; k < steps; ++k) {
    double t = 1.0 - (k + 0.5) / steps;
    o += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"16\" height=\"{:.2f}\" fill=\"{}\"/>", legend_x,
                     top + legend_h * k / steps, legend_h / steps + 0.3, scale_color(t));
  }
  o += fmt::format("\n<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text><text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n",
                   legend_x + 22, top + 10, svg_escape(format_value(hi, m.digits)), legend_x + 22, top + legend_h,
                   svg_escape(format_value(lo, m.digits)));
  return o + "</svg>\n";
}

std::string render_stacked_bars(const StackedBars& b) {
  const size_t n = b.categories.size();
  const auto& pal = b.colors.empty() ? util::svg_palette() : b.colors;
  double label_w = text_w(b.y_label), total_max = 0;  // the category axis label sits above the categories
  for (const auto& c : b.categories) label_w = std::max(label_w, text_w(c));
  for (const auto& segs : b.segments) {
    double t = 0;
    for (double v : segs) t += std::isfinite(v) ? std::max(0.0, v) : 0.0;
    total_max = std::max(total_max, t);
  }
  auto ticks = nice_ticks(total_max);
  const double axis_max = ticks.back();
  const double bar_h = 16, gap = 6, left = 16 + label_w + 8, top = 64, plot_w = 520;
  const double plot_h = (bar_h + gap) * static_cast<double>(n) + gap;
  const double width = std::max({left + plot_w + 90, text_w(b.title, 8.5) + 24, text_w(b.note, 6.0) + 24});
  const double height = top + plot_h + 56;

  std::string o = header(width, height, "bars", b.title, b.note);
  double lx = left;  // legend above the plot
  for (size_t s = 0; s < b.segment_names.size(); ++s) {
    o += fmt::format("<rect x=\"{:.1f}\" y=\"44\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{:.1f}\" "
                     "y=\"54\">{}</text>\n",
                     lx, pal[s % pal.size()], lx + 16, svg_escape(b.segment_names[s]));
    lx += 16 + text_w(b.segment_names[s]) + 18;
  }
  auto px = [&](double v) { return left + plot_w * v / axis_max; };
  for (double t : ticks)
    o += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/><text "
                     "x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4}</text>\n",
                     px(t), top, top + plot_h, top + plot_h + 16, fmt::format("{:.6g}", t));
  o += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#333\"/>\n",
                   left, top, plot_w, plot_h);
  for (size_t i = 0; i < n; ++i) {
    double y = top + gap + (bar_h + gap) * static_cast<double>(i), x = 0;
    o += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", left - 6, y + bar_h - 4,
                     svg_escape(b.categories[i]));
    const auto& segs = i < b.segments.size() ? b.segments[i] : std::vector<double>{};
    for (size_t s = 0; s < segs.size(); ++s) {
      double v = std::isfinite(segs[s]) ? std::max(0.0, segs[s]) : 0.0;
      std::string name = s < b.segment_names.size() ? b.segment_names[s] : "";
      o += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{}\" fill=\"{}\"><title>{}: {}"
                       "</title></rect>",
                       px(x), y, px(x + v) - px(x), bar_h, pal[s % pal.size()], svg_escape(name),
                       format_value(v, 4));
      x += v;
    }
    o += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" fill=\"#444\">{}</text>\n", px(x) + 4,
                     y + bar_h - 4, format_value(x, 4));
  }
  o += fmt::format("<text class=\"x-label\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                   left + plot_w / 2, top + plot_h + 38, svg_escape(b.x_label));
  o += fmt::format("<text class=\"y-label\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" font-style=\"italic\">{}"
                   "</text>\n",
                   left - 6, top - 8, svg_escape(b.y_label));
  return o + "</svg>\n";
}

}  // namespace modewise::report
