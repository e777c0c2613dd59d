#include "modewise/util/svg.h"

#include "modewise/util/atomic_file.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include <fmt/format.h>

#include "modewise/util/error.h"

namespace modewise::util {

const std::vector<std::string>& svg_palette() {
  static const std::vector<std::string> p = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                             "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return p;
}

std::string svg_escape(std::string_view t) {
  std::string out;
  for (char c : t) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

struct Axis {
  double lo, hi;
  bool log;
  double map(double v, double a, double b) const {
    double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
    return a + t * (b - a);
  }
  std::vector<double> ticks() const {
    std::vector<double> t;
    if (log) {
      for (double d = std::pow(10, std::floor(std::log10(lo))); d <= hi * 1.0001; d *= 10)
        if (d >= lo * 0.9999) t.push_back(d);
      if (t.size() < 2) t = {lo, hi};
      return t;
    }
    double span = hi - lo, raw = span / 6, mag = std::pow(10, std::floor(std::log10(raw)));
    double step = mag * (raw / mag < 1.5 ? 1 : raw / mag < 3.5 ? 2 : raw / mag < 7.5 ? 5 : 10);
    for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) t.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
    return t;
  }
};

Axis make_axis(const std::vector<const std::vector<double>*>& data, bool log) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (auto* v : data)
    for (double x : *v)
      if (std::isfinite(x) && (!log || x > 0)) lo = std::min(lo, x), hi = std::max(hi, x);
  if (!std::isfinite(lo)) lo = log ? 1 : 0, hi = log ? 10 : 1;
  if (hi <= lo) hi = lo + (log ? lo : 1.0);
  if (log) return {lo / 1.2, hi * 1.2, true};
  double pad = (hi - lo) * 0.05;
  return {lo - pad, hi + pad, false};
}

std::string tick_label(double v) {
  double a = std::fabs(v);
  if (a != 0 && (a >= 1e5 || a < 1e-3)) return fmt::format("{:.0e}", v);
  return fmt::format("{:.6g}", v);
}

}  // namespace

std::string render_svg(const SvgChart& c) {
  std::vector<const std::vector<double>*> xs, ys;
  for (const auto& s : c.series) xs.push_back(&s.x), ys.push_back(&s.y);
  Axis ax = make_axis(xs, c.log_x), ay = make_axis(ys, c.log_y);
  const double left = 80, right = c.width - 170, top = 50, bottom = c.height - 60;
  std::string o = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      c.width, c.height, c.width, c.height);
  o += fmt::format("<text x=\"{}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>\n", left, svg_escape(c.title));
  if (!c.note.empty())
    o += fmt::format("<text x=\"{}\" y=\"38\" font-size=\"11\" fill=\"#555\">{}</text>\n", left, svg_escape(c.note));
  o += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333\"/>\n", left, top,
                   right - left, bottom - top);
  for (double t : ax.ticks()) {
    double px = ax.map(t, left, right);
    o += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#ddd\"/>"
                     "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
                     px, top, bottom, bottom + 16, tick_label(t));
  }
  for (double t : ay.ticks()) {
    double py = ay.map(t, bottom, top);
    o += fmt::format("<line x1=\"{1}\" y1=\"{0:.1f}\" x2=\"{2}\" y2=\"{0:.1f}\" stroke=\"#ddd\"/>"
                     "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                     py, left, right, left - 6, py + 4, tick_label(t));
  }
  o += fmt::format("<text class=\"x-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", (left + right) / 2,
                   c.height - 20, svg_escape(c.x_label));
  o += fmt::format("<text class=\"y-label\" x=\"20\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 20 {0})\">{1}</text>\n",
                   (top + bottom) / 2, svg_escape(c.y_label));
  const auto& pal = svg_palette();
  for (size_t i = 0; i < c.series.size(); ++i) {
    const auto& s = c.series[i];
    std::string color = s.color.empty() ? pal[i % pal.size()] : s.color;
    size_t n = std::min(s.x.size(), s.y.size());
    auto ok = [&](size_t k) {
      return std::isfinite(s.x[k]) && std::isfinite(s.y[k]) && (!c.log_x || s.x[k] > 0) && (!c.log_y || s.y[k] > 0);
    };
    if (s.line) {
      std::string pts;
      for (size_t k = 0; k < n; ++k)
        if (ok(k)) pts += fmt::format("{:.1f},{:.1f} ", ax.map(s.x[k], left, right), ay.map(s.y[k], bottom, top));
      o += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\"/>\n", pts, color);
    }
    if (s.points)
      for (size_t k = 0; k < n; ++k)
        if (ok(k))
          o += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\" fill=\"{}\" fill-opacity=\"0.75\"/>\n",
                           ax.map(s.x[k], left, right), ay.map(s.y[k], bottom, top), s.radius, color);
    double ly = top + 10 + 18 * static_cast<double>(i);
    o += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>\n",
                     right + 12, ly - 10, color, right + 30, ly, svg_escape(s.name));
  }
  o += "</svg>\n";
  return o;
}

void write_svg(const SvgChart& chart, const std::string& path) {
  write_file_atomically(path, render_svg(chart));  // a failed run leaves an existing file as it was
}

}  // namespace modewise::util
