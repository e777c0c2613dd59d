// The Fulcrum co-scheduling model: one training job and one inference job share the board by managed
// interleaving (one minibatch at a time). Requests arrive at lambda per second and are batched b at a time;
// a full batch runs as soon as the current training minibatch ends, otherwise training runs. Per request:
//   worst-case latency  = b/lambda + t_T(m) + t_I(m,b)
//   inference duty      d = lambda * t_I(m,b) / b   (must be below 1)
//   average power       = d * p_I(m,b) + (1 - d) * p_T(m)
//   training throughput = B_T * (1 - d) / t_T(m)  samples per second
// The planner maximizes training throughput subject to latency <= L and power <= P.
#pragma once
#include <string>
#include <vector>

namespace modewise::cosched {

// The budgets of one co-scheduling request.
struct Budget {
  double arrival_rate_per_s = 0;  // lambda, inference requests per second
  double latency_ms = 0;          // L, worst-case per-request latency
  double power_w = 0;             // P, average board power
};

// Time and power of one workload at one power mode (a minibatch of training or a batch of inference).
struct TaskPoint {
  double time_ms = 0;
  double power_w = 0;
};

// Everything profiled at one power mode: training at its minibatch size and inference at every candidate
// batch size (in the order of the problem's infer_batch_sizes).
struct ModeProfile {
  TaskPoint train;
  std::vector<TaskPoint> infer;
};

// What the formulas say about running (mode, b) under an arrival rate.
struct Outcome {
  double latency_ms = 0;        // worst case
  double duty = 0;              // share of time running inference
  double power_w = 0;           // average board power
  double train_throughput = 0;  // training samples per second (0 when duty >= 1)
};

Outcome evaluate(const TaskPoint& train, const TaskPoint& infer, int train_batch_size, int infer_batch_size,
                 double arrival_rate_per_s);

// Which constraint an outcome breaks and by how much. Relative excesses are >= 0 (0: constraint met).
struct Violation {
  double latency_excess_ms = 0;
  double power_excess_w = 0;
  double duty_excess = 0;  // duty - 1 when the inference job alone saturates the board (>= 0)
  bool ok() const { return latency_excess_ms <= 0 && power_excess_w <= 0 && duty_excess <= 0; }
  // The largest relative excess over the three constraints (0 when all are met); orders nearest misses.
  double worst_relative(const Budget& budget) const;
  // "power (by 3.2 W)", "latency (by 12.5 ms)", "inference duty (needs 1.3x the board)"; "" when ok.
  std::string describe(const Budget& budget) const;
  // "power", "latency", "duty" (the constraint with the largest relative excess), "" when ok.
  std::string worst_constraint(const Budget& budget) const;
};

// Constraint check with safety factors: the outcome must meet latency * (1 + latency_margin) <= L and
// power * (1 + power_margin) <= P (margins are relative, 0 for exact values).
Violation check(const Outcome& outcome, const Budget& budget, double latency_margin = 0, double power_margin = 0);

// Throws UsageError naming the field for non-positive or non-finite budgets.
void validate_budget(const Budget& budget);

}  // namespace modewise::cosched
