// A campaign on a fleet (docs/FLEET.md): `profile --shard`, the board column, `db merge`, a real single-node Slurm
// cluster running the deploy/slurm job array, and the Kubernetes manifests checked with a YAML parser.
#include <gtest/gtest.h>
#include <unistd.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/run_cli.h"
#include "control/fake_sysfs.h"
#include "modewise/profile/profile.h"

using modewise::test::run_cli;
using modewise::test::slurp;
using modewise::testing::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kSource = MODEWISE_SOURCE_DIR;

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

std::string sq(const std::string& s) { return "'" + s + "'"; }

const std::string kProfile = "profile --device sim:orin-agx --workload resnet18 --modes random:60 --seed 3";

}  // namespace

TEST(CliFleet, ShardsFromTheSchedulerEnvironmentMergeIntoTheUnshardedCampaign) {
  TempDir d;
  std::string inputs;
  for (int k = 0; k < 3; ++k) {
    std::string db = d.file("s" + std::to_string(k) + ".db");
    auto r2 = run_cli("--db " + sq(db) + " " + kProfile + " --shard " + std::to_string(k) + "/3 --board b" +
                      " --out " + sq(d.file("s" + std::to_string(k) + ".csv")));
    ASSERT_EQ(r2.exit_code, 0) << r2.err;
    EXPECT_TRUE(contains(r2.err, "shard " + std::to_string(k) + "/3 (K from --shard) on board b: 20 of the 60 modes"))
        << r2.err;
    inputs += " " + sq(db);
  }
  auto whole = run_cli("--db " + sq(d.file("whole.db")) + " " + kProfile + " --board b --out " +
                       sq(d.file("whole.csv")));
  ASSERT_EQ(whole.exit_code, 0) << whole.err;

  auto merged = run_cli("db merge " + sq(d.file("m.db")) + inputs + " --json");
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  auto j = nlohmann::json::parse(merged.out);
  ASSERT_EQ(j["campaigns"].size(), 1u) << merged.out;
  const auto& c = j["campaigns"][0];
  EXPECT_EQ(c["modes_missing"], 0);
  EXPECT_EQ(c["rows_added"], 60);
  EXPECT_EQ(c["provenance"], "emulated");
  std::string id = c["id"];
  auto exported = run_cli("--db " + sq(d.file("m.db")) + " db export --campaign " + id + " --out " +
                          sq(d.file("merged.csv")));
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(slurp(d.file("merged.csv")), slurp(d.file("whole.csv")));  // row for row, byte for byte

  // Idempotent: the same shards again add nothing.
  auto again = run_cli("db merge " + sq(d.file("m.db")) + inputs + " --json");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto j2 = nlohmann::json::parse(again.out);
  EXPECT_EQ(j2["campaigns"][0]["rows_added"], 0);
  EXPECT_EQ(j2["campaigns"][0]["rows_already_merged"], 60);

  // fit reads the merged export directly.
  auto fit = run_cli("fit --profile " + sq(d.file("merged.csv")) + " --out " + sq(d.file("model.json")) +
                     " --method linear");
  EXPECT_EQ(fit.exit_code, 0) << fit.err;
}

TEST(CliFleet, AutoShardNamesTheVariableAndIsZeroBased) {
  TempDir d;
  std::string cli = MODEWISE_CLI;
  auto run_env = [&](const std::string& env, const std::string& args) {
    std::string cmd = "env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX " + env + " " + cli + " " + args + " > " +
                      sq(d.file("out")) + " 2> " + sq(d.file("err"));
    int status = std::system(cmd.c_str());
    return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(d.file("err")));
  };
  auto [rc, err] = run_env("SLURM_ARRAY_TASK_ID=4", "--db " + sq(d.file("b.db")) + " " + kProfile +
                                                        " --shard auto/4 --out " + sq(d.file("b.csv")));
  EXPECT_EQ(rc, 2) << err;
  EXPECT_TRUE(contains(err, "SLURM_ARRAY_TASK_ID=4 is out of range")) << err;
  EXPECT_TRUE(contains(err, "0-based")) << err;
  std::tie(rc, err) = run_env("JOB_COMPLETION_INDEX=3", "--db " + sq(d.file("c.db")) + " " + kProfile +
                                                          " --shard auto/4 --out " + sq(d.file("c.csv")));
  EXPECT_EQ(rc, 0) << err;
  EXPECT_TRUE(contains(err, "shard 3/4 (K from JOB_COMPLETION_INDEX)")) << err;
  std::tie(rc, err) = run_env("", "--db " + sq(d.file("e.db")) + " " + kProfile + " --shard auto/4 --out " +
                                      sq(d.file("e.csv")));
  EXPECT_EQ(rc, 2) << err;
  EXPECT_TRUE(contains(err, "neither SLURM_ARRAY_TASK_ID")) << err;

  // A rerun of a shard resumes it (its own campaign in its board's store).
  std::tie(rc, err) = run_env("JOB_COMPLETION_INDEX=3", "--db " + sq(d.file("c.db")) + " " + kProfile +
                                                          " --shard auto/4 --out " + sq(d.file("c.csv")));
  EXPECT_EQ(rc, 0) << err;
  EXPECT_TRUE(contains(err, "is already complete (15 modes)")) << err;
}

TEST(CliFleet, BoardColumnIsTheHostOrTheOverrideAndEmulatedStaysEmulated) {
  TempDir d;
  auto r = run_cli("--db " + sq(d.file("a.db")) + " " + kProfile + " --board lab-07 --out " +
                   sq(d.file("a.csv")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto p = modewise::profile::read_profile_csv(d.file("a.csv"));
  ASSERT_FALSE(p.rows.empty());
  EXPECT_EQ(p.rows[0].board, "lab-07");
  EXPECT_EQ(p.rows[0].provenance, "emulated");
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  auto h = run_cli("--db " + sq(d.file("b.db")) + " " + kProfile + " --out " + sq(d.file("b.csv")));
  ASSERT_EQ(h.exit_code, 0) << h.err;
  EXPECT_EQ(modewise::profile::read_profile_csv(d.file("b.csv")).rows.at(0).board, host);
  auto bad = run_cli("--db " + sq(d.file("c.db")) + " " + kProfile + " --board 'a b' --out " +
                     sq(d.file("c.csv")));
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

TEST(CliFleet, MergeReportsConflictsBetweenBoardsAndMissingShards) {
  TempDir d;
  // Two boards profile the same modes (no sharding): every mode conflicts, and both rows are kept.
  for (std::string board : {"a", "b"}) {
    auto r = run_cli("--db " + sq(d.file(board + ".db")) +
                     " profile --device sim:orin-agx --workload resnet18 --modes random:6 --seed 3 --board " + board +
                     " --out " + sq(d.file(board + ".csv")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto m = run_cli("db merge " + sq(d.file("m.db")) + " " + sq(d.file("a.db")) + " " + sq(d.file("b.db")));
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_TRUE(contains(m.err, "6 modes measured on several boards (every row kept, never averaged)")) << m.err;
  std::string id = m.out.substr(0, 16);
  auto e = run_cli("--db " + sq(d.file("m.db")) + " db export --campaign " + id + " --out -");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(std::count(e.out.begin(), e.out.end(), '\n'), 1 + 12) << e.out;  // both boards' rows

  auto s0 = run_cli("--db " + sq(d.file("s0.db")) + " " + kProfile + " --shard 0/2 --out " + sq(d.file("s0.csv")));
  ASSERT_EQ(s0.exit_code, 0) << s0.err;
  auto partial = run_cli("db merge " + sq(d.file("p.db")) + " " + sq(d.file("s0.db")));
  ASSERT_EQ(partial.exit_code, 0) << partial.err;
  EXPECT_TRUE(contains(partial.err, "missing: shard 1/2 never ran: 30 modes not profiled")) << partial.err;
  EXPECT_TRUE(contains(partial.err, "30 of 60 modes profiled")) << partial.err;

  auto self = run_cli("db merge " + sq(d.file("s0.db")) + " " + sq(d.file("s0.db")));
  EXPECT_EQ(self.exit_code, 2) << self.err;
}

// The real scheduler: a single-node Slurm cluster (scripts/slurm-test-cluster.sh) runs deploy/slurm's job array of
// 4 shards on sim:orin-agx and the merge job; the merged campaign equals an unsharded run row for row.
TEST(CliFleet, SlurmJobArrayOfFourShardsMergesIntoTheUnshardedCampaign) {
  TempDir d;
  const std::string cluster = d.file("cluster"), results = d.file("results");
  // submit.sh queues the array and the merge job (afterany); poll scontrol (sbatch --wait polls slowly).
  const std::string job =
      "set -e; export MODEWISE=" + sq(MODEWISE_CLI) +
      " MODEWISE_DEVICE=sim:orin-agx MODEWISE_WORKLOAD=resnet18 MODEWISE_MODES=random:40"
      " MODEWISE_GRID=powertrain MODEWISE_SEED=11 MODEWISE_RESULTS_DIR=" + sq(results) +
      " MODEWISE_STORE_DIR=" + sq(d.file("local")) + "; cd " + sq(d.path()) + "; read -r array merge < <(" +
      sq(kSource + "/deploy/slurm/submit.sh") + " 4 --output=" + sq(d.file("%x-%a.out")) + ")\n"
      "for i in $(seq 600); do\n"
      "  case $(scontrol -o show job $merge | grep -o 'JobState=[A-Z_]*') in\n"
      "    *=COMPLETED|*=FAILED|*=CANCELLED|*=TIMEOUT|*=NODE_FAIL|*=OUT_OF_MEMORY) break ;;\n"
      "  esac\n"
      "  sleep 0.2\n"
      "done\n"
      "states=$(scontrol -o show job $array; scontrol -o show job $merge)\n"
      "echo \"$states\" | grep -o 'JobId=[0-9]* .*JobState=[A-Z_]*' | sed 's/ .*JobState=/ /'\n"
      "! echo \"$states\" | grep -o 'JobState=[A-Z_]*' | grep -v JobState=COMPLETED\n";
  std::string cmd = "timeout 100 " + sq(kSource + "/scripts/slurm-test-cluster.sh") + " " + sq(cluster) +
                    " bash -c " + sq(job) + " > " + sq(d.file("slurm.out")) + " 2>&1";
  int status = std::system(cmd.c_str());
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (rc == 77) GTEST_SKIP() << "no Slurm cluster here: " << slurp(fs::path(cluster) / "skip_reason");
  std::string logs = slurp(d.file("slurm.out"));
  for (const auto& f : fs::directory_iterator(d.path()))
    if (f.path().extension() == ".out") logs += "--- " + f.path().filename().string() + "\n" + slurp(f.path());
  logs += slurp(fs::path(cluster) / "slurmctld.log");
  ASSERT_EQ(rc, 0) << logs;

  auto j = nlohmann::json::parse(slurp(fs::path(results) / "merged.json"));
  ASSERT_EQ(j["campaigns"].size(), 1u) << j.dump();
  const auto& c = j["campaigns"][0];
  EXPECT_EQ(c["sources"].size(), 4u);
  EXPECT_EQ(c["modes_missing"], 0);
  EXPECT_EQ(c["modes_measured"], 40);
  std::string id = c["id"];
  for (int k = 0; k < 4; ++k) {
    auto shard = nlohmann::json::parse(slurp(fs::path(results) / ("shard-" + std::to_string(k) + ".json")));
    EXPECT_EQ(shard["shard"], std::to_string(k) + "/4");
    EXPECT_EQ(shard["modes_total"], 10);
  }

  // The same campaign unsharded, outside Slurm, with the same seed (the board is this host in both).
  auto whole = run_cli("--db " + sq(d.file("whole.db")) +
                       " profile --device sim:orin-agx --workload resnet18 --modes random:40 --grid powertrain "
                       "--seed 11 --out " + sq(d.file("whole.csv")));
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  std::string merged_csv = slurp(fs::path(results) / ("merged-" + id + ".csv"));
  ASSERT_FALSE(merged_csv.empty()) << logs;
  EXPECT_EQ(merged_csv, slurp(d.file("whole.csv")));
}

TEST(CliFleet, KubernetesManifestsParseAsYamlAndHoldWhatFleetMdSays) {
  if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "/usr/bin/python3 is not installed (python3-yaml)";
  TempDir d;
  std::string cmd = "/usr/bin/python3 " + sq(kSource + "/deploy/kubernetes/check_manifests.py") + " " +
                    sq(kSource + "/deploy/kubernetes") + " > " + sq(d.file("out")) + " 2>&1";
  int status = std::system(cmd.c_str());
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (rc == 77) GTEST_SKIP() << slurp(d.file("out"));
  EXPECT_EQ(rc, 0) << slurp(d.file("out"));
}

TEST(CliFleet, CharacterizeShardsSplitTheSweptModes) {
  TempDir d;
  const std::string sweep =
      " characterize --device sim:orin-agx --workload resnet18 --sweep mode=random:8 --sweep workers=0,2";
  auto whole = run_cli("--db " + sq(d.file("w.db")) + sweep + " --out " + sq(d.file("w.csv")));
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  auto key = [](const modewise::profile::ProfileRow& r) {
    return r.mode.key() + " " + std::to_string(r.time_ms) + " " + std::to_string(r.power_w);
  };
  std::multiset<std::string> expected, got;
  for (const auto& r : modewise::profile::read_profile_csv(d.file("w.csv")).rows) expected.insert(key(r));
  ASSERT_EQ(expected.size(), 16u);
  for (int k = 0; k < 4; ++k) {
    std::string out = d.file("s" + std::to_string(k) + ".csv");
    auto r = run_cli("--db " + sq(d.file("s" + std::to_string(k) + ".db")) + sweep + " --shard " + std::to_string(k) +
                     "/4 --out " + sq(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "shard " + std::to_string(k) + "/4 (K from --shard): 2 of the 8 swept modes")) << r.err;
    for (const auto& row : modewise::profile::read_profile_csv(out).rows) got.insert(key(row));
  }
  EXPECT_EQ(got, expected);  // the shards' configurations are exactly the unsharded ones, with the same numbers
  auto too_many = run_cli("--db " + sq(d.file("x.db")) + sweep + " --shard 0/9 --out " + sq(d.file("x.csv")));
  EXPECT_EQ(too_many.exit_code, 2) << too_many.err;
}
