// A small, dependency-free SVG chart writer: XY plots with labelled axes (units in the labels),
// linear or log scales, point and line series, and a legend. Used by pareto, roofline and report.
#pragma once
#include <string>
#include <vector>

namespace modewise::util {

struct SvgSeries {
  std::string name;
  std::vector<double> x, y;
  bool line = false;     // connect points in order
  bool points = true;    // draw markers
  std::string color;     // empty: from the palette
  double radius = 2.5;
};

struct SvgChart {
  std::string title;
  std::string x_label;  // e.g. "power (W)"
  std::string y_label;  // e.g. "time per minibatch (ms)"
  bool log_x = false, log_y = false;
  int width = 720, height = 460;
  std::vector<SvgSeries> series;
  std::string note;  // small text under the title, e.g. "emulated (sim:orin-agx)"
};

std::string render_svg(const SvgChart& chart);
void write_svg(const SvgChart& chart, const std::string& path);  // throws Error on I/O failure
std::string svg_escape(std::string_view text);
const std::vector<std::string>& svg_palette();

}  // namespace modewise::util
