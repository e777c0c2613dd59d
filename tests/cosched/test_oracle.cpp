#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cosched/synthetic.h"
#include "modewise/cosched/oracle.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::cosched;

namespace {
const std::string kFixture = std::string(MODEWISE_SOURCE_DIR) + "/tests/fixtures/cosched/orin-agx-resnet50-mobilenetv3.csv";
}

TEST(CoschedLattice, IndexCoordsAndModesRoundTrip) {
  ModeLattice lat(test::synthetic_axes());
  EXPECT_EQ(lat.size(), 3u * 6 * 6 * 3);
  EXPECT_EQ(lat.available_count(), lat.size());
  for (size_t i = 0; i < lat.size(); i += 7) {
    EXPECT_EQ(lat.index(lat.coords(i)), i);
    EXPECT_EQ(lat.find(lat.mode(i)), std::optional<size_t>(i));
  }
  EXPECT_EQ(lat.mode(lat.size() - 1).key(), "12c/2201.6/1300.5/3199");
  EXPECT_FALSE(lat.find({5, 2201.6, 1300.5, 3199}).has_value());
  EXPECT_FALSE(lat.contains({0, 6, 0, 0}));
}

TEST(CoschedOracle, CountsDistinctModes) {
  ModeLattice lat(test::synthetic_axes());
  Workloads w = test::synthetic_workloads();
  int calls = 0;
  ProfileOracle o(lat, w, [&](size_t i) {
    ++calls;
    return test::synthetic_profile(lat.mode(i), w);
  });
  o.measure(3);
  o.measure(5);
  o.measure(3);
  EXPECT_EQ(o.profiled_modes(), 2);
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(o.measured(5));
  EXPECT_EQ(o.find(7), nullptr);
  EXPECT_EQ(o.measured_modes(), (std::vector<size_t>{3, 5}));
}

TEST(CoschedOracle, NoiseIsDeterministicPerModeAndOfTheRightSize) {
  ModeLattice lat(test::synthetic_axes());
  Workloads w = test::synthetic_workloads();
  NoiseModel noise{0.02, 0.02, 11};
  ProfileOracle a(lat, w, test::synthetic_source(lat, w), noise), b(lat, w, test::synthetic_source(lat, w), noise);
  b.measure(40);  // a different order must not change what a mode reads
  for (size_t i = 0; i < lat.size(); ++i) a.measure(i);
  EXPECT_DOUBLE_EQ(a.find(40)->train.time_ms, b.find(40)->train.time_ms);
  double sum = 0, sq = 0;
  for (size_t i = 0; i < lat.size(); ++i) {
    const double r = a.find(i)->train.power_w / test::synthetic_profile(lat.mode(i), w).train.power_w - 1;
    sum += r, sq += r * r;
  }
  const double n = static_cast<double>(lat.size()), sd = std::sqrt(sq / n - (sum / n) * (sum / n));
  EXPECT_NEAR(sd, 0.02, 0.005);
  EXPECT_NEAR(sum / n, 0.0, 0.005);
}

TEST(CoschedReplay, LoadsBothWorkloadsFromOneFile) {
  ReplayProblem rp = load_replay(kFixture, {"resnet50", "mobilenetv3", 16, {1, 4, 16, 32, 64}}, false, false);
  EXPECT_EQ(rp.device, "orin-agx");
  EXPECT_EQ(rp.lattice.available_count(), 24u);
  EXPECT_EQ(rp.workloads.infer_batch_sizes, (std::vector<int>{1, 4, 16}));  // what the file has
  auto i = rp.lattice.find({12, 2201.6, 1300.5, 3199});
  ASSERT_TRUE(i.has_value());
  const ModeProfile& p = (*rp.table)[*i];
  EXPECT_GT(p.train.time_ms, 0);
  ASSERT_EQ(p.infer.size(), 3u);
  EXPECT_LT(p.infer[0].time_ms, p.infer[2].time_ms);
}

TEST(CoschedReplay, MissingRowsAreClearErrors) {
  try {
    load_replay(kFixture, {"resnet50", "mobilenetv3", 16, {1, 64}}, false, true);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("batch size 64"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_replay(kFixture, {"resnet50", "bert-base", 16, {1}}, false, false), Error);
  EXPECT_THROW(load_replay(kFixture, {"resnet50", "mobilenetv3", 32, {1}}, true, false), Error);
  // An implicit training batch size falls back to the file's only one.
  EXPECT_EQ(load_replay(kFixture, {"resnet50", "mobilenetv3", 32, {1}}, false, false).workloads.train_batch_size, 16);
}

TEST(CoschedProblem, DevicesAndErrors) {
  Problem sim = open_problem("sim:orin-agx", {"resnet50", "mobilenetv3", 16, {1, 4}}, "");
  EXPECT_EQ(sim.grid, "fulcrum");
  EXPECT_EQ(sim.lattice.available_count(), 441u);
  EXPECT_FALSE(sim.replayed);
  Problem bare = open_problem("orin-agx", {"resnet50", "mobilenetv3", 16, {1}}, "powertrain");
  EXPECT_EQ(bare.lattice.available_count(), 4368u);
  Problem rep = open_problem("replay:" + kFixture, {"resnet50", "mobilenetv3", 16, {1, 4, 16}}, "");
  EXPECT_TRUE(rep.replayed);
  EXPECT_THROW(open_problem("jetson", {"resnet50", "mobilenetv3", 16, {1}}, ""), UsageError);
  EXPECT_THROW(open_problem("sim:orin-agx", {"resnet50", "nope", 16, {1}}, ""), UsageError);
  EXPECT_THROW(open_problem("sim:orin-agx", {"resnet50", "lstm", 16, {0}}, ""), UsageError);
  EXPECT_THROW(open_problem("replay:" + kFixture, {"resnet50", "mobilenetv3", 16, {1}}, "fulcrum"), UsageError);
}
