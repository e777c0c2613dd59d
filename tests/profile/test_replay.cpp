#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "modewise/profile/backends.h"
#include "modewise/profile/campaign.h"
#include "modewise/profile/replay.h"
#include "modewise/profile/warmup.h"
#include "modewise/util/error.h"
#include "control/fake_sysfs.h"

using namespace modewise;
using profile::ReplayBackend;
using modewise::testing::TempDir;

namespace {

const std::string kPagoda = std::string(MODEWISE_SOURCE_DIR) + "/tests/fixtures/replay/pagoda_maxn_inference.csv";

device::WorkloadRequest request(const std::string& w, const std::string& task, int bs) {
  device::WorkloadRequest r;
  r.workload = w;
  r.task = task;
  r.batch_size = bs;
  return r;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Replay, RunGivesBackTheRecordingExactly) {
  ReplayBackend b(kPagoda);
  EXPECT_EQ(b.provenance(), device::Provenance::replayed);
  EXPECT_EQ(b.name(), "replay:" + kPagoda);
  EXPECT_EQ(b.spec().name, "orin-agx");  // the file's device column, a built-in device
  EXPECT_FALSE(b.spec_is_derived());
  b.apply(b.spec().maxn());
  auto trace = b.run(request("resnet50", "infer", 16), 50);
  ASSERT_EQ(trace.minibatches.size(), 50u);
  // fixture line: orin-agx,resnet50,infer,16,...,51.561440,53.5410 (Pagoda, AGX Orin at MAXN, measured)
  for (const auto& mb : trace.minibatches) EXPECT_DOUBLE_EQ(mb.time_ms, 51.56144);
  auto s = profile::summarize_run(trace, 40);
  EXPECT_DOUBLE_EQ(s.time_ms, 51.56144);
  EXPECT_DOUBLE_EQ(s.power_w, 53.541);
  EXPECT_DOUBLE_EQ(s.time_sd_ms, 0);
  EXPECT_EQ(s.samples, 40);
  EXPECT_EQ(s.warmup_minibatches, 0);
}

TEST(Replay, MatchesWorkloadTaskAndBatchSize) {
  ReplayBackend b(kPagoda);
  b.apply(b.spec().maxn());
  double t1 = b.run(request("yolov8n", "infer", 1), 2).minibatches[0].time_ms;
  double t64 = b.run(request("yolov8n", "infer", 64), 2).minibatches[0].time_ms;
  EXPECT_LT(t1, t64);
  EXPECT_EQ(b.modes_for(request("lstm", "infer", 4)).size(), 1u);
  EXPECT_EQ(b.rows_for(request("MOBNET", "infer", 32)).size(), 1u);  // case-insensitive names
}

TEST(Replay, MissingWorkloadNamesTheFileAndWhatItHas) {
  ReplayBackend b(kPagoda);
  b.apply(b.spec().maxn());
  std::string msg = error_of([&] { b.run(request("resnet18", "infer", 16), 5); });
  EXPECT_NE(msg.find(kPagoda), std::string::npos) << msg;
  EXPECT_NE(msg.find("resnet18"), std::string::npos) << msg;
  EXPECT_NE(msg.find("resnet50/infer/bs16"), std::string::npos) << msg;  // what the file has
  EXPECT_NE(error_of([&] { b.run(request("resnet50", "train", 16), 5); }), "");
  EXPECT_NE(error_of([&] { b.run(request("resnet50", "infer", 32), 5); }), "");  // the excluded glitch row
}

TEST(Replay, MissingModeNamesTheFileTheModeAndTheNearestItHas) {
  ReplayBackend b(kPagoda);
  device::PowerMode m30{8, 1728.0, 612.0, 3199};
  std::string msg = error_of([&] { b.apply(m30); });
  EXPECT_NE(msg.find(kPagoda), std::string::npos) << msg;
  EXPECT_NE(msg.find(m30.key()), std::string::npos) << msg;
  EXPECT_NE(msg.find("12c/2201.6/1300.5/3199"), std::string::npos) << msg;
}

TEST(Replay, ModeMissingForOneWorkloadOnly) {
  TempDir d;
  auto f = d.write("two.csv",
                   "workload,task,batch_size,cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w\n"
                   "a,train,16,4,1000,500,2000,10,5\n"
                   "a,train,16,8,1000,500,2000,8,6\n"
                   "b,train,16,4,1000,500,2000,20,7\n");
  ReplayBackend b(f);
  EXPECT_TRUE(b.spec_is_derived());
  b.apply({8, 1000, 500, 2000});
  EXPECT_DOUBLE_EQ(b.run(request("a", "train", 16), 1).minibatches[0].time_ms, 8);
  std::string msg = error_of([&] { b.run(request("b", "train", 16), 1); });
  EXPECT_NE(msg.find("8c/1000/500/2000"), std::string::npos) << msg;
  EXPECT_NE(msg.find("workload 'b'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("4c/1000/500/2000"), std::string::npos) << msg;  // what it has for b
}

TEST(Replay, FileWithOnlyModeColumnsAnswersAnyWorkloadAndDerivesASpec) {
  TempDir d;
  auto f = d.write("bare.csv",
                   "cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w,stall_fraction,gpu_util\n"
                   "2,729.6,318.75,665.6,120,9,0.5,0.4\n"
                   "6,1510.4,624.75,2133,40,14,0.1,0.9\n");
  ReplayBackend b(f);
  EXPECT_TRUE(b.spec_is_derived());
  EXPECT_EQ(b.spec().name, "replay");
  EXPECT_EQ(b.spec().cpu_cores(), 6);
  EXPECT_EQ(b.spec().min_cores, 2);
  EXPECT_EQ(b.spec().gpu_mhz, (std::vector<double>{318.75, 624.75}));
  EXPECT_EQ(b.spec().maxn(), (device::PowerMode{6, 1510.4, 624.75, 2133}));
  b.apply({2, 729.6, 318.75, 665.6});
  auto t = b.run(request("anything", "train", 8), 3);
  EXPECT_DOUBLE_EQ(t.minibatches[0].fetch_ms, 60);
  EXPECT_DOUBLE_EQ(t.gpu_util, 0.4);
  auto s = profile::summarize_run(t, 40);
  EXPECT_DOUBLE_EQ(s.stall_fraction, 0.5);
  EXPECT_DOUBLE_EQ(s.power_w, 9);
}

TEST(Replay, UnknownOrMismatchedDeviceGivesADerivedSpecNamedAfterIt) {
  TempDir d;
  auto f = d.write("custom.csv",
                   "device,cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w\n"
                   "orin-agx,12,2201.6,1300.5,3199,10,50\n"
                   "orin-agx,12,2201.6,306,3199,30,20\n");  // a JetPack 5.1 GPU ladder value
  ReplayBackend b(f);
  EXPECT_TRUE(b.spec_is_derived());
  EXPECT_EQ(b.spec().name, "orin-agx");
  EXPECT_EQ(b.spec().gpu_mhz, (std::vector<double>{306, 1300.5}));
}

TEST(Replay, DuplicateRowsForOneModeAreAnErrorNamingBothLines) {
  TempDir d;
  auto f = d.write("dup.csv",
                   "cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w\n"
                   "4,1000,500,2000,10,5\n"
                   "4,1000,500,2000,11,5\n");
  // Up front, when the file is opened (profile_validator.h), not when a campaign reaches that mode.
  std::string msg = error_of([&] { ReplayBackend b(f); });
  EXPECT_NE(msg.find(f + ":3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 2"), std::string::npos) << msg;
}

TEST(Replay, ModesImpossibleOnTheNamedDeviceAreRejectedUpFront) {
  TempDir d;
  auto cores = d.write("cores.csv", "device,cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w\n"
                                    "orin-agx,99,2201.6,1300.5,3199,10,50\n");
  std::string msg = error_of([&] { ReplayBackend b(cores); });
  EXPECT_NE(msg.find(cores + ":2: field 'cores'"), std::string::npos) << msg;
  auto clock = d.write("clock.csv", "device,cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w\n"
                                    "orin-agx,12,2201.6,5000,3199,10,50\n");
  msg = error_of([&] { ReplayBackend b(clock); });
  EXPECT_NE(msg.find(clock + ":2: field 'gpu_mhz'"), std::string::npos) << msg;
}

TEST(Replay, MalformedFilesNameFileLineAndField) {
  TempDir d;
  auto bad_number = d.write("bad.csv", "cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w\n4,1000,500,2000,10,5\n"
                                       "4,1000,500,3000,fast,5\n");
  std::string msg = error_of([&] { ReplayBackend b(bad_number); });
  EXPECT_NE(msg.find(bad_number + ":3: field 'time_ms'"), std::string::npos) << msg;
  auto missing = d.write("missing.csv", "cores,cpu_mhz,gpu_mhz,time_ms,power_w\n4,1000,500,10,5\n");
  msg = error_of([&] { ReplayBackend b(missing); });
  EXPECT_NE(msg.find("missing column 'emc_mhz'"), std::string::npos) << msg;
  auto ragged = d.write("ragged.csv", "cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w\n4,1000,500,2000,10\n");
  msg = error_of([&] { ReplayBackend b(ragged); });
  EXPECT_NE(msg.find(ragged + ":2"), std::string::npos) << msg;
  msg = error_of([&] { ReplayBackend b(d.file("nope.csv")); });
  EXPECT_NE(msg.find("nope.csv"), std::string::npos) << msg;
}

TEST(Replay, OpenBackendKnowsReplay) {
  auto b = profile::open_backend("replay:" + kPagoda, {});
  EXPECT_EQ(b->provenance(), device::Provenance::replayed);
  EXPECT_THROW(profile::open_backend("replay:", {}), UsageError);
}

TEST(Replay, CampaignOverAReplayReproducesTheFile) {
  TempDir d;
  auto f = d.write("p.csv",
                   "device,workload,task,batch_size,cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w\n"
                   "orin-agx,resnet50,train,16,4,729.6,318.75,665.6,410.5,11.25\n"
                   "orin-agx,resnet50,train,16,12,2201.6,1300.5,3199,95.75,41.5\n"
                   "orin-agx,resnet50,train,16,8,1344,930.75,2133,150.125,27\n");
  ReplayBackend b(f);
  profile::CampaignSpec spec;
  spec.backend = b.name();
  spec.device = b.spec().name;
  spec.provenance = "replayed";
  spec.workload = request("resnet50", "train", 16);
  spec.modes = b.modes_for(spec.workload);
  profile::MemoryCampaignLog log;
  auto out = profile::run_campaign(b, spec, log);
  auto original = profile::read_profile_csv(f);
  ASSERT_EQ(out.rows.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(out.rows[i].mode, original.rows[i].mode);
    EXPECT_DOUBLE_EQ(out.rows[i].time_ms, original.rows[i].time_ms);
    EXPECT_DOUBLE_EQ(out.rows[i].power_w, original.rows[i].power_w);
    EXPECT_EQ(out.rows[i].provenance, "replayed");
  }
}
