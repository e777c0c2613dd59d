#include "modewise/cosched/model.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "modewise/util/error.h"

namespace modewise::cosched {

Outcome evaluate(const TaskPoint& train, const TaskPoint& infer, int train_batch_size, int infer_batch_size,
                 double arrival_rate_per_s) {
  MW_CHECK(infer_batch_size > 0 && train_batch_size > 0 && arrival_rate_per_s > 0);
  Outcome o;
  const double b = infer_batch_size;
  o.latency_ms = b / arrival_rate_per_s * 1000.0 + train.time_ms + infer.time_ms;
  o.duty = arrival_rate_per_s * (infer.time_ms / 1000.0) / b;
  const double d = std::min(o.duty, 1.0);
  o.power_w = d * infer.power_w + (1.0 - d) * train.power_w;
  o.train_throughput = o.duty < 1.0 ? train_batch_size * (1.0 - o.duty) / (train.time_ms / 1000.0) : 0.0;
  return o;
}

Violation check(const Outcome& o, const Budget& budget, double latency_margin, double power_margin) {
  Violation v;
  v.latency_excess_ms = std::max(0.0, o.latency_ms * (1.0 + latency_margin) - budget.latency_ms);
  v.power_excess_w = std::max(0.0, o.power_w * (1.0 + power_margin) - budget.power_w);
  v.duty_excess = o.duty >= 1.0 ? o.duty - 1.0 + 1e-12 : 0.0;
  return v;
}

double Violation::worst_relative(const Budget& budget) const {
  return std::max({latency_excess_ms / budget.latency_ms, power_excess_w / budget.power_w, duty_excess});
}

std::string Violation::worst_constraint(const Budget& budget) const {
  if (ok()) return "";
  const double lat = latency_excess_ms / budget.latency_ms, pow = power_excess_w / budget.power_w;
  if (duty_excess >= lat && duty_excess >= pow) return "duty";
  return lat >= pow ? "latency" : "power";
}

std::string Violation::describe(const Budget& budget) const {
  const std::string c = worst_constraint(budget);
  if (c == "latency") return fmt::format("latency (by {:.1f} ms)", latency_excess_ms);
  if (c == "power") return fmt::format("power (by {:.2f} W)", power_excess_w);
  if (c == "duty") return fmt::format("inference duty (needs {:.2f}x the board's time)", 1.0 + duty_excess);
  return "";
}

void validate_budget(const Budget& b) {
  auto positive = [](double v, const char* name) {
    if (!(std::isfinite(v) && v > 0)) throw UsageError("{} must be a positive number, found {}", name, v);
  };
  positive(b.arrival_rate_per_s, "--arrival-rate");
  positive(b.latency_ms, "--latency-ms");
  positive(b.power_w, "--power-w");
}

}  // namespace modewise::cosched
