// modewise.Monitor: a PowerSampler (telemetry/sampler.h) over a power sensor, with named windows that may nest and
// overlap (the Zeus idiom begin_window/end_window). "jetson" reads the INA3221 rails under sysfs_root and "nvml:N"
// a discrete GPU: measured. "sim:<device>" has no sensor to read: the emulated board draws its emulator idle power
// at MAXN (sim::idle_power_w), a constant, labelled emulated (the sensor lives here, above sim and telemetry).
#include <map>
#include <memory>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "modewise/device/grid.h"
#include "modewise/sim/emulator.h"
#include "modewise/telemetry/power_sensor.h"
#include "modewise/telemetry/sampler.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::python {

namespace {

class EmulatedIdleSensor : public telemetry::PowerSensor {
 public:
  explicit EmulatedIdleSensor(const device::DeviceSpec& spec)
      : device_(spec.name), power_w_(sim::idle_power_w(spec, device::named_mode(spec, "maxn"))) {}
  std::string name() const override { return "sim:" + device_ + " (emulated idle power at maxn)"; }
  std::vector<std::string> channels() const override { return {"total"}; }
  std::string total_rule() const override { return "emulated"; }
  telemetry::Reading read(double) override { return {{power_w_}, -1}; }

 private:
  std::string device_;
  double power_w_;
};

struct Measurement {
  std::string name, provenance;
  double time_s = 0, energy_j = 0, avg_power_w = 0, t_begin_s = 0, t_end_s = 0;
  std::map<std::string, double> rails_j;
  size_t samples = 0;
};

class Monitor {
 public:
  Monitor(const std::string& device, double interval_ms, const std::string& sysfs_root) : device_(device) {
    if (!(interval_ms > 0) || interval_ms > 60000)
      throw UsageError("interval_ms must be in (0, 60000], found {}", util::format_number(interval_ms));
    if (util::starts_with(device, "sim:")) {
      sensor_ = std::make_unique<EmulatedIdleSensor>(device::resolve_device(device.substr(4)));
      provenance_ = "emulated";
    } else if (device == "jetson" || util::starts_with(device, "nvml:")) {
      sensor_ = telemetry::open_power_sensor(device, telemetry::SysfsRoot(sysfs_root));
      provenance_ = "measured";
    } else {
      throw UsageError("unknown monitor device '{}': expected jetson, nvml:<index> or sim:<device>", device);
    }
    telemetry::SamplerOptions o;
    o.interval_s = interval_ms / 1000.0;
    o.keep_history = false;  // a long-running monitor keeps only what its open windows need
    sampler_ = std::make_unique<telemetry::PowerSampler>(*sensor_, o);
    sampler_->start();
  }
  ~Monitor() { close(); }

  void close() {
    if (sampler_) sampler_->stop();
  }
  void begin_window(const std::string& name) { sampler_->begin_window(name); }
  Measurement end_window(const std::string& name) {
    telemetry::WindowResult r;
    {
      py::gil_scoped_release release;  // waits for a sample at or after the end
      r = sampler_->end_window(name);
    }
    Measurement m;
    m.name = r.name;
    m.provenance = provenance_;
    m.time_s = r.duration_s;
    m.t_begin_s = r.t_begin_s;
    m.t_end_s = r.t_end_s;
    m.energy_j = r.total_energy_j();
    m.avg_power_w = r.total_mean_power_w();
    m.samples = r.samples;
    for (size_t i = 1; i < r.channels.size(); ++i) m.rails_j[r.channels[i]] = r.energy_j[i];
    return m;
  }
  void cancel_window(const std::string& name) { sampler_->cancel_window(name); }
  telemetry::Sample latest() const {
    py::gil_scoped_release release;
    return sampler_->latest();
  }
  double power_w() const { return latest().power_w.at(0); }
  std::map<std::string, double> rails() const {
    telemetry::Sample s = latest();
    std::map<std::string, double> out;
    for (size_t i = 1; i < sampler_->channels().size() && i < s.power_w.size(); ++i)
      out[sampler_->channels()[i]] = s.power_w[i];
    return out;
  }

  std::string device_, provenance_;
  std::unique_ptr<telemetry::PowerSensor> sensor_;
  std::unique_ptr<telemetry::PowerSampler> sampler_;
};

}  // namespace

void bind_monitor(py::module_& m) {
  py::class_<Measurement>(m, "Measurement", "What end_window() returns: a window's time, energy and mean power.")
      .def_readonly("name", &Measurement::name)
      .def_readonly("time_s", &Measurement::time_s, "duration in seconds")
      .def_readonly("energy_j", &Measurement::energy_j, "board energy in joules (trapezoidal integration)")
      .def_readonly("avg_power_w", &Measurement::avg_power_w, "mean board power in watts")
      .def_readonly("rails_j", &Measurement::rails_j, "energy per power rail in joules (empty on sim:)")
      .def_readonly("samples", &Measurement::samples, "power samples inside the window")
      .def_readonly("t_begin_s", &Measurement::t_begin_s, "begin, time.monotonic() seconds")
      .def_readonly("t_end_s", &Measurement::t_end_s, "end, time.monotonic() seconds")
      .def_readonly("provenance", &Measurement::provenance, "measured (jetson, nvml:N) or emulated (sim:)")
      .def("__repr__", [](const Measurement& x) {
        return fmt::format("Measurement(name='{}', time_s={:.6g}, energy_j={:.6g}, avg_power_w={:.6g}, provenance='{}')",
                           x.name, x.time_s, x.energy_j, x.avg_power_w, x.provenance);
      });

  py::class_<Monitor>(m, "Monitor", R"(Board power sampled by a thread, with named measurement windows.

device: "jetson" (INA3221 rails under sysfs_root), "nvml:<index>" (a discrete GPU) or "sim:<device>" (emulated).
Windows may nest and overlap; end_window() waits for the next sample (without holding the GIL).

    >>> with modewise.Monitor("jetson", interval_ms=10) as mon:
    ...     mon.begin_window("step")
    ...     train_one_step()
    ...     m = mon.end_window("step")
    >>> m.time_s, m.energy_j, m.rails_j, m.provenance
)")
      .def(py::init<const std::string&, double, const std::string&>(), py::arg("device") = "jetson",
           py::arg("interval_ms") = 10.0, py::arg("sysfs_root") = "/")
      .def("begin_window", &Monitor::begin_window, py::arg("name"),
           "Open a window now; beginning a name that is open is a modewise.Error")
      .def("end_window", &Monitor::end_window, py::arg("name"), "Close a window and return its Measurement")
      .def("cancel_window", &Monitor::cancel_window, py::arg("name"), "Close a window without measuring it")
      .def_property_readonly("power_w", &Monitor::power_w, "board power of the latest sample, W")
      .def_property_readonly("rails", &Monitor::rails, "power per rail of the latest sample, W")
      .def_property_readonly("channels", [](const Monitor& x) { return x.sampler_->channels(); })
      .def_property_readonly("sensor", [](const Monitor& x) { return x.sensor_->name(); })
      .def_property_readonly("total_rule", [](const Monitor& x) { return x.sensor_->total_rule(); })
      .def_property_readonly("provenance", [](const Monitor& x) { return x.provenance_; })
      .def_property_readonly("device", [](const Monitor& x) { return x.device_; })
      .def_property_readonly("open_windows", [](const Monitor& x) { return x.sampler_->open_windows(); })
      .def_property_readonly("sample_count", [](const Monitor& x) { return x.sampler_->sample_count(); })
      .def("close", &Monitor::close, "Stop the sampling thread (also done by the with block and on deletion)")
      .def("__enter__", [](Monitor& x) -> Monitor& { return x; }, py::return_value_policy::reference)
      .def("__exit__", [](Monitor& x, py::object, py::object, py::object) { x.close(); });
}

}  // namespace modewise::python
