// modewise db merge OUT.db IN.db...: the stores of a fleet's boards (one shard each) merged into one store, one
// campaign per (device, workload, task, batch size, settings); missing modes and board-to-board conflicts
// reported. Registered as a subcommand of `db` (cmd_db.cpp registers `db` first). docs/FLEET.md.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "modewise/store/merge.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::cli {
namespace {

struct MergeOptions {
  std::string output;
  std::vector<std::string> inputs;
  bool json = false;
  int show = 5;  // conflicts listed per campaign on stderr
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + (x.empty() ? std::string("?") : x);
  return s;
}

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

nlohmann::json to_json(const store::MergedCampaign& m) {
  nlohmann::json conflicts = nlohmann::json::array();
  for (const auto& c : m.conflicts) {
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < c.boards.size(); ++i)
      rows.push_back({{"board", c.boards[i]}, {"time_ms", c.time_ms[i]}, {"power_w", c.power_w[i]}});
    conflicts.push_back({{"mode", c.mode.key()},
                         {"rows", rows},
                         {"time_spread_pct", c.time_spread_pct()},
                         {"power_spread_pct", c.power_spread_pct()}});
  }
  return {{"id", m.info.id},
          {"device", m.info.device},
          {"workload", m.info.workload},
          {"task", m.info.task},
          {"batch_size", m.info.batch_size},
          {"provenance", m.info.provenance},
          {"sources", m.sources},
          {"boards", m.boards},
          {"rows", m.info.modes_done},
          {"rows_added", m.rows_added},
          {"rows_already_merged", m.rows_present},
          {"same_board_repeats", m.same_board_repeats},
          {"modes_expected", m.modes_expected},
          {"modes_measured", m.modes_measured},
          {"modes_missing", m.modes_missing()},
          {"missing", m.missing},
          {"conflicts", conflicts}};
}

void run_merge(const MergeOptions& o) {
  store::MergeSummary s = store::merge_stores(o.output, o.inputs);
  if (o.json) {
    nlohmann::json j = {{"output", s.output}, {"inputs", s.inputs}, {"campaigns", nlohmann::json::array()}};
    for (const auto& m : s.campaigns) j["campaigns"].push_back(to_json(m));
    std::cout << j.dump() << "\n";
  } else {
    for (const auto& m : s.campaigns) std::cout << m.info.id << "\n";
  }
  info(fmt::format("merged {} store{} into {}: {} campaign{}", s.inputs.size(), s.inputs.size() == 1 ? "" : "s",
                   s.output, s.campaigns.size(), s.campaigns.size() == 1 ? "" : "s"));
  for (const auto& m : s.campaigns) {
    info(fmt::format("  {}: {} {} {} batch {} ({}): {} source campaign{}, {} board{} ({}); {} rows added, {} already "
                     "merged; {} of {} modes profiled",
                     m.info.id, m.info.device, m.info.workload, m.info.task.empty() ? "?" : m.info.task,
                     m.info.batch_size, m.info.provenance.empty() ? "provenance unknown" : m.info.provenance,
                     m.sources.size(), m.sources.size() == 1 ? "" : "s", m.boards.size(),
                     m.boards.size() == 1 ? "" : "s", join(m.boards), m.rows_added, m.rows_present,
                     m.modes_measured, m.modes_expected));
    for (const auto& line : m.missing) warn("    missing: " + line);
    if (m.same_board_repeats)
      warn(fmt::format("    {} mode{} measured twice by the same board with different numbers: the row merged first "
                       "is kept", m.same_board_repeats, m.same_board_repeats == 1 ? "" : "s"));
    if (!m.conflicts.empty()) {
      std::vector<double> t, p;
      for (const auto& c : m.conflicts) t.push_back(c.time_spread_pct()), p.push_back(c.power_spread_pct());
      info(fmt::format("    {} mode{} measured on several boards (every row kept, never averaged): board-to-board "
                       "spread of time median {:.1f}% (max {:.1f}%), of power median {:.1f}% (max {:.1f}%)",
                       m.conflicts.size(), m.conflicts.size() == 1 ? "" : "s", median(t),
                       *std::max_element(t.begin(), t.end()), median(p), *std::max_element(p.begin(), p.end())));
      for (size_t i = 0; i < m.conflicts.size() && static_cast<int>(i) < o.show; ++i) {
        const auto& c = m.conflicts[i];
        std::string each;
        for (size_t b = 0; b < c.boards.size(); ++b)
          each += fmt::format("{}{}: {} ms {} W", b ? "; " : "", c.boards[b].empty() ? "?" : c.boards[b],
                              util::format_number(c.time_ms[b]), util::format_number(c.power_w[b]));
        info(fmt::format("      {}: {}", c.mode.key(), each));
      }
    }
  }
}

Registrar reg(91, "db merge", [](CLI::App& app, GlobalOptions&) {
  CLI::App* db = app.get_subcommand("db");  // registered by cmd_db.cpp (order 90)
  auto o = std::make_shared<MergeOptions>();
  auto* cmd = db->add_subcommand(
      "merge", "Merge the stores of several boards (one shard each) into OUT: one campaign per device, workload, "
               "task, batch size and settings; report missing modes and board-to-board conflicts");
  cmd->add_option("out", o->output, "Output store (created when missing; merging into it again adds nothing new)")
      ->required();
  cmd->add_option("inputs", o->inputs, "Input stores (opened read-only)")->required()->expected(1, -1);
  cmd->add_flag("--json", o->json, "JSON summary on stdout (per merged campaign: sources, boards, missing, conflicts)");
  cmd->add_option("--show", o->show, "Conflicting modes listed per campaign on stderr")->capture_default_str();
  cmd->footer("A mode measured on two boards is kept as two rows (the board column), never averaged. `db export "
              "--campaign ID` writes the merged campaign as a profile CSV that `fit` reads. docs/FLEET.md.");
  cmd->callback([o] { run_merge(*o); });
});

}  // namespace
}  // namespace modewise::cli
