// The HTML report: one self-contained page (inline CSS and SVG, no scripts, no external resources) over the
// store's campaigns and characterizations. Per profiling campaign: Pareto fronts (time vs power, energy vs time),
// time and power against each knob (cores, CPU, GPU, EMC clock), the roofline of the workload at the measured
// modes and a table of the numbers. Per characterization: heat maps of stalls, time, energy, utilization and
// variability over the sweep, a stall breakdown, trend charts and a table. Every plot and table names where its
// numbers come from (measured / emulated / replayed). docs/REPORT.md.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "modewise/device/device_spec.h"
#include "modewise/profile/characterize.h"
#include "modewise/profile/profile.h"
#include "modewise/store/characterizations.h"
#include "modewise/store/store.h"

namespace modewise::report {

struct CampaignReport {
  store::CampaignInfo info;
  std::vector<profile::ProfileRow> rows;  // finished modes
  std::optional<device::DeviceSpec> spec;  // for rooflines; nullopt when the device is unknown
};

struct CharacterizationReport {
  store::CharacterizationInfo info;
  profile::CharacterizationSpec definition;
  std::vector<profile::CharacterizationRow> rows;  // finished configurations
  std::optional<device::DeviceSpec> spec;
};

struct ReportData {
  std::string db_path;
  std::vector<CampaignReport> campaigns;
  std::vector<CharacterizationReport> characterizations;
};

// Everything in the store (characterizations, and the campaigns that are not part of one), or only the campaign
// or characterization whose id starts with `id_prefix`. Throws Error when nothing matches or the prefix is ambiguous.
ReportData load_report_data(store::Store& db, const std::string& id_prefix = "");

struct ReportOptions {
  std::string title = "modewise report";
  std::string command_line;     // shown in the header
  std::string generated_at;     // shown in the header; empty: not shown
  size_t max_table_rows = 1000;  // per table; the rest is summarized (the store keeps everything)
};

struct RenderedReport {
  std::string html;
  int plots = 0;   // SVG figures
  int tables = 0;  // HTML tables
};

RenderedReport render_report(const ReportData& data, const ReportOptions& options = {});

// "emulated (sim:orin-agx)", "measured (jetson)", "replayed (replay:f.csv)", "imported from f.csv (measured)", ...
std::string provenance_text(const std::string& provenance, const std::string& backend, const std::string& source = "");
// The word for one point of a campaign in charts and captions: "measured", "emulated", "replayed (emulated)",
// "replayed (measured)", else "profiled" (never "measured" for numbers that were not).
std::string provenance_noun(const std::string& provenance);

// Indices of the rows on the Pareto front of minimizing both x and y (ascending x). NaN points are ignored.
std::vector<size_t> pareto_front(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace modewise::report
