// Chart kinds util/svg.h does not draw, in the same style (title, provenance note, labelled axes, legend):
// heat maps over two categorical axes with a colour scale, and horizontal stacked bars.
#pragma once
#include <string>
#include <vector>

namespace modewise::report {

struct HeatMap {
  std::string title;
  std::string note;     // provenance, e.g. "emulated (sim:orin-agx)"
  std::string x_label;  // e.g. "DataLoader workers (processes)"
  std::string y_label;  // e.g. "configuration (batch size · storage · mode)"
  std::vector<std::string> x_categories, y_categories;
  std::vector<std::vector<double>> values;  // [row][column]; NaN: not measured
  std::string value_label;  // colour scale label with its unit, e.g. "fetch stall (% of time)"
  double scale = 1.0;       // displayed value = value x scale (e.g. 100 for a fraction shown in %)
  int digits = 3;           // significant digits of the cell text
};

struct StackedBars {
  std::string title;
  std::string note;
  std::string x_label;  // the value axis, e.g. "time per minibatch (ms)"
  std::string y_label;  // the category axis
  std::vector<std::string> categories;
  std::vector<std::string> segment_names;  // e.g. {"fetch stall", "compute"}
  std::vector<std::vector<double>> segments;  // [category][segment], each >= 0
  std::vector<std::string> colors;            // per segment; empty: util::svg_palette()
};

// Both return an <svg> element (class "heatmap" / "bars") with "x-label" and "y-label" texts, sized to fit.
std::string render_heatmap(const HeatMap& map);
std::string render_stacked_bars(const StackedBars& bars);

// A colour for t in [0, 1] on a perceptually ordered scale (light yellow -> dark blue), "#rrggbb".
std::string scale_color(double t);

}  // namespace modewise::report
