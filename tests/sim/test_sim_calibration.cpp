// The emulator against the reference measurements (AGX Orin, MAXN inference, Pagoda).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "modewise/sim/calibration.h"
#include "modewise/util/error.h"
#include "sim_test_util.h"

namespace modewise::sim {
namespace {

std::string reference() { return std::string(MODEWISE_SOURCE_DIR) + "/data/pagoda-maxn-inference.csv"; }

TEST(SimCalibration, ReadsTheReferenceFileAndFlagsTheGlitch) {
  auto pts = read_reference_csv(reference());
  ASSERT_EQ(pts.size(), 25u);
  int excluded = 0;
  for (const auto& p : pts) {
    EXPECT_TRUE(p.mode == device::builtin_device("orin-agx").maxn()) << p.source;
    if (p.excluded) {
      ++excluded;
      EXPECT_EQ(p.workload, "resnet50");
      EXPECT_EQ(p.batch_size, 32);
      EXPECT_NEAR(p.power_w, 18.355, 1e-9);
    }
  }
  EXPECT_EQ(excluded, 1);
  EXPECT_EQ(pts[10].model, "mobnet");
  EXPECT_EQ(pts[10].workload, "mobilenetv3");
}

TEST(SimCalibration, EveryMaxnPointWithinTolerance) {
  auto res = check_against_reference(testing::orin(), read_reference_csv(reference()));
  EXPECT_EQ(res.checked, 24);
  EXPECT_EQ(res.failed, 0);
  for (const auto& r : res.rows) {
    if (r.ref.excluded) continue;
    EXPECT_LE(std::abs(r.time_err), 0.20) << r.ref.source << " " << r.ref.model << " bs" << r.ref.batch_size;
    EXPECT_LE(std::abs(r.power_err), 0.15) << r.ref.source << " " << r.ref.model << " bs" << r.ref.batch_size;
  }
  EXPECT_LT(res.time_mape, 0.08);
  EXPECT_LT(res.power_mape, 0.08);
}

TEST(SimCalibration, OutOfTolerancePointFails) {
  std::string path = ::testing::TempDir() + "sim_ref_bad.csv";
  {
    std::ofstream f(path);
    f << "model,bs,cores,cpu_khz,gpu_hz,mem_hz,observed_time_ms,observed_power_w\n"
      << "resnet50,16,12,2201600,1300500000,3199000000,51.56,53.54\n"
      << "resnet50,16,12,2201600,1300500000,3199000000,20.0,53.54\n";
  }
  auto res = check_against_reference(testing::orin(), read_reference_csv(path));
  EXPECT_EQ(res.checked, 2);
  EXPECT_EQ(res.failed, 1);
  EXPECT_TRUE(res.rows[0].ok());
  EXPECT_FALSE(res.rows[1].time_ok);
  std::remove(path.c_str());
}

TEST(SimCalibration, BadReferenceRowsNameTheLine) {
  std::string path = ::testing::TempDir() + "sim_ref_unknown.csv";
  {
    std::ofstream f(path);
    f << "model,bs,cores,cpu_khz,gpu_hz,mem_hz,observed_time_ms,observed_power_w\n"
      << "vgg16,16,12,2201600,1300500000,3199000000,51.56,53.54\n";
  }
  try {
    read_reference_csv(path);
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(":2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("vgg16"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace modewise::sim
