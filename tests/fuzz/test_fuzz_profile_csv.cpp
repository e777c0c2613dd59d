// Mutation fuzzer for profile CSVs (issue 12): 2,000+ seeded mutations of each profile fixture (the Pagoda replay
// fixture, the emulated co-scheduling fixture and a profile with every optional column) go through the entry
// points of fit/transfer/predict (parse_profile_csv with the row validator), replay: (ReplayBackend: construct,
// select the workload, run a mode) and `db import` (Store::import_csv). Each must succeed or throw modewise::Error
// with a one-line message; any other exception (the CLI's "internal error"), a crash or a sanitizer report fails.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "fuzz/fuzz.h"
#include "modewise/profile/profile.h"
#include "modewise/profile/replay.h"
#include "modewise/store/store.h"
#include "modewise/util/csv.h"
#include "modewise/util/error.h"

namespace modewise::fuzz {
namespace {

namespace fs = std::filesystem;

constexpr int kMutationsPerFixture = 2000;
constexpr int kReplayEvery = 4;   // every 4th input also goes through replay: (a file on disk)
constexpr int kImportEvery = 25;  // and every 25th through db import (an SQLite transaction)

// Every optional column, with the values modewise writes.
const char* kFullColumns =
    "device,workload,task,batch_size,cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w,energy_j,time_sd_ms,power_sd_w,"
    "samples,provenance,gpu_util,cpu_util,stall_fraction,fetch_ms,mem_used_mb,warmup_minibatches\n"
    "orin-agx,resnet18,train,16,12,2201.6,1300.5,3199,120.5,41.2,4.9646,1.2,0.8,40,emulated,0.93,0.41,0.02,2.4,5120,3\n"
    "orin-agx,resnet18,train,16,4,1036.8,522.75,2133,343.86,15.66,5.3849,2.5,0.3,40,emulated,0.97,0.66,0.11,37.8,5020,2\n"
    "orin-agx,resnet18,train,16,8,1497.6,828.75,3199,201.3,25.1,5.0526,,,40,replayed (emulated),,,0.05,,,\n"
    "orin-agx,resnet18,infer,1,12,2201.6,1300.5,3199,8.1,30.3,0.2454,0.1,0.2,40,measured,0.55,0.2,0,0,1900,1\n";

struct Counts {
  int ok = 0, errors = 0;
};

bool one_line_error(const Error& e, const std::string& what) {
  std::string msg = e.what();
  if (!msg.empty() && msg.find('\n') == std::string::npos) return true;
  ADD_FAILURE() << what << ": error message must be one non-empty line: " << printable(msg);
  return false;
}

// Runs `f`; false (after a test failure) when it threw anything but a one-line modewise::Error.
template <typename F>
bool survives(F&& f, Counts& c, const std::string& what) {
  try {
    f();
    ++c.ok;
  } catch (const Error& e) {
    if (!one_line_error(e, what)) return false;
    ++c.errors;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": not a modewise::Error (the CLI would print an internal error): " << e.what();
    return false;
  }
  return true;
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("modewise_fuzz_csv_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

class ProfileCsvFuzz : public ::testing::TestWithParam<std::string> {};

TEST_P(ProfileCsvFuzz, MutatedProfilesParseOrGiveAOneLineError) {
  const std::string base = GetParam() == "full_columns" ? std::string(kFullColumns) : fixture_text(GetParam());
  const std::vector<std::string> seeds = {base, kFullColumns};
  Mutator m(std::hash<std::string>{}(GetParam()) ^ 0xc5f);
  TempDir dir;
  const std::string file = (dir.path / "fuzz.csv").string();
  std::optional<store::Store> db;
  Counts parse, replay, import;
  for (int i = 0; i < kMutationsPerFixture; ++i) {
    const std::string input = m.mutate(base, seeds);
    const std::string what = GetParam() + " mutation " + std::to_string(i) + " '" + printable(input) + "'";
    if (!survives([&] { profile::parse_profile_csv(util::parse_csv(input, "fuzz.csv")); }, parse, what)) break;
    if (i % kReplayEvery == 0 || i % kImportEvery == 0) std::ofstream(file, std::ios::binary) << input;
    if (i % kReplayEvery == 0) {
      bool alive = survives(
          [&] {
            profile::ReplayBackend b(file);
            device::WorkloadRequest w;
            w.workload = b.profile().rows.front().workload;
            w.task = b.profile().rows.front().task.empty() ? "train" : b.profile().rows.front().task;
            w.batch_size = b.profile().rows.front().batch_size;
            auto modes = b.modes_for(w);
            b.check_modes(w, modes);
            b.apply(modes.front());
            b.run(w, 3);
          },
          replay, what + " (replay)");
      if (!alive) break;
    }
    if (i % kImportEvery == 0) {
      if (!db) db.emplace((dir.path / "fuzz.db").string());
      if (!survives([&] { db->import_csv(file); }, import, what + " (db import)")) break;
    }
  }
  EXPECT_GT(parse.errors, kMutationsPerFixture / 10) << "ok " << parse.ok;
  EXPECT_GT(parse.ok, 0) << "errors " << parse.errors;
  EXPECT_GT(replay.ok + replay.errors, kMutationsPerFixture / kReplayEvery / 2);
  EXPECT_GT(import.ok + import.errors, 0);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ProfileCsvFuzz,
                         ::testing::Values("replay/pagoda_maxn_inference.csv",
                                           "cosched/orin-agx-resnet50-mobilenetv3.csv", "full_columns"),
                         [](const auto& info) {
                           std::string s = info.param.substr(0, info.param.find('.'));
                           for (char& ch : s)
                             if (ch == '/' || ch == '-') ch = '_';
                           return s;
                         });

}  // namespace
}  // namespace modewise::fuzz
