// modewise sim-check: the emulator (sim:orin-agx) against real AGX Orin MAXN inference measurements,
// point by point. Exits 1 when a point (other than the known glitch) is out of tolerance.
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
};

std::string status_of(const sim::CheckRow& r) {
  if (r.ref.excluded) return "excluded";
  return r.ok() ? "ok" : "FAIL";
}

void run_sim_check(const SimCheckOptions& o) {
  std::string path = o.data.empty() ? sim::default_reference_csv() : o.data;
  device::DeviceSpec spec = device::builtin_device("orin-agx");
  auto points = sim::read_reference_csv(path);
  sim::Tolerance tol{o.time_tol_pct / 100.0, o.power_tol_pct / 100.0};
  if (o.fit) {  // offline calibration helper: prints fitted values, changes nothing
    info("fitting the emulator's calibrated parameters to " + path + " (values to copy into src/sim/)");
    std::cout << sim::fit_to_reference(spec, points, tol);
    return;
  }
  sim::CheckResult res = sim::check_against_reference(spec, points, tol);

  if (o.json) {
    nlohmann::json j;
    j["device"] = "sim:" + spec.name;
    j["provenance"] = "emulated";
    j["reference"] = path;
    j["time_tolerance_pct"] = o.time_tol_pct;
    j["power_tolerance_pct"] = o.power_tol_pct;
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
    j["summary"] = {{"checked", res.checked},
                    {"failed", res.failed},
                    {"excluded", static_cast<int>(res.rows.size()) - res.checked},
                    {"time_mape_pct", 100 * res.time_mape},
                    {"power_mape_pct", 100 * res.power_mape},
                    {"time_max_err_pct", 100 * res.time_max_err},
                    {"power_max_err_pct", 100 * res.power_max_err}};
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
        "summary: {} of {} points within tolerance (time +-{}%, power +-{}%), {} excluded; "
        "time MAPE {:.1f}% (max {:.1f}%), power MAPE {:.1f}% (max {:.1f}%)\n",
        res.checked - res.failed, res.checked, o.time_tol_pct, o.power_tol_pct,
        res.rows.size() - res.checked, 100 * res.time_mape, 100 * res.time_max_err, 100 * res.power_mape,
        100 * res.power_max_err);
  }
  if (res.failed > 0)
    throw Error("{} of {} reference points are out of tolerance", res.failed, res.checked);
}

Registrar reg(90, "sim-check", [](CLI::App& app, GlobalOptions&) {
  auto o = std::make_shared<SimCheckOptions>();
  auto* cmd = app.add_subcommand(
      "sim-check", "Compare the emulator (sim:orin-agx) with real AGX Orin MAXN inference measurements");
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
  cmd->callback([o] { run_sim_check(*o); });
});

}  // namespace
}  // namespace modewise::cli
