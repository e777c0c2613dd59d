// The jetson and nvml backends end to end on fake hardware.
#include <gtest/gtest.h>

#include <cstdlib>

#include "control/fake_sysfs.h"
#include "modewise/control/jetson_backend.h"
#include "modewise/control/state_file.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::control;
using modewise::testing::Board;
using modewise::testing::FakeSysfs;
using modewise::testing::TempDir;

TEST(JetsonBackend, AppliesRunsTheUsersCommandAndRestores) {
  FakeSysfs fake(Board::orin_agx_jp6);
  TempDir state;
  JetsonOptions o;
  o.sysfs_root = fake.root();
  o.state_dir = state.path();
  o.settle_s = 0;
  std::string log;
  o.log = [&](const std::string& m) { log += m + "\n"; };
  fake.set_rail_mw("VDD_GPU_SOC", 9000);
  fake.set_rail_mw("VIN_SYS_5V0", 4000);
  std::string gpu_max = "/sys/devices/platform/bus@0/17000000.gpu/devfreq/17000000.gpu/max_freq";
  {
    auto backend = make_jetson_backend(o);
    EXPECT_EQ(backend->name(), "jetson");
    EXPECT_EQ(backend->provenance(), device::Provenance::measured);
    EXPECT_EQ(backend->spec().name, "orin-agx");
    EXPECT_EQ(backend->spec().gpu_mhz.size(), 13u);
    backend->apply({8, 1497.6, 624.75, 2133});
    EXPECT_EQ(fake.read(gpu_max), "624750000");
    EXPECT_EQ(backend->current_mode(), (device::PowerMode{8, 1497.6, 624.75, 2133}));
    device::WorkloadRequest w;
    w.workload = "mine";
    EXPECT_THROW(backend->run(w, 3), Error);  // no command
    w.command =
        "for i in 1 2 3 4 5 6; do printf 'mb_begin\\nfetch_end\\n'; sleep 0.02; printf 'mb_end\\n'; done "
        "> \"$MODEWISE_PIPE\"";
    auto trace = backend->run(w, 4);
    EXPECT_EQ(trace.minibatches.size(), 4u);
    ASSERT_FALSE(trace.power.empty());
    EXPECT_NEAR(trace.power.front().power_w, 13.0, 1e-9);  // sum of rails on AGX Orin
    EXPECT_NEAR(trace.extra.at("power_VDD_GPU_SOC_w"), 9.0, 1e-9);
  }
  EXPECT_EQ(fake.read(gpu_max), "1300500000");  // restored when the backend went away
  EXPECT_TRUE(std::filesystem::is_empty(state.path()));
}

TEST(JetsonBackend, ThorRunUsesTheIna238VinAsTheTotalAndSaysSo) {
  FakeSysfs fake(Board::thor_jp7);
  TempDir state;
  JetsonOptions o;
  o.sysfs_root = fake.root();
  o.state_dir = state.path();
  fake.set_rail_mw("VIN", 60000);
  fake.set_rail_mw("VDD_GPU", 25000);
  auto backend = make_jetson_backend(o);
  EXPECT_EQ(backend->total_rule(), "input rail VIN");
  EXPECT_EQ(backend->spec().gpu_mhz.back(), 1575);
  device::WorkloadRequest w;
  w.command = "printf 'mb 0 5\\nmb 0 5\\n' > \"$MODEWISE_PIPE\"";
  backend->apply(backend->spec().maxn());
  auto trace = backend->run(w, 2);
  ASSERT_FALSE(trace.power.empty());
  EXPECT_NEAR(trace.power[0].power_w, 60.0, 1e-9);  // VIN, sub-rails not added
}

TEST(JetsonBackend, OptionsFromEnvironment) {
  ::setenv("MODEWISE_SETTLE_S", "0.5", 1);
  ::setenv("MODEWISE_SAMPLE_INTERVAL_MS", "2", 1);
  ::setenv("MODEWISE_STATE_DIR", "/somewhere", 1);
  auto o = JetsonOptions::from_env("/root");
  EXPECT_DOUBLE_EQ(o.settle_s, 0.5);
  EXPECT_DOUBLE_EQ(o.sample_interval_s, 0.002);
  EXPECT_EQ(o.state_dir, "/somewhere");
  EXPECT_EQ(StateStore::default_dir(), "/somewhere");
  ::setenv("MODEWISE_SETTLE_S", "-1", 1);
  EXPECT_THROW(JetsonOptions::from_env("/"), Error);
  ::unsetenv("MODEWISE_SETTLE_S");
  ::unsetenv("MODEWISE_SAMPLE_INTERVAL_MS");
  ::unsetenv("MODEWISE_STATE_DIR");
}

#ifdef MODEWISE_FAKE_NVML
TEST(NvmlBackend, ReadsWithoutWritesAndLocksClocksOnlyWhenAllowed) {
  ::setenv("MODEWISE_NVML_LIBRARY", MODEWISE_FAKE_NVML, 1);
  NvmlOptions o;
  o.index = 0;
  {
    auto b = make_nvml_backend(o);
    EXPECT_EQ(b->name(), "nvml:0");
    EXPECT_EQ(b->spec().gpu_mhz, (std::vector<double>{600, 900, 1200, 1410}));
    EXPECT_EQ(b->spec().emc_mhz, (std::vector<double>{810, 1593}));
    device::PowerMode now = b->current_mode();
    EXPECT_DOUBLE_EQ(now.gpu_mhz, 1410);
    b->apply(now);  // the current clocks: nothing to write
    device::PowerMode other = now;
    other.gpu_mhz = 900;
    try {
      b->apply(other);
      FAIL();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("MODEWISE_NVML_ALLOW_WRITES=1"), std::string::npos) << e.what();
    }
    device::WorkloadRequest w;
    w.command = "printf 'mb 0 5\\nmb 0 5\\n' > \"$MODEWISE_PIPE\"";
    auto trace = b->run(w, 2);
    EXPECT_EQ(trace.minibatches.size(), 2u);
    ASSERT_FALSE(trace.power.empty());
    EXPECT_DOUBLE_EQ(trace.power[0].power_w, 123.456);
    EXPECT_GT(trace.extra.at("nvml_counter_energy_j"), 0);
    EXPECT_DOUBLE_EQ(trace.gpu_util, 0.42);
  }
  ::setenv("FAKE_NVML_ALLOW_SET", "1", 1);
  o.allow_writes = true;
  {
    auto b = make_nvml_backend(o);
    device::PowerMode m = b->current_mode();
    m.gpu_mhz = 900;
    m.emc_mhz = 810;
    b->apply(m);
    EXPECT_DOUBLE_EQ(b->current_mode().gpu_mhz, 900);
  }
  ::unsetenv("FAKE_NVML_ALLOW_SET");
  ::unsetenv("MODEWISE_NVML_LIBRARY");
}

TEST(NvmlBackend, NvmlOnAJetsonAnsweringNotSupportedPointsToTheJetsonBackend) {
  ::setenv("MODEWISE_NVML_LIBRARY", MODEWISE_FAKE_NVML, 1);
  ::setenv("FAKE_NVML_JETSON", "1", 1);
  NvmlOptions o;
  try {
    make_nvml_backend(o);
    ADD_FAILURE() << "NVML answering NotSupported was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("NotSupported for the GPU clocks"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--device jetson"), std::string::npos) << e.what();
  }
  ::unsetenv("FAKE_NVML_JETSON");
  ::unsetenv("MODEWISE_NVML_LIBRARY");
}
#endif
