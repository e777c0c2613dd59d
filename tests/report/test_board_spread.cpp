// The report's board-to-board section for merged fleet campaigns (docs/FLEET.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report/report_test_util.h"

using namespace modewise;
using namespace modewise::report;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(BoardSpread, MergedCampaignShowsEachBoardAgainstTheOthers) {
  auto c = test::sample_campaign("resnet50", 12);
  std::vector<profile::ProfileRow> rows;
  for (auto r : c.rows) {
    r.board = "orin-a";
    rows.push_back(r);
    r.board = "orin-b";
    r.time_ms *= 1.10;  // board b is 10% slower on every mode, same power
    rows.push_back(r);
  }
  c.rows = rows;
  c.info.backend = "merge";
  ReportData data;
  data.db_path = "test.db";
  data.campaigns.push_back(c);
  auto r = render_report(data);
  EXPECT_THAT(r.html, HasSubstr("Board-to-board spread"));
  EXPECT_THAT(r.html, HasSubstr("2 boards (orin-a, orin-b). 12 of the campaign&#39;s modes"))
      << r.html.substr(r.html.find("Board-to-board"), 400);
  // Each board against the median of the two: a is 4.8% below it, b 4.8% above; power the same.
  EXPECT_THAT(r.html, HasSubstr("-4.8%"));
  EXPECT_THAT(r.html, HasSubstr("+4.8%"));
  EXPECT_THAT(r.html, HasSubstr("+0.0%"));
  EXPECT_THAT(r.html, HasSubstr("Time: median 10%, largest 10%"));
  EXPECT_THAT(r.html, HasSubstr("The 12 modes with the largest board-to-board time spread (of 12)"));
}

TEST(BoardSpread, SingleBoardCampaignHasNoSection) {
  ReportData data;
  data.db_path = "test.db";
  auto c = test::sample_campaign("resnet50", 8);
  for (auto& row : c.rows) row.board = "only";
  data.campaigns.push_back(c);
  EXPECT_THAT(render_report(data).html, Not(HasSubstr("Board-to-board spread")));
}
