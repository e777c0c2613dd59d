#include "modewise/cosched/des.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::cosched {

std::vector<double> steady_arrivals(double rate, double duration_s) {
  MW_CHECK(rate > 0);
  std::vector<double> t;
  for (size_t k = 0;; ++k) {
    const double at = k / rate;
    if (at >= duration_s) break;
    t.push_back(at);
  }
  return t;
}

std::vector<double> poisson_arrivals(double rate, double duration_s, uint64_t seed) {
  return varying_poisson_arrivals({{0.0, rate}}, duration_s, seed);
}

std::vector<double> varying_poisson_arrivals(const std::vector<RateSegment>& segments, double duration_s,
                                             uint64_t seed) {
  std::vector<double> t;
  if (segments.empty()) return t;
  double max_rate = 0;
  for (const auto& s : segments) max_rate = std::max(max_rate, s.rate_per_s);
  if (max_rate <= 0) return t;
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> gap(max_rate);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  size_t seg = 0;
  for (double now = gap(rng); now < duration_s; now += gap(rng)) {
    while (seg + 1 < segments.size() && segments[seg + 1].start_s <= now) ++seg;
    const double rate = now < segments[seg].start_s ? 0.0 : segments[seg].rate_per_s;
    if (u(rng) * max_rate < rate) t.push_back(now);  // thinning
  }
  return t;
}

ArrivalTrace read_arrival_trace(const std::string& path) {
  util::CsvTable csv = util::read_csv_file(path);
  ArrivalTrace trace;
  if (auto col = csv.column("arrival_s")) {
    double last = -1;
    for (const auto& r : csv.rows) {
      double t = util::parse_double(r.fields[*col], csv.where(r, *col), "a time in seconds");
      if (t < 0 || t < last) throw Error("{}: arrival times must be >= 0 and ascending", csv.where(r, *col));
      trace.arrivals_s.push_back(last = t);
    }
    if (trace.arrivals_s.empty()) throw Error("{}: no arrivals", path);
    return trace;
  }
  const char* expected = "either t_s,rate_per_s (a piecewise-constant rate) or arrival_s (request times)";
  size_t tc = csv.require_column("t_s", expected), rc = csv.require_column("rate_per_s", expected);
  double last = -1;
  for (const auto& r : csv.rows) {
    RateSegment s{util::parse_double(r.fields[tc], csv.where(r, tc), "a time in seconds"),
                  util::parse_double(r.fields[rc], csv.where(r, rc), "a rate per second")};
    if (s.start_s < 0 || s.start_s <= last) throw Error("{}: t_s must be >= 0 and increasing", csv.where(r, tc));
    if (s.rate_per_s < 0) throw Error("{}: rate_per_s must be >= 0", csv.where(r, rc));
    last = s.start_s;
    trace.segments.push_back(s);
  }
  if (trace.segments.empty()) throw Error("{}: no rate segments", path);
  return trace;
}

std::vector<double> trace_arrivals(const ArrivalTrace& trace, double duration_s, uint64_t seed) {
  if (!trace.explicit_times()) return varying_poisson_arrivals(trace.segments, duration_s, seed);
  std::vector<double> t;
  for (double a : trace.arrivals_s)
    if (a < duration_s) t.push_back(a);
  return t;
}

LatencyStats latency_stats(std::vector<double> v) {
  LatencyStats s;
  s.count = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(std::ceil(q * v.size())) - 1)]; };
  double sum = 0, sq = 0;
  for (double x : v) sum += x;
  s.mean_ms = sum / v.size();
  for (double x : v) sq += (x - s.mean_ms) * (x - s.mean_ms);
  s.sd_ms = v.size() > 1 ? std::sqrt(sq / (v.size() - 1)) : 0.0;
  s.p50_ms = rank(0.50);
  s.p99_ms = rank(0.99);
  s.max_ms = v.back();
  return s;
}

DesResult simulate_managed(const DesConfig& c, const std::vector<double>& arrivals) {
  MW_CHECK(c.infer_batch_size > 0 && c.train.time_ms > 0 && c.infer.time_ms > 0 && c.duration_s > 0);
  DesResult r;
  r.requests = arrivals.size();
  const double t_train = c.train.time_ms / 1000.0, t_infer = c.infer.time_ms / 1000.0;
  const size_t b = static_cast<size_t>(c.infer_batch_size);
  std::vector<double> latencies_ms;
  latencies_ms.reserve(arrivals.size());
  double now = 0, energy_j = 0, infer_s = 0;
  size_t head = 0;  // first request not yet served
  while (now < c.duration_s) {
    // Requests arrived by now: [head, arrived).
    const size_t arrived = std::upper_bound(arrivals.begin(), arrivals.end(), now) - arrivals.begin();
    if (arrived - head >= b) {
      const double end = now + t_infer;
      for (size_t k = head; k < head + b; ++k) latencies_ms.push_back((end - arrivals[k]) * 1000.0);
      head += b;
      now = end;
      energy_j += t_infer * c.infer.power_w;
      infer_s += t_infer;
      ++r.infer_batches;
    } else {
      now += t_train;
      energy_j += t_train * c.train.power_w;
      ++r.train_minibatches;
    }
  }
  r.simulated_s = now;
  r.served = head;
  r.unserved = arrivals.size() - head;
  r.latency = latency_stats(std::move(latencies_ms));
  r.train_throughput = r.train_minibatches * static_cast<double>(c.train_batch_size) / now;
  r.avg_power_w = energy_j / now;
  r.duty = infer_s / now;
  return r;
}

}  // namespace modewise::cosched
