// NVML through dlopen: the real driver where one exists (skipped otherwise), a stand-in library for the logic.
#include <gtest/gtest.h>

#include <cstdlib>

#include "modewise/telemetry/nvml.h"

using namespace modewise;
using namespace modewise::telemetry;

TEST(Nvml, RealDriverWhenPresent) {
  std::shared_ptr<Nvml> nvml;
  try {
    nvml = Nvml::load("libnvidia-ml.so.1");
  } catch (const NvmlError& e) {
    GTEST_SKIP() << "no NVIDIA driver here: " << e.what();
  }
  ASSERT_GT(nvml->device_count(), 0u);
  auto dev = nvml->device(0);
  EXPECT_FALSE(dev.name().empty());
  EXPECT_GT(dev.power_w(), 0);
  EXPECT_GT(dev.clock_mhz(NvmlClock::memory), 0);
}

TEST(Nvml, MissingLibraryIsATypedError) {
  try {
    Nvml::load("/nonexistent/libnvidia-ml.so.1");
    FAIL();
  } catch (const NvmlError& e) {
    EXPECT_EQ(e.kind(), NvmlErrorKind::library_not_found);
    EXPECT_NE(std::string(e.what()).find("cannot load NVML"), std::string::npos);
  }
}

#ifdef MODEWISE_FAKE_NVML
TEST(Nvml, StandInLibraryReadsPowerEnergyAndClocks) {
  auto nvml = Nvml::load(MODEWISE_FAKE_NVML);
  EXPECT_EQ(nvml->device_count(), 1u);
  auto dev = nvml->device(0);
  EXPECT_EQ(dev.name(), "Fake GPU");
  EXPECT_DOUBLE_EQ(dev.power_w(), 123.456);
  double e0 = dev.total_energy_j();
  EXPECT_DOUBLE_EQ(dev.total_energy_j() - e0, 1.0);
  EXPECT_DOUBLE_EQ(dev.clock_mhz(NvmlClock::graphics), 1410);
  EXPECT_EQ(dev.supported_memory_clocks_mhz(), (std::vector<double>{1593, 810}));
  EXPECT_EQ(dev.supported_graphics_clocks_mhz(1593).size(), 4u);
  EXPECT_DOUBLE_EQ(dev.gpu_utilization(), 0.42);
  try {
    nvml->device(3);
    FAIL();
  } catch (const NvmlError& e) {
    EXPECT_EQ(e.kind(), NvmlErrorKind::invalid_argument);
  }
  ::unsetenv("FAKE_NVML_ALLOW_SET");
  try {
    dev.lock_gpu_clocks(900, 900);
    FAIL();
  } catch (const NvmlError& e) {
    EXPECT_EQ(e.kind(), NvmlErrorKind::no_permission);
    EXPECT_NE(std::string(e.what()).find("needs root"), std::string::npos);
  }
  auto sensor = make_nvml_sensor(nvml, 0);
  auto r = sensor->read(0);
  EXPECT_EQ(sensor->channels(), std::vector<std::string>{"total"});
  EXPECT_DOUBLE_EQ(r.power_w.at(0), 123.456);
  EXPECT_GT(r.counter_energy_j, 0);
}

TEST(Nvml, InitFailureIsTyped) {
  ::setenv("FAKE_NVML_INIT_FAILS", "1", 1);
  try {
    Nvml::load(MODEWISE_FAKE_NVML);
    ADD_FAILURE();
  } catch (const NvmlError& e) {
    EXPECT_EQ(e.kind(), NvmlErrorKind::driver_not_loaded);
    EXPECT_NE(std::string(e.what()).find("Driver Not Loaded"), std::string::npos);
  }
  ::unsetenv("FAKE_NVML_INIT_FAILS");
}
#endif
