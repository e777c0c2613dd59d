#include "modewise/sim/calibration.h"

#include <cmath>

#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::sim {

std::string default_reference_csv() { return std::string(MODEWISE_SOURCE_DIR) + "/data/pagoda-maxn-inference.csv"; }

std::vector<ReferencePoint> read_reference_csv(const std::string& path) {
  util::CsvTable t = util::read_csv_file(path);
  const char* expected = "model,bs,cores,cpu_khz,gpu_hz,mem_hz,observed_time_ms,observed_power_w";
  size_t c_model = t.require_column("model", expected), c_bs = t.require_column("bs", expected),
         c_cores = t.require_column("cores", expected), c_cpu = t.require_column("cpu_khz", expected),
         c_gpu = t.require_column("gpu_hz", expected), c_mem = t.require_column("mem_hz", expected),
         c_time = t.require_column("observed_time_ms", expected),
         c_power = t.require_column("observed_power_w", expected);
  std::vector<ReferencePoint> out;
  for (const auto& row : t.rows) {
    ReferencePoint p;
    p.source = t.where(row);
    p.model = util::trim(row.fields[c_model]);
    try {
      p.workload = canonical_workload(p.model);
    } catch (const UsageError& e) {
      throw Error("{}: field 'model': {}", t.where(row), e.what());
    }
    p.batch_size = static_cast<int>(util::parse_int(row.fields[c_bs], t.where(row, c_bs), "a batch size"));
    p.mode.cores = static_cast<int>(util::parse_int(row.fields[c_cores], t.where(row, c_cores), "a core count"));
    p.mode.cpu_mhz = util::parse_double(row.fields[c_cpu], t.where(row, c_cpu), "a CPU frequency in kHz") / 1e3;
    p.mode.gpu_mhz = util::parse_double(row.fields[c_gpu], t.where(row, c_gpu), "a GPU frequency in Hz") / 1e6;
    p.mode.emc_mhz = util::parse_double(row.fields[c_mem], t.where(row, c_mem), "a memory frequency in Hz") / 1e6;
    p.time_ms = util::parse_double(row.fields[c_time], t.where(row, c_time), "a time in ms");
    p.power_w = util::parse_double(row.fields[c_power], t.where(row, c_power), "a power in W");
    if (p.batch_size < 1 || !(p.time_ms > 0) || !(p.power_w > 0))
      throw Error("{}: expected a positive batch size, time and power", t.where(row));
    // Known glitch (FACTS.md): ResNet-50 batch 32 logged 18.4 W between 53.5 W (batch 16) and 55.4 W (batch 64).
    if (p.workload == "resnet50" && p.batch_size == 32 && p.power_w < 20) {
      p.excluded = true;
      p.note = "power logging glitch in the source";
    }
    out.push_back(p);
  }
  return out;
}

CheckRow check_row(const ReferencePoint& p, const Estimate& e, const Tolerance& tol) {
  CheckRow row;
  row.ref = p;
  row.est = e;
  row.time_err = e.time_ms / p.time_ms - 1.0;
  row.power_err = e.power_w / p.power_w - 1.0;
  row.time_ok = std::abs(row.time_err) <= tol.time;
  row.power_ok = std::abs(row.power_err) <= tol.power;
  return row;
}

void summarize(CheckResult& r) {
  r.checked = r.failed = 0;
  r.time_mape = r.power_mape = r.time_max_err = r.power_max_err = 0;
  for (const auto& row : r.rows) {
    if (row.ref.excluded) continue;
    ++r.checked;
    if (!row.ok()) ++r.failed;
    r.time_mape += std::abs(row.time_err);
    r.power_mape += std::abs(row.power_err);
    r.time_max_err = std::max(r.time_max_err, std::abs(row.time_err));
    r.power_max_err = std::max(r.power_max_err, std::abs(row.power_err));
  }
  if (r.checked) {
    r.time_mape /= r.checked;
    r.power_mape /= r.checked;
  }
}

CheckResult check_against_reference(const device::DeviceSpec& spec, const std::vector<ReferencePoint>& points,
                                    const Tolerance& tol) {
  CheckResult r;
  r.tolerance = tol;
  for (const auto& p : points) {
    device::WorkloadRequest req;
    req.workload = p.workload;
    req.task = "infer";
    req.batch_size = p.batch_size;
    r.rows.push_back(check_row(p, estimate(spec, req, p.mode), tol));
  }
  summarize(r);
  return r;
}

}  // namespace modewise::sim
