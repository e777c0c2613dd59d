// The HTML report: Pareto fronts, provenance labels, heat maps and bars, and the whole page (self-contained,
// every plot with labelled axes and units, provenance on every plot and table).
#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modewise/report/charts.h"
#include "modewise/report/report.h"
#include "report/report_test_util.h"

namespace modewise::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using test::count;
using test::elements;
using test::svg_text;

TEST(Pareto, KeepsPointsNoOtherPointBeatsOnBothAxes) {
  std::vector<double> x = {5, 1, 3, 2, 4, 3, std::nan("")};
  std::vector<double> y = {1, 9, 4, 5, 4, 6, 0};
  // (1,9) (2,5) (3,4) (5,1) are optimal; (4,4) is beaten by (3,4); (3,6) by (3,4); NaN ignored.
  EXPECT_EQ(pareto_front(x, y), (std::vector<size_t>{1, 3, 2, 0}));
  EXPECT_TRUE(pareto_front({}, {}).empty());
}

TEST(Provenance, EveryKindIsNamed) {
  EXPECT_EQ(provenance_text("emulated", "sim:orin-agx"), "emulated (sim:orin-agx), not measured");
  EXPECT_EQ(provenance_text("measured", "jetson"), "measured (jetson)");
  EXPECT_EQ(provenance_text("replayed", "replay:a.csv"), "replayed (replay:a.csv), origin not recorded");
  EXPECT_EQ(provenance_text("replayed (emulated)", "replay:a.csv"),
            "replayed from emulated rows (replay:a.csv), not measured");
  EXPECT_EQ(provenance_text("replayed (measured)", "replay:a.csv"), "replayed from measured rows (replay:a.csv)");
  EXPECT_EQ(provenance_text("measured", "import", "board.csv"), "imported from board.csv (measured)");
  EXPECT_EQ(provenance_text("emulated", "import", "sim.csv"), "imported from sim.csv (emulated, not measured)");
  EXPECT_EQ(provenance_text("replayed (emulated)", "import", "r.csv"),
            "imported from r.csv (replayed (emulated), not measured)");
  EXPECT_EQ(provenance_text("", "import", "x.csv"), "imported from x.csv (provenance unknown, not measured)");
  EXPECT_EQ(provenance_text("", "nvml:0"), "provenance unknown (nvml:0), not measured");
  EXPECT_EQ(provenance_noun("emulated"), "emulated");
  EXPECT_EQ(provenance_noun("measured"), "measured");
  EXPECT_EQ(provenance_noun("replayed (emulated)"), "replayed (emulated)");
  EXPECT_EQ(provenance_noun("replayed"), "profiled");
  EXPECT_EQ(provenance_noun("mixed"), "profiled");
  EXPECT_EQ(provenance_noun(""), "profiled");
}

// The points of a campaign are named by where they come from: never "measured" for emulated or replayed numbers.
TEST(Report, CampaignPointsAreNamedByProvenance) {
  for (const char* prov : {"emulated", "replayed (emulated)", "measured", "replayed"}) {
    SCOPED_TRACE(prov);
    ReportData data;
    auto c = test::sample_campaign("resnet50", 12);
    c.info.provenance = prov;
    data.campaigns.push_back(c);
    auto r = render_report(data);
    const std::string noun = provenance_noun(prov);
    EXPECT_THAT(r.html, HasSubstr("Each grey point is one " + noun + " mode"));
    EXPECT_THAT(r.html, HasSubstr(noun + " modes"));
    EXPECT_THAT(r.html, HasSubstr("each red point is one " + noun + " mode"));
    if (std::string(prov) != "measured") {
      EXPECT_THAT(r.html, Not(HasSubstr("measured mode")));
    }
    if (profile::is_emulated_provenance(prov)) {
      EXPECT_THAT(r.html, HasSubstr("not measured"));  // the provenance label on the section
    }
  }
}

TEST(Charts, ScaleColorGoesFromLightToDark) {
  auto luminance = [](const std::string& hex) {
    int r = std::stoi(hex.substr(1, 2), nullptr, 16), g = std::stoi(hex.substr(3, 2), nullptr, 16),
        b = std::stoi(hex.substr(5, 2), nullptr, 16);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  double prev = 1e9;
  for (int i = 0; i <= 10; ++i) {
    double l = luminance(scale_color(i / 10.0));
    EXPECT_LT(l, prev);
    prev = l;
  }
  EXPECT_EQ(scale_color(-1), scale_color(0));
  EXPECT_EQ(scale_color(2), scale_color(1));
}

TEST(Charts, HeatMapHasLabelledAxesAScaleAndEveryCell) {
  HeatMap h;
  h.title = "Fetch stall";
  h.note = "emulated (sim:orin-agx)";
  h.x_label = "DataLoader workers (processes)";
  h.y_label = "configuration (storage)";
  h.x_categories = {"0", "1", "2"};
  h.y_categories = {"nvme", "hdd <slow>"};
  h.values = {{0.5, 0.25, 0}, {0.9, std::nan(""), 0.4}};
  h.value_label = "fetch stall (% of time)";
  h.scale = 100;
  std::string svg = render_heatmap(h);
  EXPECT_THAT(svg, HasSubstr("class=\"heatmap\""));
  EXPECT_EQ(svg_text(svg, "x-label"), "DataLoader workers (processes)");
  EXPECT_EQ(svg_text(svg, "y-label"), "configuration (storage)");
  EXPECT_EQ(svg_text(svg, "legend-label"), "fetch stall (% of time)");
  EXPECT_EQ(svg_text(svg, "note"), "emulated (sim:orin-agx)");
  EXPECT_THAT(svg, HasSubstr("hdd &lt;slow&gt;"));
  EXPECT_THAT(svg, HasSubstr(">90<"));  // scaled to %
  EXPECT_THAT(svg, HasSubstr(">25<"));
  EXPECT_THAT(svg, HasSubstr(">–<"));   // not measured
  EXPECT_EQ(count(svg, "<title>"), 6u);  // one tooltip per cell
  EXPECT_THAT(svg, HasSubstr(scale_color(1)));
}

TEST(Charts, StackedBarsShowSegmentsAndTotals) {
  StackedBars b;
  b.title = "Stall breakdown";
  b.note = "measured (jetson)";
  b.x_label = "time per minibatch (ms)";
  b.y_label = "configuration";
  b.categories = {"0 workers", "4 workers"};
  b.segment_names = {"fetch stall", "compute"};
  b.segments = {{30, 70}, {0, 60}};
  std::string svg = render_stacked_bars(b);
  EXPECT_THAT(svg, HasSubstr("class=\"bars\""));
  EXPECT_EQ(svg_text(svg, "x-label"), "time per minibatch (ms)");
  EXPECT_EQ(svg_text(svg, "y-label"), "configuration");
  EXPECT_THAT(svg, HasSubstr(">100<"));  // total of the first bar
  EXPECT_THAT(svg, HasSubstr("fetch stall: 30"));
}

// Checks that hold for any rendered page.
void expect_well_formed_page(const RenderedReport& r, const std::string& provenance) {
  const std::string& html = r.html;
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_THAT(html, HasSubstr("</html>"));
  EXPECT_THAT(html, HasSubstr("id=\"report-end\""));
  // self-contained: no scripts, no external resources
  for (const char* bad : {"<script", "src=", "href=\"http", "url(", "@import", "<link", "<iframe", "<img"})
    EXPECT_THAT(html, Not(HasSubstr(bad))) << bad;
  auto svgs = elements(html, "svg");
  EXPECT_EQ(static_cast<int>(svgs.size()), r.plots);
  EXPECT_GT(r.plots, 0);
  for (const auto& svg : svgs) {
    std::string x = svg_text(svg, "x-label"), y = svg_text(svg, "y-label");
    EXPECT_FALSE(x.empty()) << svg.substr(0, 300);
    EXPECT_FALSE(y.empty()) << svg.substr(0, 300);
    EXPECT_THAT(svg, HasSubstr(provenance)) << "plot without provenance: " << svg.substr(0, 300);
    if (svg.find("class=\"heatmap\"") != std::string::npos) {
      EXPECT_THAT(svg_text(svg, "legend-label"), testing::MatchesRegex(".*\\(.+\\).*")) << "heat map scale without unit";
    } else if (x.find("configuration") == std::string::npos && x.find("power mode") == std::string::npos &&
               x.find("storage") == std::string::npos) {
      EXPECT_THAT(x, testing::MatchesRegex(".*\\(.+\\).*")) << "numeric x axis without unit: " << x;
    }
    if (svg.find("class=\"heatmap\"") == std::string::npos && y.find("configuration") == std::string::npos) {
      EXPECT_THAT(y, testing::MatchesRegex(".*\\(.+\\).*")) << "numeric y axis without unit: " << y;
    }
  }
  auto tables = elements(html, "table");
  EXPECT_EQ(static_cast<int>(tables.size()), r.tables);
  for (const auto& t : tables) {
    auto captions = elements(t, "caption");
    ASSERT_EQ(captions.size(), 1u);
    EXPECT_THAT(captions[0], HasSubstr(provenance)) << "table without provenance: " << captions[0];
  }
  EXPECT_EQ(count(html, "<section"), count(html, "</section>"));
  EXPECT_EQ(count(html, "<details>"), count(html, "</details>"));
}

TEST(Report, CampaignSectionHasParetoKnobRooflineAndTables) {
  ReportData data;
  data.db_path = "test.db";
  data.campaigns.push_back(test::sample_campaign());
  auto r = render_report(data);
  expect_well_formed_page(r, "emulated (sim:orin-agx)");
  const auto& html = r.html;
  EXPECT_THAT(html, HasSubstr("Pareto front: time per minibatch vs board power"));
  EXPECT_THAT(html, HasSubstr("Pareto front: energy vs time per minibatch"));
  for (const char* knob : {"Time against cores", "Power against cores", "Time against cpu_mhz", "Time against gpu_mhz",
                           "Power against emc_mhz"})
    EXPECT_THAT(html, HasSubstr(knob));
  EXPECT_THAT(html, HasSubstr("Roofline: resnet50 train batch 16 on orin-agx"));
  EXPECT_THAT(html, HasSubstr("arithmetic intensity (FLOP/byte)"));
  EXPECT_THAT(html, HasSubstr("MAXN (12c/2201.6/1300.5/3199): 5327 GFLOP/s peak FP32, 204.7 GB/s DRAM, ridge at 26"));
  EXPECT_EQ(r.plots, 2 + 8 + 1);
  EXPECT_EQ(r.tables, 3);  // campaign facts, Pareto modes, all modes
  EXPECT_THAT(html, HasSubstr("All 40 modes, fastest first"));
}

TEST(Report, NoRooflineWithoutWorkCountsOrDeviceFacts) {
  ReportData data;
  auto c = test::sample_campaign("mobilenetv3", 12);
  c.info.workload = "my-model";
  c.info.backend = "import";
  c.info.provenance = "measured";
  c.info.source = "board.csv";
  data.campaigns.push_back(c);
  c.info.id = "ffff";
  c.info.workload = "resnet50";
  c.spec.reset();
  data.campaigns.push_back(c);
  auto r = render_report(data);
  expect_well_formed_page(r, "imported from board.csv (measured)");
  EXPECT_THAT(r.html, HasSubstr("no FLOP and byte counts for workload &#39;my-model&#39;"));
  EXPECT_THAT(r.html, HasSubstr("no GPU and memory description of device"));
  EXPECT_THAT(r.html, Not(HasSubstr("Roofline:")));
}

TEST(Report, CharacterizationSectionHasHeatMapsStallsTrendsAndTable) {
  ReportData data;
  data.characterizations.push_back(
      test::sample_characterization({"batch-size=8,16", "workers=0,2,4", "storage=nvme,hdd", "mode=maxn,MODE_30W"}));
  auto r = render_report(data);
  expect_well_formed_page(r, "emulated (sim:orin-agx)");
  const auto& html = r.html;
  EXPECT_EQ(count(html, "class=\"heatmap\""), 10u);
  EXPECT_THAT(html, HasSubstr("Fetch stall (% of time) by workers"));
  EXPECT_THAT(html, HasSubstr("configuration (batch size · storage · mode)"));
  EXPECT_THAT(html, HasSubstr("batch 8 · hdd · MODE_30W"));
  EXPECT_EQ(count(html, "class=\"bars\""), 1u);
  EXPECT_THAT(html, HasSubstr("batch 16 · 4 workers · nvme · maxn"));
  EXPECT_THAT(html, HasSubstr("Throughput against batch size"));
  EXPECT_THAT(html, HasSubstr("Fetch stalls against DataLoader workers"));
  EXPECT_THAT(html, HasSubstr("Energy against time per epoch, by power mode"));
  EXPECT_THAT(html, HasSubstr("All 24 configurations"));
  EXPECT_EQ(r.plots, 10 + 1 + 4 + 1);
}

TEST(Report, SingleAxisCharacterizationUsesOneRow) {
  ReportData data;
  data.characterizations.push_back(test::sample_characterization({"storage=nvme,sd,hdd"}));
  auto r = render_report(data);
  expect_well_formed_page(r, "emulated (sim:orin-agx)");
  EXPECT_THAT(r.html, HasSubstr("Fetch stall (% of time) by storage"));
  EXPECT_THAT(r.html, HasSubstr("batch 16 · 4 workers · maxn"));  // the fixed axes label the one row
  EXPECT_THAT(r.html, Not(HasSubstr("Throughput against batch size")));
}

TEST(Report, EmptyStoreSaysSo) {
  ReportData data;
  data.db_path = "empty.db";
  auto r = render_report(data);
  EXPECT_EQ(r.plots, 0);
  EXPECT_THAT(r.html, HasSubstr("holds no campaigns yet"));
}

TEST(Report, TablesAreCappedAtMaxRows) {
  ReportData data;
  data.campaigns.push_back(test::sample_campaign("resnet18", 30));
  ReportOptions o;
  o.max_table_rows = 5;
  auto r = render_report(data, o);
  EXPECT_THAT(r.html, HasSubstr("All 30 modes, fastest first (first 5 shown)"));
  EXPECT_THAT(r.html, HasSubstr("25 more modes are in the store"));
}

}  // namespace
}  // namespace modewise::report
