// Hostile inputs on the command line (issue 12): every reproduction ends with exit 1 (bad data) or 2 (bad usage) and
// one line "modewise: error: ...", never a crash or "internal error", and no file it should not touch is touched.
// Malformed ONNX fixtures (tests/fixtures/onnx/malformed/) were made from the regular fixtures by changing one field
// with the ONNX protobuf API: yolov8n with its Split axis set to 118, resnet18 with a Conv node named with invalid
// UTF-8 bytes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "build_features.h"
#include "cli/run_cli.h"
#include "control/fake_sysfs.h"
#include "modewise/device/grid.h"
#include "modewise/util/strings.h"

using modewise::test::CliResult;
using modewise::test::run_cli;
using modewise::test::slurp;
using modewise::testing::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kSrc = MODEWISE_SOURCE_DIR;
const std::string kSplitAxis118 = kSrc + "/tests/fixtures/onnx/malformed/yolov8n_split_axis_118.onnx";
const std::string kBadUtf8Name = kSrc + "/tests/fixtures/onnx/malformed/resnet18_invalid_utf8_name.onnx";

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Exit code `code` and exactly one line on stderr, "modewise: error: ...", printable (no raw control or invalid
// UTF-8 bytes) and no internal error.
void expect_one_line_error(const CliResult& r, int code, const std::string& needle = "") {
  EXPECT_EQ(r.exit_code, code) << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.rfind("modewise: error: ", 0), 0u) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line: " << r.err;
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  EXPECT_TRUE(modewise::util::is_valid_utf8(r.err)) << r.err;
  for (size_t i = 0; i + 1 < r.err.size(); ++i) {
    EXPECT_GE(static_cast<unsigned char>(r.err[i]), 0x20) << "control byte at " << i << " in " << r.err;
  }
  if (!needle.empty()) {
    EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "' in " << r.err;
  }
}

// A profile of the first n modes of the orin-agx powertrain grid, numbers from a formula (synthetic, not measured).
std::string synthetic_rows(size_t n, const std::string& workload = "toy", size_t first = 0) {
  auto modes = modewise::device::grid_modes(modewise::device::builtin_device("orin-agx"), "powertrain");
  std::string s;
  for (size_t i = first; i < first + n; ++i) {
    const auto& m = modes[i];
    s += fmt::format("orin-agx,{},train,16,{},{},{},{},{},{},emulated\n", workload, m.cores, m.cpu_mhz, m.gpu_mhz,
                     m.emc_mhz, 50000.0 / m.gpu_mhz + 1000.0 / m.cpu_mhz, 8 + m.gpu_mhz / 60 + m.emc_mhz / 800);
  }
  return s;
}
const std::string kHeader = "device,workload,task,batch_size,cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w,provenance\n";

// ---- crashes and internal errors

TEST(CliHostile, SplitAxisOutOfRangeIsAClearErrorInEveryModelCommand) {
  TempDir d;
  MODEWISE_REQUIRE_ONNX();
  for (const std::string& cmd : std::vector<std::string>{
           "analyze " + kSplitAxis118, "analyze --json " + kSplitAxis118,
        "roofline --device sim:orin-agx --modes maxn --model " + kSplitAxis118,
        "tune-inference --device sim:orin-agx --model " + kSplitAxis118 + " --confirm 0"}) {
    SCOPED_TRACE(cmd);
    CliResult r = run_cli("--db " + d.q("s.db") + " " + cmd);
    expect_one_line_error(r, 1, "attribute 'axis' = 118");
    EXPECT_NE(r.err.find("Split"), std::string::npos) << r.err;
  }
}

TEST(CliHostile, DirectoryGivenAsAModelOrACsvSaysItIsADirectory) {
  TempDir d;
  if (MODEWISE_HAVE_ONNX)  // without ONNX, analyze says only that (CliBuildFeatures)
    expect_one_line_error(run_cli("analyze " + d.path()), 1, "is a directory");
  expect_one_line_error(run_cli("fit --profile " + d.path() + " --out " + d.q("m.json")), 1, "is a directory");
  expect_one_line_error(run_cli("--db " + d.q("s.db") + " db import " + d.path()), 1, "is a directory");
  EXPECT_FALSE(fs::exists(d.file("m.json")));
}

TEST(CliHostile, InvalidUtf8NodeNameKeepsJsonValid) {
  MODEWISE_REQUIRE_ONNX();
  CliResult r = run_cli("analyze --json " + kBadUtf8Name);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);  // throws (fails the test) on invalid output
  bool found = false;
  for (const auto& l : j["layers"]) found |= l["name"].get<std::string>().find("conv\\xff\\xfe") == 0;
  EXPECT_TRUE(found) << "the invalid bytes are escaped as \\xNN in the layer name";
  EXPECT_TRUE(modewise::util::is_valid_utf8(run_cli("analyze --per-layer " + kBadUtf8Name).out));
}

// ---- lost data

TEST(CliHostile, UsageErrorInProfileLeavesOutputAndStoreUntouched) {
  TempDir d;
  write(d.file("keep.csv"), "precious\n");
  CliResult r = run_cli("--db " + d.q("s.db") + " profile --device sim:orin-agx --workload resnet18 --modes maxn "
                        "--storage floppy --out " + d.q("keep.csv"));
  expect_one_line_error(r, 2, "--storage");
  EXPECT_EQ(slurp(d.file("keep.csv")), "precious\n");
  EXPECT_FALSE(fs::exists(d.file("s.db"))) << "nothing may be registered";
  expect_one_line_error(run_cli("profile --device sim:orin-agx --workload resnet18 --modes maxn --settle-ms -5 --out " +
                                d.q("keep.csv")), 2, "--settle-ms");
  EXPECT_EQ(slurp(d.file("keep.csv")), "precious\n");
}

TEST(CliHostile, ReplayFileWithARepeatedModeIsRejectedUpFront) {
  TempDir d;
  std::string rows = synthetic_rows(3);
  write(d.file("rep.csv"), kHeader + rows + rows.substr(0, rows.find('\n') + 1));  // line 5 repeats line 2
  write(d.file("keep.csv"), "precious\n");
  CliResult r = run_cli("--db " + d.q("s.db") + " profile --device replay:" + d.q("rep.csv") +
                        " --workload toy --out " + d.q("keep.csv"));
  expect_one_line_error(r, 1, "rep.csv:5");
  EXPECT_NE(r.err.find("also on line 2"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(d.file("keep.csv")), "precious\n");
  EXPECT_FALSE(fs::exists(d.file("s.db")));
}

TEST(CliHostile, ReadOnlyCommandsNeverCreateOrChangeAStore) {
  TempDir d;
  write(d.file("empty.csv"), "");
  for (const std::string& cmd : std::vector<std::string>{"db list", "db list --json",
                                                         "db export --campaign 1 --out " + d.q("x.csv"),
                                                         "report --out " + d.q("r.html")}) {
    SCOPED_TRACE(cmd);
    expect_one_line_error(run_cli("--db " + d.q("empty.csv") + " " + cmd), 1, "not a modewise store");
    EXPECT_EQ(fs::file_size(d.file("empty.csv")), 0u);
    expect_one_line_error(run_cli("--db " + d.q("missing.db") + " " + cmd), 1, "no store");
    EXPECT_FALSE(fs::exists(d.file("missing.db")));
  }
  EXPECT_FALSE(fs::exists(d.file("x.csv")));
  EXPECT_FALSE(fs::exists(d.file("r.html")));
  for (const auto& e : fs::directory_iterator(d.path()))  // no -wal, -shm or journal files either
    EXPECT_EQ(e.path().filename(), "empty.csv");
}

TEST(CliHostile, ReadOnlyCommandsLeaveAStoreByteForByte) {
  TempDir d;
  write(d.file("p.csv"), kHeader + synthetic_rows(5));
  ASSERT_EQ(run_cli("--db " + d.q("s.db") + " db import " + d.q("p.csv")).exit_code, 0);
  const std::string before = slurp(d.file("s.db"));
  ASSERT_EQ(run_cli("--db " + d.q("s.db") + " db list").exit_code, 0);
  ASSERT_EQ(run_cli("--db " + d.q("s.db") + " report --out " + d.q("r.html")).exit_code, 0);
  EXPECT_TRUE(slurp(d.file("s.db")) == before) << "db list and report changed the store file";
}

TEST(CliHostile, FailedExportLeavesAnExistingFileUntouched) {
  TempDir d;
  write(d.file("p.csv"), kHeader + synthetic_rows(5));
  ASSERT_EQ(run_cli("--db " + d.q("s.db") + " db import " + d.q("p.csv")).exit_code, 0);
  write(d.file("keep.csv"), "precious\n");
  expect_one_line_error(run_cli("--db " + d.q("s.db") + " db export --campaign ffffffffffff --out " + d.q("keep.csv")), 1,
                        "no campaign");
  EXPECT_EQ(slurp(d.file("keep.csv")), "precious\n");
  for (const auto& e : fs::directory_iterator(d.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << "temporary file left behind";
}

// ---- inconsistent validation: one row validator everywhere

struct BadProfile {
  std::string name, text, needle;
};

std::vector<BadProfile> bad_profiles() {
  std::string rows = synthetic_rows(6);
  std::string first = rows.substr(0, rows.find('\n') + 1);
  auto replace_field = [&](int col, const std::string& value) {  // in the first row
    auto f = modewise::util::split(first.substr(0, first.size() - 1), ',');
    f[col] = value;
    std::string line;
    for (size_t i = 0; i < f.size(); ++i) line += (i ? "," : "") + f[i];
    return kHeader + line + "\n" + rows.substr(first.size());
  };
  std::string dup = kHeader + rows + first;
  // the duplicate mode with ten times the time
  auto f = modewise::util::split(first.substr(0, first.size() - 1), ',');
  f[8] = std::to_string(std::stod(f[8]) * 10);
  std::string dup10;
  for (size_t i = 0; i < f.size(); ++i) dup10 += (i ? "," : "") + f[i];
  return {
      {"duplicate", kHeader + rows + dup10 + "\n", "also on line 2"},
      {"cores99", replace_field(4, "99"), "field 'cores'"},
      {"time1e308", replace_field(8, "1e308"), "time_ms"},
      {"provenance_bogus", replace_field(10, "bogus"), "provenance"},
      {"cpu_above_the_device", replace_field(5, "3000"), "cpu_mhz"},
  };
}

TEST(CliHostile, FitTransferReplayAndImportRejectTheSameRows) {
  TempDir d;
  // A base model for transfer, fitted from a clean file.
  write(d.file("clean.csv"), kHeader + synthetic_rows(60));
  ASSERT_EQ(run_cli("fit --profile " + d.q("clean.csv") + " --method linear --out " + d.q("base.json")).exit_code, 0);
  for (const auto& b : bad_profiles()) {
    SCOPED_TRACE(b.name);
    write(d.file(b.name + ".csv"), b.text);
    const std::string f = d.q(b.name + ".csv");
    expect_one_line_error(run_cli("fit --profile " + f + " --method linear --out " + d.q("m.json")), 1, b.needle);
    expect_one_line_error(run_cli("transfer --base " + d.q("base.json") + " --profile " + f + " --out " + d.q("t.json")),
                          1, b.needle);
    expect_one_line_error(run_cli("--db " + d.q("s.db") + " db import " + f), 1, b.needle);
    expect_one_line_error(run_cli("profile --no-db --device replay:" + f + " --workload toy --out -"), 1, b.needle);
    EXPECT_FALSE(fs::exists(d.file("m.json")));
    EXPECT_FALSE(fs::exists(d.file("t.json")));
  }
}

TEST(CliHostile, ImportRejectsOutOfRangeMetricsAndUnknownProvenance) {
  TempDir d;
  std::string rows = synthetic_rows(2);
  write(d.file("stall.csv"), "device,workload,task,batch_size,cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w,provenance,"
                             "stall_fraction\n" +
                                 rows.substr(0, rows.find('\n')) + ",-3\n");
  expect_one_line_error(run_cli("--db " + d.q("s.db") + " db import " + d.q("stall.csv")), 1, "stall_fraction");
}

TEST(CliHostile, ReplayOutputCanAlwaysBeReadBack) {
  TempDir d;
  write(d.file("p.csv"), kHeader + synthetic_rows(4));
  ASSERT_EQ(run_cli("profile --no-db --device replay:" + d.q("p.csv") + " --workload toy --out " + d.q("out.csv"))
                .exit_code, 0);
  CliResult r = run_cli("--db " + d.q("s.db") + " db import " + d.q("out.csv"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// ---- bad numbers on the command line

TEST(CliHostile, NonFiniteAndOutOfRangeNumbersAreUsageErrors) {
  TempDir d;
  write(d.file("clean.csv"), kHeader + synthetic_rows(60));
  ASSERT_EQ(run_cli("fit --profile " + d.q("clean.csv") + " --method linear --out " + d.q("m.json")).exit_code, 0);
  const std::string plan = "cosched plan --device sim:orin-agx --train-workload resnet18 --infer-workload mobilenetv3 "
                           "--arrival-rate 30 --latency-ms 200 --power-w 30 ";
  const std::map<std::string, std::string> cases = {
      {"recommend --model " + d.q("m.json") + " --power-w inf", "--power-w"},
      {"recommend --model " + d.q("m.json") + " --power-w nan", "--power-w"},
      {"recommend --model " + d.q("m.json") + " --power-w 1e999", "--power-w"},
      {"recommend --model " + d.q("m.json") + " --power-w -3", "--power-w"},
      {plan + "--max-modes 0", "--max-modes"},
      {plan + "--infer-batch-sizes abc", "--infer-batch-sizes"},
      {plan + "--infer-batch-sizes 4,-1", "--infer-batch-sizes"},
      {plan + "--noise-pct nan", "--noise-pct"},
      {"profile --device sim:orin-agx --workload resnet18 --settle-ms -5 --out " + d.q("o.csv"), "--settle-ms"},
      {"analyze --batch-size 0 " + kSrc + "/tests/fixtures/onnx/resnet18.onnx", "batch"},
  };
  for (const auto& [args, needle] : cases) {
    SCOPED_TRACE(args);
    expect_one_line_error(run_cli("--db " + d.q("s.db") + " " + args), 2, needle);
  }
  EXPECT_FALSE(fs::exists(d.file("o.csv")));
  for (const auto& e : fs::directory_iterator(d.path()))
    EXPECT_EQ(e.path().filename().string().find("MODEWISE_"), std::string::npos);
}

// ---- exit codes and messages

TEST(CliHostile, UnknownCommandAndParseErrorsHaveThePrefix) {
  CliResult r = run_cli("frobnicate");
  expect_one_line_error(r, 2, "unknown command 'frobnicate'");
  expect_one_line_error(run_cli("--db /tmp/x.db frobnicate --json"), 2, "unknown command 'frobnicate'");
  expect_one_line_error(run_cli("analyze --no-such-flag x.onnx"), 2, "--no-such-flag");
  expect_one_line_error(run_cli("db"), 2);
  expect_one_line_error(run_cli("analyze"), 2, "model");
  EXPECT_EQ(run_cli("").exit_code, 2);
}

TEST(CliHostile, ErrorsNeverEchoRawBinaryBytes) {
  TempDir d;
  std::string binary = "cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w\n\x01\x02\xff\xfe\x1b[31m,2,3,4,5,6\n";
  write(d.file("bin.csv"), binary);
  expect_one_line_error(run_cli("fit --profile " + d.q("bin.csv") + " --device orin-agx --out " + d.q("m.json")), 1);
  expect_one_line_error(run_cli("--db " + d.q("s.db") + " db import " + d.q("bin.csv")), 1);
  if (!MODEWISE_HAVE_ONNX) return;  // without ONNX, analyze says only that (CliBuildFeatures)
  CliResult r = run_cli("analyze --batch-size 1 \"$(printf 'x\\001\\377.onnx')\"");
  expect_one_line_error(r, 1);
  EXPECT_NE(r.err.find("\\x01"), std::string::npos) << r.err;
}

TEST(CliHostile, AmbiguousCampaignPrefixSaysAmbiguousInReportAndExport) {
  TempDir d;
  std::string text = kHeader;
  for (int w = 0; w < 17; ++w) {  // 17 campaigns: two share a digit
    std::string workload = "w";  // appended, not "w" + to_string(w): g++ 12 -Wrestrict false positive
    workload += std::to_string(w);
    text += synthetic_rows(2, workload);
  }
  write(d.file("many.csv"), text);
  ASSERT_EQ(run_cli("--db " + d.q("s.db") + " db import " + d.q("many.csv")).exit_code, 0);
  CliResult list = run_cli("--db " + d.q("s.db") + " db list --json");
  ASSERT_EQ(list.exit_code, 0);
  std::map<char, int> first;
  for (const auto& c : nlohmann::json::parse(list.out)) ++first[c["id"].get<std::string>()[0]];
  char shared = 0;
  for (auto [ch, n] : first)
    if (n > 1) shared = ch;
  ASSERT_NE(shared, 0);
  const std::string prefix(1, shared);
  expect_one_line_error(run_cli("--db " + d.q("s.db") + " report --campaign " + prefix + " --out " + d.q("r.html")), 1,
                        "ambiguous");
  expect_one_line_error(run_cli("--db " + d.q("s.db") + " db export --campaign " + prefix + " --out " + d.q("x.csv")), 1,
                        "ambiguous");
  EXPECT_FALSE(fs::exists(d.file("r.html")));
}

// ---- the fuzz label's in-process runs (tests/fuzz) cover thousands of inputs; this smoke run goes through the CLI

TEST(CliHostile, MutatedFilesThroughTheCliGiveExitCodesAndOneLineErrors) {
  TempDir d;
  std::mt19937_64 rng(12);
  const std::string onnx = slurp(kSrc + "/tests/fixtures/onnx/resnet18.onnx");
  const std::string csv = slurp(kSrc + "/tests/fixtures/replay/pagoda_maxn_inference.csv");
  int errors = 0;
  for (int i = 0; i < 40; ++i) {
    for (const bool model : {true, false}) {
      std::string m = model ? onnx : csv;
      for (int e = 0; e < 1 + static_cast<int>(rng() % 4); ++e) {
        size_t pos = rng() % m.size();
        if (rng() % 3 == 0) m.erase(pos, 1 + rng() % 64);
        else m[pos] = static_cast<char>(rng() % 256);
      }
      const std::string f = d.file(model ? "m.onnx" : "p.csv");
      write(f, m);
      CliResult r = run_cli(model ? "analyze --json '" + f + "'"
                                  : "--db " + d.q("s.db") + " db import '" + f + "'");
      SCOPED_TRACE(std::string(model ? "onnx" : "csv") + " mutation " + std::to_string(i));
      ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 2) << r.exit_code << " " << r.err;
      if (r.exit_code != 0) {
        expect_one_line_error(r, r.exit_code);
        ++errors;
      }
    }
  }
  EXPECT_GT(errors, 10);
}

}  // namespace
