// The two kinds of report section; report.cpp assembles the page around them.
#pragma once
#include "modewise/report/report.h"
#include "report/html.h"

namespace modewise::report::detail {

void render_campaign(Page& page, const CampaignReport& campaign, const ReportOptions& options);
void render_characterization(Page& page, const CharacterizationReport& characterization, const ReportOptions& options);

// Section anchors, also used by the table of contents.
std::string campaign_anchor(const CampaignReport& c);
std::string characterization_anchor(const CharacterizationReport& c);

}  // namespace modewise::report::detail
