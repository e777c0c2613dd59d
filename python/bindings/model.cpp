// modewise.Model: a PowerTrain model file (from `modewise fit` / `transfer`) with the predictions of the CLI's
// predict, pareto and recommend (predict/model.h, optimize/recommend.h): the same library calls, so the same
// numbers. The package converts predict()'s lists to numpy arrays where numpy is installed.
#include <optional>

#include <pybind11/stl.h>

#include "bindings.h"
#include "modewise/device/grid.h"
#include "modewise/optimize/recommend.h"
#include "modewise/predict/model.h"
#include "modewise/profile/profile.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::python {

namespace {

struct Candidates {
  device::DeviceSpec spec;
  std::vector<device::PowerMode> modes;
};

// As the CLI's --device/--grid/--modes (cli/model_args.cpp): the model's device unless named, every mode of the
// grid unless modes are given (each checked against the device's tables).
Candidates candidates(const predict::PerfModel& model, const std::optional<std::vector<device::PowerMode>>& modes,
                      const std::string& device, const std::string& grid, const std::string& sysfs_root) {
  Candidates c;
  c.spec = device.empty() ? device::resolve_device(model.info.device) : resolve_device_arg(device, sysfs_root);
  model.check_device(c.spec);
  if (modes) {
    if (modes->empty()) throw UsageError("no modes given");
    for (const auto& m : *modes) device::validate_mode(c.spec, m);
    c.modes = *modes;
  } else {
    c.modes = device::grid_modes(c.spec, grid);
  }
  return c;
}

}  // namespace

void bind_model(py::module_& m) {
  py::class_<predict::PerfModel>(m, "Model", R"(A time and power model of one workload on one device (`modewise fit` / `transfer`).

    >>> model = modewise.Model.load("transfer.json")
    >>> p = model.predict(modewise.modes("orin-agx", "powertrain"))
    >>> p["time_ms"][:3], p["power_w"][:3]
    >>> model.recommend(power_w=30)["mode"]
)")
      .def_static("_load", &predict::load_model, py::arg("path"))
      .def_property_readonly("device", [](const predict::PerfModel& x) { return x.info.device; })
      .def_property_readonly("workload", [](const predict::PerfModel& x) { return x.info.workload; })
      .def_property_readonly("task", [](const predict::PerfModel& x) { return x.info.task; })
      .def_property_readonly("batch_size", [](const predict::PerfModel& x) { return x.info.batch_size; })
      .def_property_readonly("method", [](const predict::PerfModel& x) { return x.info.method; })
      .def_property_readonly("provenance", [](const predict::PerfModel& x) { return x.info.provenance; },
                             "of the training data: measured, emulated, replayed, ...")
      .def_property_readonly(
          "predicted_provenance",
          [](const predict::PerfModel& x) { return profile::predicted_provenance(x.info.provenance); },
          "the label of its predictions, e.g. 'predicted (from emulated)'")
      .def(
          "_predict",
          [](const predict::PerfModel& x, std::optional<std::vector<device::PowerMode>> modes,
             const std::string& device, const std::string& grid, const std::string& sysfs_root) {
            Candidates c = candidates(x, modes, device, grid, sysfs_root);
            predict::Predictions p = x.predict(c.spec, c.modes, true);
            py::dict d;
            d["modes"] = c.modes;
            d["time_ms"] = p.time_ms;
            d["power_w"] = p.power_w;
            if (!p.power_log_sd.empty()) d["power_log_sd"] = p.power_log_sd;
            d["provenance"] = profile::predicted_provenance(x.info.provenance);
            return d;
          },
          py::arg("modes") = py::none(), py::arg("device") = "", py::arg("grid") = "full", py::arg("sysfs_root") = "/")
      .def(
          "pareto",
          [](const predict::PerfModel& x, std::optional<std::vector<device::PowerMode>> modes,
             const std::string& device, const std::string& grid, const std::string& sysfs_root) {
            Candidates c = candidates(x, modes, device, grid, sysfs_root);
            predict::Predictions p = x.predict(c.spec, c.modes);
            py::list out;
            for (size_t i : optimize::pareto_front(p.time_ms, p.power_w)) {
              py::dict d;
              d["mode"] = c.modes[i];
              d["time_ms"] = p.time_ms[i];
              d["power_w"] = p.power_w[i];
              d["energy_j"] = p.energy_j(i);
              out.append(d);
            }
            return out;
          },
          py::arg("modes") = py::none(), py::arg("device") = "", py::arg("grid") = "full", py::arg("sysfs_root") = "/",
          R"(The predicted time/power Pareto front (as `modewise pareto`): dicts with mode, time_ms, power_w,
energy_j, by increasing power.

    >>> front = model.pareto(grid="powertrain")
)")
      .def(
          "recommend",
          [](const predict::PerfModel& x, double power_w, const std::string& objective,
             std::optional<std::vector<device::PowerMode>> modes, const std::string& device, const std::string& grid,
             double safety_pct, double sd_multiplier, const std::string& sysfs_root) {
            if (!(power_w > 0)) throw UsageError("power_w must be positive, found {}", util::format_number(power_w));
            if (!(safety_pct >= 0 && safety_pct < 50))
              throw UsageError("safety_pct must be in [0, 50), found {}", util::format_number(safety_pct));
            if (!(sd_multiplier >= 0 && sd_multiplier <= 10))
              throw UsageError("sd_multiplier must be in [0, 10], found {}", util::format_number(sd_multiplier));
            optimize::Objective obj = optimize::parse_objective(objective);
            Candidates c = candidates(x, modes, device, grid, sysfs_root);
            optimize::PowerCaution caution{safety_pct / 100.0, sd_multiplier};
            predict::Predictions p = x.predict(c.spec, c.modes, caution.sd_multiplier > 0);
            optimize::Recommendation r = optimize::recommend(c.modes, p, power_w, obj, caution);
            py::dict d;
            d["mode"] = r.mode;
            d["time_ms"] = r.time_ms;
            d["power_w"] = r.power_w;
            d["energy_j"] = r.energy_j;
            d["budget_w"] = r.budget_w;
            d["margin_w"] = r.margin_w;
            d["objective"] = objective;
            d["candidates"] = c.modes.size();
            d["feasible"] = r.feasible;
            d["device"] = c.spec.name;
            d["provenance"] = x.info.provenance;
            return d;
          },
          py::arg("power_w"), py::arg("objective") = "time", py::arg("modes") = py::none(), py::arg("device") = "",
          py::arg("grid") = "full", py::arg("safety_pct") = 0.0,
          py::arg("sd_multiplier") = optimize::kDefaultSdMultiplier, py::arg("sysfs_root") = "/",
          R"(The fastest (objective="time") or least-energy (objective="energy") mode predicted within a power budget,
as `modewise recommend --json`: a dict with mode, time_ms, power_w, energy_j, budget_w, margin_w, feasible, ...
A budget no mode meets is a modewise.Error naming the lowest predicted power.

    >>> model.recommend(power_w=30, objective="energy")["mode"]
)");
}

}  // namespace modewise::python
