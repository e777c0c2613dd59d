// Helpers for the report tests: emulated sample data and simple HTML inspection.
#pragma once
#include <regex>
#include <string>
#include <vector>

#include "modewise/device/grid.h"
#include "modewise/profile/campaign.h"
#include "modewise/profile/characterize.h"
#include "modewise/report/report.h"
#include "modewise/sim/emulator.h"

namespace modewise::report::test {

inline device::DeviceSpec orin() { return device::builtin_device("orin-agx"); }

// Every occurrence of <tag ...>...</tag> (not nested), e.g. all <svg> elements.
inline std::vector<std::string> elements(const std::string& html, const std::string& tag) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = html.find("<" + tag, pos)) != std::string::npos) {
    size_t end = html.find("</" + tag + ">", pos);
    if (end == std::string::npos) break;
    end += tag.size() + 3;
    out.push_back(html.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

// The text of the first <text class="CLASS" ...>...</text> in an SVG, "" when absent.
inline std::string svg_text(const std::string& svg, const std::string& cls) {
  std::smatch m;
  std::regex re("<text class=\"" + cls + "\"[^>]*>([^<]*)</text>");
  return std::regex_search(svg, m, re) ? m[1].str() : "";
}

inline size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + what.size())) ++n;
  return n;
}

// A campaign of a few fulcrum-grid modes, measured on the emulator (through the backend, with noise).
inline CampaignReport sample_campaign(const std::string& workload = "resnet50", size_t modes = 40) {
  auto backend = sim::make_sim_backend(orin(), 5);
  profile::CampaignSpec spec;
  spec.backend = backend->name();
  spec.device = "orin-agx";
  spec.provenance = "emulated";
  spec.workload.workload = workload;
  spec.modes = profile::sample_modes(device::grid_modes(orin(), "fulcrum"), modes, 3);
  spec.minibatches = 20;
  profile::MemoryCampaignLog log;
  auto out = profile::run_campaign(*backend, spec, log);
  CampaignReport c;
  c.info.id = spec.id();
  c.info.kind = "profile";
  c.info.device = "orin-agx";
  c.info.workload = workload;
  c.info.task = "train";
  c.info.batch_size = 16;
  c.info.backend = spec.backend;
  c.info.provenance = "emulated";
  c.info.status = "done";
  c.info.modes_total = c.info.modes_done = static_cast<int64_t>(out.rows.size());
  c.rows = out.rows;
  c.spec = orin();
  return c;
}

inline CharacterizationReport sample_characterization(const std::vector<std::string>& sweeps) {
  profile::CharacterizationSpec spec;
  spec.backend = "sim:orin-agx";
  spec.device = "orin-agx";
  spec.provenance = "emulated";
  spec.workload.workload = "resnet18";
  spec.minibatches = 20;
  for (const auto& s : sweeps) profile::parse_sweep(s, orin(), spec.axes);
  if (spec.axes.modes.empty()) spec.axes.modes = {{"maxn", orin().maxn()}};
  auto backend = sim::make_sim_backend(orin(), 5);
  profile::MemoryCampaignLog log;
  auto out = profile::run_characterization(*backend, spec, log);
  CharacterizationReport c;
  c.info.id = spec.id();
  c.info.device = "orin-agx";
  c.info.workload = "resnet18";
  c.info.task = "train";
  c.info.backend = spec.backend;
  c.info.provenance = "emulated";
  c.info.status = "done";
  c.info.configs_total = c.info.configs_done = static_cast<int64_t>(out.rows.size());
  c.definition = spec;
  c.rows = out.rows;
  c.spec = orin();
  return c;
}

}  // namespace modewise::report::test
