// modewise sim-check: the emulator (sim:orin-agx) against real AGX Orin MAXN inference measurements,
// point by point. Exits 1 when a point (other than the known glitch) is out of tolerance. The default comparison
// is in-sample (the same points calibrated the emulator); --leave-one-out refits without each workload (or point)
// from neutral values and predicts it: the out-of-sample error (docs/EMULATOR.md).
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "modewise/device/device_spec.h"
#include "modewise/sim/calibration.h"
#include "modewise/util/error.h"
#include "modewise/util/table.h"

namespace modewise::cli {
namespace {

struct SimCheckOptions {
  std::string data;  // empty: data/pagoda-maxn-inference.csv in the source tree
  double time_tol_pct = 20, power_tol_pct = 15;
  bool json = false;
  bool fit = false;
  bool leave_one_out = false;
  std::string hold_out = "workload";
  std::vector<std::string> fix;
};

std::string status_of(const sim::CheckRow& r) {
  if (r.ref.excluded) return "excluded";
  return r.ok() ? "ok" : "FAIL";
}

nlohmann::json summary_json(const sim::CheckResult& res) {
  return {{"checked", res.checked},
          {"failed", res.failed},
          {"excluded", static_cast<int>(res.rows.size()) - res.checked},
          {"time_mape_pct", 100 * res.time_mape},
          {"power_mape_pct", 100 * res.power_mape},
          {"time_max_err_pct", 100 * res.time_max_err},
          {"power_max_err_pct", 100 * res.power_max_err}};
}

std::string summary_text(const sim::CheckResult& res) {
  return fmt::format("time MAPE {:.1f}% (max {:.1f}%), power MAPE {:.1f}% (max {:.1f}%); {} of {} points within "
                     "tolerance",
                     100 * res.time_mape, 100 * res.time_max_err, 100 * res.power_mape, 100 * res.power_max_err,
                     res.checked - res.failed, res.checked);
}

// Reports the out-of-sample errors; never fails on them (they are a measurement of the calibration, not a check).
void run_leave_one_out(const SimCheckOptions& o, const device::DeviceSpec& spec,
                       const std::vector<sim::ReferencePoint>& points, const sim::Tolerance& tol,
                       const std::string& path) {
  if (o.hold_out != "workload" && o.hold_out != "point")
    throw UsageError("--hold-out: expected workload or point, found '{}'", o.hold_out);
  const sim::HoldOut unit = o.hold_out == "point" ? sim::HoldOut::point : sim::HoldOut::workload;
  info(fmt::format("leave-one-{}-out: refitting the emulator's parameters {} from neutral values ...",
                   o.hold_out, unit == sim::HoldOut::point ? "once per point" : "once per workload"));
  sim::LeaveOneOutResult r = sim::leave_one_out(spec, points, tol, unit, o.fix);
  if (o.json) {
    nlohmann::json j;
    j["device"] = "sim:" + spec.name;
    j["provenance"] = "emulated";
    j["reference"] = path;
    j["comparison"] = "leave-one-" + o.hold_out + "-out";
    j["fitted_parameters"] = r.parameters;
    j["targets"] = r.targets;
    j["refits"] = r.refits;
    j["fixed_at_neutral"] = o.fix;
    j["seconds"] = r.seconds;
    j["points"] = nlohmann::json::array();
    for (const auto& row : r.predicted.rows)
      j["points"].push_back({{"model", row.ref.model},
                             {"workload", row.ref.workload},
                             {"batch_size", row.ref.batch_size},
                             {"measured_time_ms", row.ref.time_ms},
                             {"predicted_time_ms", row.est.time_ms},
                             {"time_err_pct", 100 * row.time_err},
                             {"measured_power_w", row.ref.power_w},
                             {"predicted_power_w", row.est.power_w},
                             {"power_err_pct", 100 * row.power_err},
                             {"status", status_of(row)}});
    j["summary"] = summary_json(r.predicted);
    j["neutral_refit_in_sample"] = summary_json(r.neutral_in_sample);
    std::cout << j.dump(2) << "\n";
    return;
  }
  util::TextTable t({"model", "batch_size", "measured_time_ms", "predicted_time_ms", "time_err_%",
                     "measured_power_w", "predicted_power_w", "power_err_%", "status"});
  for (const auto& row : r.predicted.rows)
    t.add({row.ref.model, std::to_string(row.ref.batch_size), fmt::format("{:.3f}", row.ref.time_ms),
           fmt::format("{:.3f}", row.est.time_ms), fmt::format("{:+.1f}", 100 * row.time_err),
           fmt::format("{:.2f}", row.ref.power_w), fmt::format("{:.2f}", row.est.power_w),
           fmt::format("{:+.1f}", 100 * row.power_err),
           status_of(row) + (row.ref.excluded ? " (" + row.ref.note + ")" : "")});
  t.print(std::cout);
  std::cout << fmt::format("leave-one-{}-out ({} refits from neutral values, each without the held-out {}): {}\n",
                           o.hold_out, r.refits, unit == sim::HoldOut::point ? "point" : "workload's points",
                           summary_text(r.predicted));
  std::cout << fmt::format("same procedure on all points (in-sample): {}\n", summary_text(r.neutral_in_sample));
  std::cout << fmt::format("{} fitted parameters, {} targets (time and power of {} points); {:.1f} s\n", r.parameters,
                           r.targets, r.targets / 2, r.seconds);
}

void run_sim_check(const SimCheckOptions& o) {
  std::string path = o.data.empty() ? sim::default_reference_csv() : o.data;
  device::DeviceSpec spec = device::builtin_device("orin-agx");
  auto points = sim::read_reference_csv(path);
  sim::Tolerance tol{o.time_tol_pct / 100.0, o.power_tol_pct / 100.0};
  if (o.fit && o.leave_one_out) throw UsageError("--fit and --leave-one-out are two different runs: give one");
  if (o.fit) {  // offline calibration helper: prints fitted values, changes nothing
    info("fitting the emulator's calibrated parameters to " + path + " (values to copy into src/sim/)");
    std::cout << sim::fit_to_reference(spec, points, tol);
    return;
  }
  if (o.leave_one_out) return run_leave_one_out(o, spec, points, tol, path);
  sim::CheckResult res = sim::check_against_reference(spec, points, tol);
  const int params = sim::calibrated_parameter_count(points), targets = sim::calibration_target_count(points);
  const std::string in_sample = fmt::format(
      "in-sample: these points calibrated the emulator ({} fitted parameters, {} targets: time and power of {} "
      "points); out-of-sample errors: `modewise sim-check --leave-one-out [--hold-out point]`",
      params, targets, targets / 2);
  // The out-of-sample figure beside the in-sample one (about a second): each workload predicted by a refit from
  // neutral values without its points.
  const sim::LeaveOneOutResult loo = sim::leave_one_out(spec, points, tol, sim::HoldOut::workload);

  if (o.json) {
    nlohmann::json j;
    j["device"] = "sim:" + spec.name;
    j["provenance"] = "emulated";
    j["reference"] = path;
    j["time_tolerance_pct"] = o.time_tol_pct;
    j["power_tolerance_pct"] = o.power_tol_pct;
    j["comparison"] = "in-sample";
    j["fitted_parameters"] = params;
    j["targets"] = targets;
    j["points"] = nlohmann::json::array();
    for (const auto& r : res.rows) {
      nlohmann::json p = {{"model", r.ref.model},
                          {"workload", r.ref.workload},
                          {"batch_size", r.ref.batch_size},
                          {"measured_time_ms", r.ref.time_ms},
                          {"emulated_time_ms", r.est.time_ms},
                          {"time_err_pct", 100 * r.time_err},
                          {"measured_power_w", r.ref.power_w},
                          {"emulated_power_w", r.est.power_w},
                          {"power_err_pct", 100 * r.power_err},
                          {"status", status_of(r)}};
      if (r.ref.excluded) p["note"] = r.ref.note;
      j["points"].push_back(p);
    }
    j["summary"] = summary_json(res);
    j["leave_one_workload_out"] = summary_json(loo.predicted);
    std::cout << j.dump(2) << "\n";
  } else {
    info(fmt::format("emulated column: sim:{} (emulated, not measured); measured column: {}", spec.name, path));
    util::TextTable t({"model", "batch_size", "measured_time_ms", "emulated_time_ms", "time_err_%",
                       "measured_power_w", "emulated_power_w", "power_err_%", "status"});
    for (const auto& r : res.rows)
      t.add({r.ref.model, std::to_string(r.ref.batch_size), fmt::format("{:.3f}", r.ref.time_ms),
             fmt::format("{:.3f}", r.est.time_ms), fmt::format("{:+.1f}", 100 * r.time_err),
             fmt::format("{:.2f}", r.ref.power_w), fmt::format("{:.2f}", r.est.power_w),
             fmt::format("{:+.1f}", 100 * r.power_err),
             status_of(r) + (r.ref.excluded ? " (" + r.ref.note + ")" : "")});
    t.print(std::cout);
    std::cout << fmt::format(
        "summary (in-sample): {} of {} points within tolerance (time +-{}%, power +-{}%), {} excluded; "
        "time MAPE {:.1f}% (max {:.1f}%), power MAPE {:.1f}% (max {:.1f}%)\n",
        res.checked - res.failed, res.checked, o.time_tol_pct, o.power_tol_pct,
        res.rows.size() - res.checked, 100 * res.time_mape, 100 * res.time_max_err, 100 * res.power_mape,
        100 * res.power_max_err);
    std::cout << fmt::format("out-of-sample, leave-one-workload-out (refits from neutral values): {}\n",
                             summary_text(loo.predicted));
    info(in_sample);
  }
  if (res.failed > 0)
    throw Error("{} of {} reference points are out of tolerance", res.failed, res.checked);
}

Registrar reg(90, "sim-check", [](CLI::App& app, GlobalOptions&) {
  auto o = std::make_shared<SimCheckOptions>();
  auto* cmd = app.add_subcommand(
      "sim-check",
      "Compare the emulator (sim:orin-agx) with real AGX Orin MAXN inference measurements. The default comparison "
      "is in-sample: the same points calibrated the emulator. --leave-one-out gives out-of-sample errors");
  cmd->add_option("--data", o->data, "Reference CSV (default: data/pagoda-maxn-inference.csv in the source tree)");
  cmd->add_option("--time-tol-pct", o->time_tol_pct, "Tolerance on time, percent")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--power-tol-pct", o->power_tol_pct, "Tolerance on power, percent")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  auto* json = cmd->add_flag("--json", o->json, "JSON output");
  cmd->add_flag("--fit", o->fit,
                "Calibration helper: fit the emulator's calibrated parameters to the reference points and print "
                "old -> new values (for developers; the emulator itself is unchanged)")
      ->excludes(json);
  auto* loo = cmd->add_flag("--leave-one-out", o->leave_one_out,
                            "Out-of-sample errors: for each workload (or point, --hold-out point), refit the "
                            "calibrated parameters without its points from neutral starting values and predict them "
                            "(a few seconds per refit)");
  cmd->add_option("--hold-out", o->hold_out, "With --leave-one-out: hold out a whole workload, or one point")
      ->check(CLI::IsMember({"workload", "point"}))
      ->capture_default_str()
      ->needs(loo);
  cmd->add_option("--fix", o->fix,
                  "With --leave-one-out: hold these parameters at their neutral values instead of fitting them "
                  "(kernels_fwd, half_fill_samples, framework.overlap_rho, ...): does a smaller model predict better?")
      ->delimiter(',')
      ->needs(loo);
  cmd->callback([o] { run_sim_check(*o); });
});

}  // namespace
}  // namespace modewise::cli
