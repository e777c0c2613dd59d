// modewise db: the profile store. `db list` (campaigns), `db export` (a campaign as a profile CSV),
// `db import` (a profile CSV, e.g. a recorded or replayed profile, as campaigns). docs/PROFILING.md.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "modewise/profile/profile.h"
#include "modewise/store/store.h"
#include "modewise/util/error.h"
#include "modewise/util/table.h"

namespace modewise::cli {
namespace {

nlohmann::json to_json(const store::CampaignInfo& c) {
  return {{"id", c.id},
          {"kind", c.kind},
          {"device", c.device},
          {"workload", c.workload},
          {"task", c.task},
          {"batch_size", c.batch_size},
          {"backend", c.backend},
          {"provenance", c.provenance},
          {"status", c.status},
          {"message", c.message},
          {"source", c.source},
          {"minibatches", c.minibatches},
          {"modes_total", c.modes_total},
          {"modes_done", c.modes_done},
          {"created_at", c.created_at},
          {"updated_at", c.updated_at}};
}

struct ListOptions {
  bool json = false;
};

void run_list(const ListOptions& o, const GlobalOptions& g) {
  store::Store db(db_path_for_reading(g.db_path), store::Store::ReadOnly{});
  auto campaigns = db.list_campaigns();
  if (o.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& c : campaigns) j.push_back(to_json(c));
    std::cout << j.dump() << "\n";
    return;
  }
  util::TextTable t({"id", "kind", "device", "workload", "task", "batch_size", "backend", "modes_done", "modes_total",
                     "status", "updated_at"});
  for (const auto& c : campaigns)
    t.add({c.id, c.kind, c.device, c.workload, c.task, c.batch_size ? std::to_string(c.batch_size) : "",
           c.backend, std::to_string(c.modes_done), std::to_string(c.modes_total), c.status, c.updated_at});
  t.print(std::cout);
  info(fmt::format("{} campaign{} in {}", campaigns.size(), campaigns.size() == 1 ? "" : "s", db.path()));
}

struct ExportOptions {
  std::string campaign, out;
};

void run_export(const ExportOptions& o, const GlobalOptions& g) {
  if (o.out != "-") util::check_output_path(o.out);
  store::Store db(db_path_for_reading(g.db_path), store::Store::ReadOnly{});
  store::CampaignInfo c = db.find_campaign(o.campaign);
  auto rows = db.campaign_rows(c.id);
  Output out(o.out);
  profile::write_profile_csv(out.stream(), rows);
  out.commit();
  info(fmt::format("exported campaign {} ({} {} {} batch {}): {} of {} modes{}", c.id, c.device, c.workload, c.task,
                   c.batch_size, rows.size(), c.modes_total, out.is_stdout() ? "" : " to " + o.out));
}

struct ImportOptions {
  std::string file;
  store::ImportOptions fill;
  bool json = false;
};

void run_import(const ImportOptions& o, const GlobalOptions& g) {
  store::Store db(db_path_or_default(g.db_path));
  store::ImportSummary s = db.import_csv(o.file, o.fill);
  if (o.json) {
    nlohmann::json j = {{"file", o.file}, {"rows", s.rows}, {"replaced", s.replaced}, {"campaigns", nlohmann::json::array()}};
    for (const auto& c : s.campaigns) j["campaigns"].push_back(to_json(c));
    std::cout << j.dump() << "\n";
  } else {
    for (const auto& c : s.campaigns) std::cout << c.id << "\n";
  }
  info(fmt::format("{} {} rows from {} as {} campaign{} in {}", s.replaced ? "re-imported" : "imported", s.rows,
                   o.file, s.campaigns.size(), s.campaigns.size() == 1 ? "" : "s", db.path()));
  for (const auto& c : s.campaigns)
    info(fmt::format("  {}: {} {} {} batch {}: {} modes ({})", c.id, c.device, c.workload,
                     c.task.empty() ? "?" : c.task, c.batch_size, c.modes_total,
                     c.provenance.empty() ? "provenance unknown" : c.provenance));
}

Registrar reg(90, "db", [](CLI::App& app, GlobalOptions& g) {
  auto* db = app.add_subcommand("db", "The profile store: list campaigns, export one as CSV, import a profile CSV");
  db->require_subcommand(1);
  db->footer("The store is --db PATH (before or after `db`), $MODEWISE_DB, or ~/.local/share/modewise/modewise.db.");

  auto lo = std::make_shared<ListOptions>();
  auto* list = db->add_subcommand("list", "List the campaigns in the store");
  list->add_flag("--json", lo->json, "JSON output");
  list->callback([lo, &g] { run_list(*lo, g); });

  auto eo = std::make_shared<ExportOptions>();
  auto* exp = db->add_subcommand("export", "Write a campaign's results as a profile CSV");
  exp->add_option("--campaign", eo->campaign, "Campaign id, or a unique prefix of it (see `db list`)")->required();
  exp->add_option("--out", eo->out, "Output CSV ('-' for stdout)")->required();
  exp->callback([eo, &g] { run_export(*eo, g); });

  auto io = std::make_shared<ImportOptions>();
  auto* imp = db->add_subcommand("import", "Store a profile CSV (one campaign per device, workload, task, batch size)");
  imp->add_option("file", io->file, "Profile CSV (columns as `modewise profile` writes; at least "
                                    "cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w)")
      ->required();
  imp->add_option("--device", io->fill.device, "Device for rows without one (default: unknown)");
  imp->add_option("--workload", io->fill.workload, "Workload for rows without one (default: the file name)");
  imp->add_option("--task", io->fill.task, "Task for rows without one: train or infer")
      ->check(CLI::IsMember({"train", "infer"}));
  imp->add_option("--batch-size", io->fill.batch_size, "Batch size for rows without one")->check(CLI::PositiveNumber);
  imp->add_flag("--json", io->json, "JSON output");
  imp->callback([io, &g] { run_import(*io, g); });
});

}  // namespace
}  // namespace modewise::cli
