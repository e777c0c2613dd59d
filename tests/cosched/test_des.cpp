#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "modewise/cosched/des.h"
#include "modewise/util/error.h"

using namespace modewise::cosched;

namespace {
DesConfig config(int b) { return {{100, 30}, {40, 20}, 16, b, 3600}; }
}  // namespace

TEST(CoschedDes, SteadyArrivalsAgreeWithTheFormulas) {
  for (int b : {1, 4, 8}) {
    const double rate = 20;
    DesConfig c = config(b);
    DesResult r = simulate_managed(c, steady_arrivals(rate, c.duration_s));
    Outcome f = evaluate(c.train, c.infer, c.train_batch_size, b, rate);
    EXPECT_LE(r.latency.max_ms, f.latency_ms + 1e-6) << "b=" << b;  // the formula is the worst case
    // The first request of a batch waits for the other b-1, then at most a minibatch, then the batch.
    EXPECT_GE(r.latency.max_ms, (b - 1) / rate * 1000 + c.infer.time_ms - 1e-6) << "b=" << b;
    EXPECT_NEAR(r.duty, f.duty, 0.01 * f.duty) << "b=" << b;
    EXPECT_NEAR(r.train_throughput, f.train_throughput, 0.01 * f.train_throughput) << "b=" << b;
    EXPECT_NEAR(r.avg_power_w, f.power_w, 0.01 * f.power_w) << "b=" << b;
    EXPECT_LE(r.unserved, static_cast<size_t>(b));  // at most a partial batch at the end
  }
}

TEST(CoschedDes, PoissonArrivalsHaveALongerTail) {
  DesConfig c = config(4);
  DesResult steady = simulate_managed(c, steady_arrivals(20, c.duration_s));
  DesResult poisson = simulate_managed(c, poisson_arrivals(20, c.duration_s, 7));
  EXPECT_NEAR(static_cast<double>(poisson.requests), 20 * 3600, 0.02 * 20 * 3600);
  EXPECT_GT(poisson.latency.p99_ms, steady.latency.p99_ms);
  EXPECT_GE(poisson.latency.max_ms, poisson.latency.p99_ms);
  EXPECT_GE(poisson.latency.p99_ms, poisson.latency.p50_ms);
  // Same long-run duty and throughput as the formulas.
  Outcome f = evaluate(c.train, c.infer, 16, 4, 20);
  EXPECT_NEAR(poisson.train_throughput, f.train_throughput, 0.03 * f.train_throughput);
}

TEST(CoschedDes, DeterministicForASeed) {
  EXPECT_EQ(poisson_arrivals(10, 100, 3), poisson_arrivals(10, 100, 3));
  EXPECT_NE(poisson_arrivals(10, 100, 3), poisson_arrivals(10, 100, 4));
}

TEST(CoschedDes, VaryingRateFollowsTheSegments) {
  auto t = varying_poisson_arrivals({{0, 5}, {100, 50}, {200, 0}}, 300, 1);
  size_t first = 0, second = 0, third = 0;
  for (double a : t) (a < 100 ? first : a < 200 ? second : third)++;
  EXPECT_NEAR(static_cast<double>(first), 500, 100);
  EXPECT_NEAR(static_cast<double>(second), 5000, 300);
  EXPECT_EQ(third, 0u);
}

TEST(CoschedDes, TraceFilesInBothForms) {
  auto dir = std::filesystem::temp_directory_path() / ("mw_cosched_trace_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "rate.csv") << "t_s,rate_per_s\n0,10\n50,40\n";
  std::ofstream(dir / "times.csv") << "arrival_s\n0.5\n1.0\n1.25\n9\n";
  std::ofstream(dir / "bad.csv") << "t_s,rate_per_s\n0,10\n0,40\n";
  std::ofstream(dir / "none.csv") << "when,what\n1,2\n";
  ArrivalTrace rate = read_arrival_trace((dir / "rate.csv").string());
  ASSERT_EQ(rate.segments.size(), 2u);
  EXPECT_FALSE(rate.explicit_times());
  ArrivalTrace times = read_arrival_trace((dir / "times.csv").string());
  EXPECT_EQ(trace_arrivals(times, 5, 1), (std::vector<double>{0.5, 1.0, 1.25}));
  EXPECT_THROW(read_arrival_trace((dir / "bad.csv").string()), modewise::Error);
  try {
    read_arrival_trace((dir / "none.csv").string());
    FAIL();
  } catch (const modewise::Error& e) {
    EXPECT_NE(std::string(e.what()).find("t_s"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(CoschedDes, LatencyPercentilesByNearestRank) {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  LatencyStats s = latency_stats(v);
  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.p50_ms, 50);
  EXPECT_EQ(s.p99_ms, 99);
  EXPECT_EQ(s.max_ms, 100);
  EXPECT_DOUBLE_EQ(s.mean_ms, 50.5);
  EXPECT_EQ(latency_stats({}).count, 0u);
}
