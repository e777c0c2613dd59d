#include <gtest/gtest.h>

#include <sstream>

#include "modewise/util/svg.h"
#include "modewise/util/table.h"

using namespace modewise::util;

TEST(Svg, HasAxisLabelsSeriesAndEscapes) {
  SvgChart c;
  c.title = "Pareto <front>";
  c.x_label = "power (W)";
  c.y_label = "time per minibatch (ms)";
  c.series.push_back({"modes", {10, 20, 30}, {300, 200, 150}, false, true, {}, 2.5});
  std::string s = render_svg(c);
  EXPECT_NE(s.find("power (W)"), std::string::npos);
  EXPECT_NE(s.find("time per minibatch (ms)"), std::string::npos);
  EXPECT_NE(s.find("Pareto &lt;front&gt;"), std::string::npos);
  EXPECT_EQ(s.find("nan"), std::string::npos);
  EXPECT_NE(s.find("<circle"), std::string::npos);
}

TEST(Svg, LogAxesSkipNonPositive) {
  SvgChart c;
  c.log_x = c.log_y = true;
  c.series.push_back({"s", {0, 1, 10, 100}, {1, 0, 10, 100}, true, true, {}, 2.5});
  std::string s = render_svg(c);
  EXPECT_EQ(s.find("nan"), std::string::npos);
  EXPECT_EQ(s.find("inf"), std::string::npos);
}

TEST(Table, AlignsColumns) {
  TextTable t({"name", "value"});
  t.add({"a", "1.5"});
  t.add({"long-name", "10"});
  std::ostringstream out;
  t.print(out);
  EXPECT_NE(out.str().find("long-name     10"), std::string::npos) << out.str();
}
