// modewise eval roofline: predicted vs profiled latency and energy over a grid, and tune-inference's choice vs
// the exhaustive best at the same slowdown (docs/BENCHMARKS.md, "Roofline").
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/device_arg.h"
#include "cli/eval_group.h"
#include "modewise/roofline/evaluate.h"
#include "modewise/util/error.h"
#include "modewise/util/progress.h"
#include "modewise/util/strings.h"
#include "modewise/util/table.h"

namespace modewise::cli {
namespace {

struct EvalRooflineOptions {
  std::string device = "sim:orin-agx";
  std::string workloads = "resnet50,mobilenetv3,yolov8n,bert-base";
  std::string model_dir = std::string(MODEWISE_SOURCE_DIR) + "/tests/fixtures/onnx";
  std::string grid;
  std::string batch_sizes = "1,16";
  double max_slowdown = 0.05;
  double gap_pp = 2.0;
  bool json = false;
  uint64_t seed = 1;
  roofline::ConfirmOptions confirm;
};

void run_eval(const EvalRooflineOptions& o, const GlobalOptions& g) {
  auto backend = open_backend_arg(o.device, g, o.seed);
  const device::DeviceSpec& spec = backend->spec();
  note_provenance(*backend);
  std::string grid = o.grid.empty() ? roofline::default_tuning_grid(spec) : o.grid;
  auto modes = roofline::resolve_mode_list(spec, "all", grid);
  if (std::find(modes.begin(), modes.end(), spec.maxn()) == modes.end()) modes.push_back(spec.maxn());
  util::Progress bar("calibrating rooflines", modes.size(), util::Progress::stderr_is_terminal());
  auto rooflines = roofline::calibrate_modes(*backend, modes, {}, [&](size_t d, size_t) { bar.update(d); });
  bar.finish();

  std::vector<roofline::EvalResult> results;
  for (const auto& w : util::split(o.workloads, ','))
    for (int bs : util::parse_int_list(o.batch_sizes, "--batch-sizes")) {
      if (bs < 1) throw UsageError("--batch-sizes: batch sizes must be >= 1 (got {})", bs);
      std::string name = util::trim(w);
      roofline::EvalCase c{name, o.model_dir + "/" + name + ".onnx", bs};
      results.push_back(roofline::evaluate_case(*backend, rooflines, c, o.max_slowdown, o.confirm));
    }
  bool ok = true;
  for (const auto& r : results) ok = ok && r.within_slowdown() && r.gap_pp() <= o.gap_pp;
  std::string prov = provenance_label(*backend);
  if (o.json) {
    nlohmann::json j{{"provenance", prov}, {"grid", grid}, {"modes", modes.size()}, {"max_slowdown", o.max_slowdown},
                     {"gap_pp_limit", o.gap_pp}, {"ok", ok}, {"cases", nlohmann::json::array()}};
    for (const auto& r : results) j["cases"].push_back(roofline::eval_to_json(r));
    std::cout << j.dump(2) << "\n";
  } else {
    util::TextTable t({"workload", "batch", "time_mape_%", "energy_mape_%", "roofline_only_time_%",
                       "roofline_only_energy_%", "profiled", "model_choice_saving_%", "tuned_mode", "tuned_saving_%",
                       "best_saving_%", "gap_pp", "tuned_slowdown_%", "ok"});
    for (const auto& r : results)
      t.add({r.c.workload, std::to_string(r.c.batch_size), fmt::format("{:.1f}", 100 * r.time_mape),
             fmt::format("{:.1f}", 100 * r.energy_mape), fmt::format("{:.1f}", 100 * r.time_mape_roofline),
             fmt::format("{:.1f}", 100 * r.energy_mape_roofline), std::to_string(r.profiled_modes),
             fmt::format("{:.1f}", 100 * r.model_choice_saving), r.tuned.key(),
             fmt::format("{:.1f}", 100 * r.tuned_saving), fmt::format("{:.1f}", 100 * r.best_saving),
             fmt::format("{:.2f}", r.gap_pp()), fmt::format("{:.2f}", 100 * r.tuned_slowdown),
             r.within_slowdown() && r.gap_pp() <= o.gap_pp ? "ok" : "FAIL"});
    t.print(std::cout);
    std::cout << fmt::format("{}: {} modes of '{}', max slowdown {:.0f}%; numbers are {}\n",
                             ok ? "all cases ok" : "SOME CASES FAIL", modes.size(), grid, 100 * o.max_slowdown, prov);
  }
  if (!ok) throw Error("tuned mode outside the slowdown or more than {} pp from the exhaustive best", o.gap_pp);
}

Registrar reg(63, "eval-roofline", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<EvalRooflineOptions>();
  auto* cmd = eval_group(app)->add_subcommand(
      "roofline", "Roofline predictions vs profiled latency/energy over a grid, and tune-inference vs the exhaustive best");
  cmd->add_option("--device", o->device, "Device backend (every mode of the grid is profiled)")->capture_default_str();
  cmd->add_option("--workloads", o->workloads, "Comma-separated workloads; MODEL_DIR/<name>.onnx is each one's graph")
      ->capture_default_str();
  cmd->add_option("--model-dir", o->model_dir, "Folder of <workload>.onnx files")->capture_default_str();
  cmd->add_option("--grid", o->grid, "Grid (default: fulcrum where the device has it, else full)");
  cmd->add_option("--batch-sizes", o->batch_sizes, "Comma-separated inference batch sizes")->capture_default_str();
  cmd->add_option("--max-slowdown", o->max_slowdown, "Allowed slowdown vs the fastest mode")->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--max-gap-pp", o->gap_pp, "Largest accepted gap to the exhaustive best saving, percentage points")
      ->capture_default_str();
  cmd->add_option("--confirm", o->confirm.candidate_count,
                  "Candidate modes tune-inference profiles to confirm its choice (0 with --confirm-fastest 0: "
                  "predictions only)")
      ->capture_default_str()->check(CLI::Range(0, 1000));
  cmd->add_option("--confirm-fastest", o->confirm.fastest_count,
                  "Predicted-fastest modes profiled as the slowdown reference")
      ->capture_default_str()->check(CLI::Range(0, 1000));
  cmd->add_option("--seed", o->seed, "Seed of the emulated backend")->capture_default_str();
  cmd->add_flag("--json", o->json, "JSON output");
  cmd->callback([o, &g] { run_eval(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
