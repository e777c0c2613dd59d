// The two kinds of report section; report.cpp assembles the page around them.
#pragma once
#include "modewise/report/report.h"
#include "report/html.h"

namespace modewise::report::detail {

void render_campaign(Page& page, const CampaignReport& campaign, const ReportOptions& options);
void render_characterization(Page& page, const CharacterizationReport& characterization, const ReportOptions& options);
// Campaigns with rows from several boards (db merge, docs/FLEET.md): per-board spread of time and power on the same
// modes (board_spread.cpp). Draws nothing for a single-board campaign.
void render_board_spread(Page& page, const CampaignReport& campaign, const std::string& provenance);

// Section anchors, also used by the table of contents.
std::string campaign_anchor(const CampaignReport& c);
std::string characterization_anchor(const CharacterizationReport& c);

}  // namespace modewise::report::detail
