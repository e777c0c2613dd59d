// A discrete-event simulator of managed interleaving (the policy of model.h): requests arrive (steady,
// Poisson, or trace-driven with a time-varying rate), wait until b of them are queued, and the full batch
// runs as soon as the current training minibatch ends; otherwise the executor runs training minibatches.
// Reports latency percentiles, training throughput and average power. For steady arrivals it agrees with
// the formulas in model.h (tested).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "modewise/cosched/model.h"

namespace modewise::cosched {

// Arrival times in seconds, ascending.
std::vector<double> steady_arrivals(double rate_per_s, double duration_s);
std::vector<double> poisson_arrivals(double rate_per_s, double duration_s, uint64_t seed);

// A piecewise-constant arrival rate: from start_s on, rate_per_s (until the next segment).
struct RateSegment {
  double start_s = 0;
  double rate_per_s = 0;
};
// Non-homogeneous Poisson arrivals following the segments (by thinning); the last segment lasts to duration_s.
std::vector<double> varying_poisson_arrivals(const std::vector<RateSegment>& segments, double duration_s,
                                             uint64_t seed);

// An arrival trace file: either columns t_s,rate_per_s (a piecewise-constant rate) or a column arrival_s
// (explicit request times). Throws Error naming file:line.
struct ArrivalTrace {
  std::vector<RateSegment> segments;  // rate form
  std::vector<double> arrivals_s;     // explicit form
  bool explicit_times() const { return !arrivals_s.empty(); }
};
ArrivalTrace read_arrival_trace(const std::string& path);
// The arrivals of a trace within [0, duration_s) (explicit times as they are, rates by thinning).
std::vector<double> trace_arrivals(const ArrivalTrace& trace, double duration_s, uint64_t seed);

struct LatencyStats {
  size_t count = 0;
  double mean_ms = 0, sd_ms = 0, p50_ms = 0, p99_ms = 0, max_ms = 0;
};
LatencyStats latency_stats(std::vector<double> latencies_ms);  // nearest-rank percentiles; zeros when empty

struct DesConfig {
  TaskPoint train;
  TaskPoint infer;
  int train_batch_size = 16;
  int infer_batch_size = 1;
  double duration_s = 60;  // simulated time; requests still queued at the end are reported as unserved
};

struct DesResult {
  LatencyStats latency;
  double train_throughput = 0;  // training samples per second of simulated time
  double avg_power_w = 0;
  double duty = 0;  // share of time running inference
  size_t requests = 0, served = 0, unserved = 0;
  size_t train_minibatches = 0, infer_batches = 0;
  double simulated_s = 0;
};

DesResult simulate_managed(const DesConfig& config, const std::vector<double>& arrivals_s);

}  // namespace modewise::cosched
