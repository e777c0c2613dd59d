// modewise run (the job behind `make run`): on an emulated AGX Orin, profile the reference workload once (kept in
// the store, so later runs reuse it), profile 20 modes of a new workload chosen by adaptive sampling (transferring
// the reference model after each batch), transfer, print the Pareto front and the recommended mode for a power
// budget, confirm it by profiling a few modes near the budget, and say how many modes were measured; the Pareto
// plot goes to an SVG file.
#include <chrono>
#include <filesystem>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "cli/adaptive_campaign.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/device_arg.h"
#include "cli/measure_mode.h"
#include "cli/model_args.h"
#include "modewise/device/grid.h"
#include "modewise/optimize/confirm.h"
#include "modewise/optimize/recommend.h"
#include "modewise/predict/sampling.h"
#include "modewise/predict/train.h"
#include "modewise/profile/campaign.h"
#include "modewise/profile/replay.h"
#include "modewise/profile/warmup.h"
#include "modewise/store/store.h"
#include "modewise/util/error.h"
#include "modewise/util/progress.h"
#include "modewise/util/strings.h"
#include "modewise/util/svg.h"
#include "modewise/util/table.h"

namespace modewise::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct RunOptions {
  std::string device = "sim:orin-agx";
  std::string reference = "resnet18", workload = "mobilenetv3", task = "train";
  int batch_size = 16;
  int ref_modes = 1100, modes = 20;
  std::string sampling = "adaptive";  // how the new workload's modes are chosen: adaptive, spread or random
  std::string sample_grid = "powertrain", grid = "powertrain";
  double power_w = 30;
  std::string objective = "time", method = "gp";
  std::string svg = "modewise-pareto.svg";
  uint64_t seed = 1;
  bool no_db = false;
  int confirm = optimize::ConfirmOptions{}.measurements;
};

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// One campaign through the store (resumed/reused when already there) or in memory with --no-db: the given modes,
// or, with `plan`, modes chosen by adaptive sampling while profiling.
profile::CampaignOutcome profile_modes(device::Backend& backend, store::Store* db, const device::WorkloadRequest& w,
                                       const std::vector<device::PowerMode>& modes, uint64_t seed,
                                       const std::string& what, const AdaptivePlan* plan = nullptr) {
  profile::CampaignSpec spec;
  spec.backend = backend.name();
  spec.device = backend.spec().name;
  spec.provenance = profile::provenance_of(backend, w);  // a replay keeps the recorded origin
  spec.workload = w;
  spec.modes = modes;
  if (plan) {
    spec.design = plan->design;
    spec.planned_modes = plan->options.total;
  }
  spec.minibatches = 40;
  spec.warmup_allowance = 10;
  spec.seed = seed;
  std::unique_ptr<profile::CampaignLog> log;
  if (db)
    log = std::make_unique<store::StoreCampaignLog>(*db, backend.spec(),
                                                    fmt::format("modewise run ({} {})", what, w.workload));
  else
    log = std::make_unique<profile::MemoryCampaignLog>();
  std::optional<util::Progress> progress;
  size_t measured = 0;
  profile::CampaignCallbacks cb;
  cb.on_start = [&](const std::string&, size_t done, size_t all) {
    progress.emplace(fmt::format("profile {}", w.workload), all - done, util::Progress::stderr_is_terminal());
  };
  cb.on_row = [&](const profile::ProfileRow&, bool resumed) {
    if (!resumed && progress) progress->update(++measured);
  };
  if (!plan) {
    profile::CampaignOutcome out = profile::run_campaign(backend, spec, *log, {}, cb);
    if (progress) progress->finish();
    return out;
  }
  report_adaptive_steps(cb, "adaptive");
  auto on_chosen = cb.on_chosen;
  cb.on_chosen = [&, on_chosen](size_t step, const std::vector<device::PowerMode>& chosen) {
    if (progress && util::Progress::stderr_is_terminal()) fmt::print(stderr, "\r\033[K");  // the bar is redrawn
    on_chosen(step, chosen);
  };
  profile::CampaignOutcome out =
      profile::run_chosen_campaign(backend, spec, *log, adaptive_chooser(*plan, backend.spec()), {}, cb);
  if (progress) progress->finish();
  return out;
}

std::string profiled_or_reused(const profile::CampaignOutcome& out) {
  if (out.measured == 0) return "reused from the store";
  if (out.resumed == 0) return "profiled";
  return fmt::format("profiled ({} of them before, kept in the store)", out.resumed);
}

// The fitted reference model is cached next to the store, keyed by the campaign and the fit settings.
std::string model_cache_path(const std::string& db_path, const std::string& key) {
  std::filesystem::path dir = std::filesystem::path(db_path).parent_path() / "models";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  return (dir / (profile::fnv1a_hex(key) + ".model.json")).string();
}

void print_front(const std::vector<device::PowerMode>& modes, const predict::Predictions& p,
                 const std::vector<size_t>& front) {
  util::TextTable t({"power_w", "time_ms", "energy_j", "cores", "cpu_mhz", "gpu_mhz", "emc_mhz"});
  const size_t rows = std::min<size_t>(12, front.size());
  for (size_t k = 0; k < rows; ++k) {
    size_t i = front[rows == 1 ? 0 : k * (front.size() - 1) / (rows - 1)];
    t.add({fmt::format("{:.1f}", p.power_w[i]), fmt::format("{:.1f}", p.time_ms[i]), fmt::format("{:.2f}", p.energy_j(i)),
           std::to_string(modes[i].cores), util::format_number(modes[i].cpu_mhz), util::format_number(modes[i].gpu_mhz),
           util::format_number(modes[i].emc_mhz)});
  }
  t.print(std::cout);
}

void run_main_job(const RunOptions& o, const GlobalOptions& g) {
  auto t_start = Clock::now();
  if (!(o.power_w > 0)) throw UsageError("--power-w must be positive, found {}", o.power_w);
  if (o.modes < predict::kMinTransferModes)
    throw UsageError("--modes must be at least {}, found {}", predict::kMinTransferModes, o.modes);
  optimize::Objective objective = optimize::parse_objective(o.objective);
  auto backend = open_backend_arg(o.device, g, o.seed);
  const device::DeviceSpec& spec = backend->spec();
  const std::string prov = provenance_label(*backend);
  note_provenance(*backend);
  std::optional<store::Store> db;
  std::string db_path;
  if (!o.no_db) {
    db_path = db_path_or_default(g.db_path);
    db.emplace(db_path);
  }
  std::vector<device::PowerMode> sample_from = device::grid_modes(spec, o.sample_grid);
  if (static_cast<size_t>(o.ref_modes) > sample_from.size() || static_cast<size_t>(o.modes) > sample_from.size())
    throw UsageError("the '{}' grid of {} has only {} modes", o.sample_grid, spec.name, sample_from.size());

  // 1. The reference: profiled once, then reused from the store.
  device::WorkloadRequest ref_w;
  ref_w.workload = o.reference;
  ref_w.task = o.task;
  ref_w.batch_size = o.batch_size;
  auto t0 = Clock::now();
  profile::CampaignOutcome ref_campaign =
      profile_modes(*backend, db ? &*db : nullptr, ref_w,
                    profile::sample_modes(sample_from, static_cast<size_t>(o.ref_modes), o.seed), o.seed,
                    "reference");
  const std::vector<profile::ProfileRow>& ref_rows = ref_campaign.rows;
  info(fmt::format("reference {} {}: {} modes {} in {:.1f} s", o.reference, o.task, ref_rows.size(),
                   profiled_or_reused(ref_campaign), since(t0)));
  predict::FitOptions fit;
  fit.train.seed = o.seed;
  t0 = Clock::now();
  const std::string ref_key = fmt::format("{}|{}|{}|{}|{}|{}", backend->name(), o.reference, o.task, o.batch_size,
                                          o.ref_modes, o.seed) +
                              "|fit-v1|" + fit.arch.describe() + fit.features.name;
  std::string cache = db ? model_cache_path(db_path, ref_key) : "";
  std::optional<predict::PerfModel> ref;
  if (!cache.empty() && std::filesystem::exists(cache)) {
    try {
      ref = predict::load_model(cache);
      info(fmt::format("reference model reused from {}", cache));
    } catch (const Error& e) {
      warn(fmt::format("ignoring the cached reference model: {}", e.what()));
    }
  }
  if (!ref) {
    ref = predict::fit_model(spec, ref_rows, fit, "store:" + o.reference);
    ref->info.created_by = "modewise " MODEWISE_VERSION " run";
    if (!cache.empty()) predict::save_model(*ref, cache);
    info(fmt::format("reference model fitted in {:.1f} s", since(t0)));
  }

  // 2. The new workload: a few modes only, chosen by adaptive sampling (or spread/random).
  device::WorkloadRequest new_w = ref_w;
  new_w.workload = o.workload;
  t0 = Clock::now();
  std::optional<AdaptivePlan> plan;
  std::vector<device::PowerMode> new_modes;
  const std::string what = fmt::format("the size of grid '{}' of {}", o.sample_grid, spec.name);
  if (o.sampling == "adaptive") {
    predict::AdaptiveOptions defaults;
    plan = plan_adaptive(*ref, "run:" + profile::fnv1a_hex(ref_key), o.modes,
                         std::min<long long>(static_cast<long long>(defaults.initial), o.modes),
                         static_cast<long long>(defaults.batch), o.seed + 1, sample_from, what);
  } else if (o.sampling == "spread") {
    new_modes = design_modes(sample_from, {"spread", o.modes}, o.seed + 1, what);
  } else {
    new_modes = profile::sample_modes(sample_from, static_cast<size_t>(o.modes), o.seed + 1);
  }
  profile::CampaignOutcome new_campaign =
      profile_modes(*backend, db ? &*db : nullptr, new_w, new_modes, o.seed + 1, "new", plan ? &*plan : nullptr);
  const std::vector<profile::ProfileRow>& new_rows = new_campaign.rows;
  info(fmt::format("{} {}: {} modes ({} sampling) {} in {:.1f} s", o.workload, o.task, new_rows.size(), o.sampling,
                   profiled_or_reused(new_campaign), since(t0)));

  // 3. Transfer, predict every mode, Pareto front, recommendation.
  predict::TransferOptions to;
  to.method = o.method;
  to.train.seed = o.seed;
  t0 = Clock::now();
  predict::PerfModel model = predict::transfer_model(*ref, spec, new_rows, to, "store:" + o.workload);
  info(fmt::format("transferred ({}) in {:.2f} s", o.method, since(t0)));
  std::vector<device::PowerMode> modes = device::grid_modes(spec, o.grid);
  const optimize::PowerCaution caution{0, optimize::kDefaultSdMultiplier};
  predict::Predictions p = model.predict(spec, modes, caution.sd_multiplier > 0);
  std::vector<size_t> front = optimize::pareto_front(p.time_ms, p.power_w);
  warn_extrapolation(model, modes);

  fmt::print("modewise run: {} {} bs{} on {} -- all numbers {}\n", o.workload, o.task, o.batch_size, spec.name, prov);
  fmt::print("model: {} reference ({} modes) transferred with '{}' from {} profiled modes of {} ({} sampling)\n",
             o.reference, ref_rows.size(), o.method, new_rows.size(), o.workload, o.sampling);
  fmt::print("\nPredicted Pareto front over the {} grid: {} of {} modes (time per minibatch against board power)\n",
             o.grid, front.size(), modes.size());
  print_front(modes, p, front);
  const device::PowerMode maxn = spec.maxn();
  predict::Predictions pm = model.predict(spec, {maxn});
  fmt::print("\nMAXN ({}): predicted {:.1f} ms, {:.1f} W\n", maxn.key(), pm.time_ms[0], pm.power_w[0]);
  std::optional<std::pair<double, double>> chosen_point;  // (power, time) of the recommendation, for the plot
  const std::string chosen_label = "recommended";
  try {
    optimize::Recommendation r = optimize::recommend(modes, p, o.power_w, objective, caution);
    chosen_point = {r.power_w, r.time_ms};
    fmt::print("Recommended for {} W (lowest predicted {}): {}\n", util::format_number(o.power_w), o.objective,
               r.mode.describe());
    fmt::print("  predicted {:.1f} ms per minibatch at {:.1f} W (margin {:.1f} W), {:.2f} J per minibatch; "
               "{:.2f}x the MAXN time at {:.0f}% of its power\n",
               r.time_ms, r.power_w, r.margin_w, r.energy_j, r.time_ms / pm.time_ms[0], 100 * r.power_w / pm.power_w[0]);
  } catch (const Error& e) {
    fmt::print("No recommendation for {} W from predictions: {}\n", util::format_number(o.power_w), e.what());
  }
  size_t confirm_measured = 0;
  if (o.confirm > 0) {
    // Confirmation by measurement (docs/PREDICT.md): a few modes near the budget are profiled and decide.
    optimize::ConfirmOptions co;
    co.measurements = o.confirm;
    // The modes profiled for the transfer are measurements already: they correct the predictions near them and
    // may be the answer, at no measurement (docs/BENCHMARKS.md, "Profiling fewer modes": 2.25% -> 1.62% from the
    // optimal time on the emulator after 20 adaptive modes).
    std::unordered_map<std::string, size_t> index_of;
    for (size_t i = 0; i < modes.size(); ++i) index_of.emplace(modes[i].key(), i);
    for (const auto& r : new_rows)
      if (auto it = index_of.find(r.mode.key()); it != index_of.end())
        co.known.emplace_back(it->second, optimize::MeasuredPoint{r.time_ms, r.power_w});
    optimize::MeasureFn measure_one = mode_measurer(*backend, new_w);  // cli/measure_mode.h
    optimize::MeasureFn measure = [&](const device::PowerMode& m) {
      ++confirm_measured;
      return measure_one(m);
    };
    t0 = Clock::now();
    auto c = optimize::confirm_recommendation(modes, p, o.power_w, objective, measure, co);
    info(fmt::format("confirmation: {} modes profiled in {:.1f} s", confirm_measured, since(t0)));
    if (c) {
      chosen_point = {c->measured.power_w, c->measured.time_ms};
        fmt::print("Confirmed for {} W after profiling {} modes near the budget: {}\n", util::format_number(o.power_w),
                 c->profiled.size(), c->mode.describe());
      fmt::print("  profiled {:.1f} ms per minibatch at {:.1f} W, {:.2f} J per minibatch (predicted {:.1f} ms, {:.1f} W); "
                 "{}\n",
                 c->measured.time_ms, c->measured.power_w, c->measured.energy_j(), c->predicted_time_ms,
                 c->predicted_power_w, prov);
    } else {
      fmt::print("Confirmation: none of the modes profiled near {} W was within it; the budget is at the edge of "
                 "what this workload can do\n",
                 util::format_number(o.power_w));
    }
  }
  fmt::print("\nModes measured for {}: {} profiled ({} sampling{}) + {} to confirm = {}; the {} reference: {} "
             "modes ({})\n",
             o.workload, new_rows.size(), o.sampling, new_campaign.measured == 0 ? ", reused from the store" : "",
             confirm_measured, new_rows.size() + confirm_measured, o.reference, ref_rows.size(),
             ref_campaign.measured == 0 ? "reused from the store"
             : db                       ? "profiled once, kept in the store"
                                        : "profiled, not kept: --no-db");
  if (!o.svg.empty()) {
    util::SvgChart chart;
    chart.title = fmt::format("{} {} on {}: predicted time and power of {} modes", o.workload, o.task, spec.name,
                              modes.size());
    chart.x_label = "board power (W)";
    chart.y_label = "time per minibatch (ms)";
    chart.log_y = true;
    chart.note = prov + fmt::format("; transfer from {} on {} profiled modes", o.reference, new_rows.size());
    util::SvgSeries all{"modes (sampled)", {}, {}, false, true, "#c8c8c8", 1.2};
    const size_t stride = std::max<size_t>(1, modes.size() / 4000);
    for (size_t i = 0; i < modes.size(); i += stride) {
      all.x.push_back(p.power_w[i]);
      all.y.push_back(p.time_ms[i]);
    }
    util::SvgSeries profiled{"profiled modes", {}, {}, false, true, "#1f77b4", 3};
    for (const auto& r : new_rows) {
      profiled.x.push_back(r.power_w);
      profiled.y.push_back(r.time_ms);
    }
    util::SvgSeries pf{"predicted Pareto front", {}, {}, true, true, "#2ca02c", 2.2};
    for (size_t i : front) {
      pf.x.push_back(p.power_w[i]);
      pf.y.push_back(p.time_ms[i]);
    }
    util::SvgSeries budget{fmt::format("budget {} W", util::format_number(o.power_w)), {o.power_w, o.power_w},
                           {*std::min_element(p.time_ms.begin(), p.time_ms.end()),
                            *std::max_element(p.time_ms.begin(), p.time_ms.end())},
                           true, false, "#d62728", 1};
    chart.series = {all, profiled, pf, budget};
    if (chosen_point)
      chart.series.push_back(
          {chosen_label, {chosen_point->first}, {chosen_point->second}, false, true, "#000000", 6});
    util::write_svg(chart, o.svg);
    fmt::print("\nPareto plot: {}\n", o.svg);
  }
  info(fmt::format("done in {:.1f} s", since(t_start)));
}

Registrar reg(5, "run", [](CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand(
      "run", "The main job (make run): profile a reference once, transfer to a new workload, recommend a mode");
  cmd->add_option("--device", o->device, "Backend")->capture_default_str();
  cmd->add_option("--reference", o->reference, "Reference workload (profiled once, kept in the store)")
      ->capture_default_str();
  cmd->add_option("--workload", o->workload, "New workload")->capture_default_str();
  cmd->add_option("--task", o->task, "train or infer")->check(CLI::IsMember({"train", "infer"}))->capture_default_str();
  cmd->add_option("--batch-size", o->batch_size, "Minibatch size")->capture_default_str()->check(CLI::Range(1, 65536));
  cmd->add_option("--ref-modes", o->ref_modes, "Modes profiled for the reference")->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--modes", o->modes, "Modes profiled for the new workload")->capture_default_str();
  cmd->add_option("--sampling", o->sampling,
                  "How they are chosen: adaptive (while profiling, from the reference model), spread (space-filling) "
                  "or random")
      ->check(CLI::IsMember({"adaptive", "spread", "random"}))
      ->capture_default_str();
  cmd->add_option("--sample-grid", o->sample_grid, "Grid the profiled modes are drawn from")->capture_default_str();
  cmd->add_option("--grid", o->grid, "Grid predicted and searched (full extrapolates beyond the profiled range)")
      ->capture_default_str();
  cmd->add_option("--power-w", o->power_w, "Power budget in watts")->capture_default_str()->check(positive_number());
  cmd->add_option("--objective", o->objective, "time or energy")->check(CLI::IsMember({"time", "energy"}))
      ->capture_default_str();
  cmd->add_option("--method", o->method, "Transfer method")->check(CLI::IsMember(predict::transfer_method_names()))
      ->capture_default_str();
  cmd->add_option("--svg", o->svg, "Pareto plot file ('' for none)")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed for mode sampling, the emulator and training")->capture_default_str();
  cmd->add_option("--confirm", o->confirm,
                  "Profile up to N modes near the budget to confirm the recommendation (0: predictions only)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  cmd->add_flag("--no-db", o->no_db, "Keep profiles in memory only (nothing cached)");
  cmd->callback([o, &g] { run_main_job(*o, g); });
});

}  // namespace
}  // namespace modewise::cli
