// End-to-end: modewise fit, transfer, predict, pareto, recommend and eval transfer on emulated profiles
// (sim:orin-agx), and the clear errors for corrupt model files, a model for another device and too few modes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/emulated_models.h"
#include "cli/run_cli.h"

namespace {

using modewise::test::make_emulated_models;
using modewise::test::q;
using modewise::test::run_cli;
using modewise::test::slurp;
namespace fs = std::filesystem;

size_t count_lines(const std::string& text) {
  size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) ++n;
  return n;
}

// The first `n` data rows of a profile CSV (plus its header).
void head_rows(const fs::path& from, const fs::path& to, size_t n) {
  std::ifstream in(from);
  std::ofstream out(to);
  std::string line;
  for (size_t i = 0; i <= n && std::getline(in, line); ++i) out << line << "\n";
}

class CliPredict : public ::testing::Test {
 protected:
  static fs::path dir;

  static void SetUpTestSuite() {
    dir = fs::temp_directory_path() / ("modewise_cli_predict_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    make_emulated_models(dir, "--db " + q(dir / "p.db") + " profile", 150, 200);
  }
  static void TearDownTestSuite() { fs::remove_all(dir); }

  static std::string model() { return q(dir / "new.model.json"); }
};
fs::path CliPredict::dir;

TEST_F(CliPredict, PredictWritesEveryModeOfTheGrid) {
  auto r = run_cli("predict --model " + model() + " --device orin-agx --grid powertrain --out " + q(dir / "pred.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string csv = slurp(dir / "pred.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w,provenance");
  EXPECT_EQ(count_lines(csv), 4368u + 1u);
  EXPECT_NE(r.err.find("emulated"), std::string::npos) << r.err;
  // every row says where its numbers come from: a model trained on emulated profiles
  std::string second = csv.substr(csv.find('\n') + 1);
  second = second.substr(0, second.find('\n'));
  EXPECT_EQ(second.substr(second.rfind(',') + 1), "predicted (from emulated)") << second;
}

// Emulated numbers stay labelled through replay, transfer, the model file, predict and pareto.
TEST_F(CliPredict, EmulatedProvenanceTravelsThroughReplayAndPrediction) {
  auto rep = run_cli("profile --no-db --device replay:" + q(dir / "new.csv") + " --workload mobilenetv3 --modes " +
                     q(dir / "new.csv") + " --out " + q(dir / "replayed.csv") + " --json");
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  EXPECT_NE(rep.err.find("emulated, not measured"), std::string::npos) << rep.err;
  auto j = nlohmann::json::parse(rep.out);
  EXPECT_EQ(j["provenance"], "replayed (emulated)");
  EXPECT_EQ(j["profiled"], 30);
  EXPECT_FALSE(j.contains("measured")) << rep.out;
  std::string csv = slurp(dir / "replayed.csv");
  EXPECT_NE(csv.find(",replayed (emulated),"), std::string::npos) << csv.substr(0, 400);
  EXPECT_EQ(csv.find(",replayed,"), std::string::npos);

  // db import keeps the value, and the report of that campaign says it is not measured
  const std::string db = "--db " + q(dir / "replayed.db") + " ";
  auto imp = run_cli(db + "db import " + q(dir / "replayed.csv") + " --json");
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  auto list = run_cli(db + "db list --json");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("\"replayed (emulated)\""), std::string::npos) << list.out;
  auto html = run_cli(db + "report --out -");
  ASSERT_EQ(html.exit_code, 0) << html.err;
  EXPECT_EQ(html.out.find("measured mode"), std::string::npos);
  EXPECT_NE(html.out.find("replayed (emulated), not measured"), std::string::npos);

  auto tr = run_cli("transfer --base " + q(dir / "ref.model.json") + " --profile " + q(dir / "replayed.csv") +
                    " --out " + q(dir / "replayed.model.json"));
  ASSERT_EQ(tr.exit_code, 0) << tr.err;
  auto model = nlohmann::json::parse(slurp(dir / "replayed.model.json"));
  EXPECT_EQ(model["provenance"]["data"], "emulated");  // the origin of both the reference and the new rows

  auto pr = run_cli("predict --model " + q(dir / "replayed.model.json") + " --modes " + q(dir / "new.csv"));
  ASSERT_EQ(pr.exit_code, 0) << pr.err;
  EXPECT_NE(pr.err.find("emulated"), std::string::npos) << pr.err;
  EXPECT_EQ(count_lines(pr.out), 31u);
  size_t labelled = 0;
  std::istringstream in(pr.out);
  for (std::string line; std::getline(in, line);)
    labelled += line.size() > 26 && line.substr(line.size() - 25) == "predicted (from emulated)";
  EXPECT_EQ(labelled, 30u) << pr.out;

  auto pf = run_cli("pareto --model " + q(dir / "replayed.model.json") + " --device orin-agx --grid powertrain");
  ASSERT_EQ(pf.exit_code, 0) << pf.err;
  EXPECT_EQ(pf.out.substr(0, pf.out.find('\n')), "cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w,energy_j,provenance");
  EXPECT_NE(pf.out.find("predicted (from emulated)"), std::string::npos);
  EXPECT_NE(pf.err.find("emulated"), std::string::npos) << pf.err;
}

TEST_F(CliPredict, PredictAModesFileIgnoresExtraColumns) {
  auto r = run_cli("predict --model " + model() + " --modes " + q(dir / "new.csv") + " --out " + q(dir / "pm.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_lines(slurp(dir / "pm.csv")), 30u + 1u);
}

TEST_F(CliPredict, ParetoCsvAndSvg) {
  auto r = run_cli("pareto --model " + model() + " --device orin-agx --grid powertrain --out " + q(dir / "front.csv") +
                   " --svg " + q(dir / "front.svg"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string csv = slurp(dir / "front.csv");
  EXPECT_EQ(csv.rfind("cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w", 0), 0u) << csv.substr(0, 200);
  EXPECT_GT(count_lines(csv), 5u);
  EXPECT_NE(slurp(dir / "front.svg").find("<svg"), std::string::npos);
}

TEST_F(CliPredict, RecommendJsonAndNvpmodelBlock) {
  auto r = run_cli("recommend --model " + model() + " --device orin-agx --grid powertrain --power-w 20 --json "
                   "--nvpmodel-out " + q(dir / "nvp.conf"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  for (const char* k : {"cores", "cpu_mhz", "gpu_mhz", "emc_mhz"}) EXPECT_TRUE(j["mode"].contains(k)) << k;
  EXPECT_GT(j["time_ms"].get<double>(), 0);
  EXPECT_LE(j["power_w"].get<double>(), 20.0);
  EXPECT_NE(slurp(dir / "nvp.conf").find("< POWER_MODEL ID="), std::string::npos);
}

TEST_F(CliPredict, RecommendImpossibleBudgetIsAClearError) {
  auto r = run_cli("recommend --model " + model() + " --device orin-agx --grid powertrain --power-w 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("modewise: error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 W"), std::string::npos) << r.err;
}

TEST_F(CliPredict, CorruptModelFilesAreClearErrors) {
  std::ofstream(dir / "notjson.json") << "this is not json";
  auto a = run_cli("predict --model " + q(dir / "notjson.json") + " --device orin-agx --out " + q(dir / "x.csv"));
  EXPECT_EQ(a.exit_code, 1);
  EXPECT_NE(a.err.find("notjson.json"), std::string::npos) << a.err;

  // Truncated: the first half of a real model file.
  std::string text = slurp(dir / "new.model.json");
  std::ofstream(dir / "truncated.json") << text.substr(0, text.size() / 2);
  auto b = run_cli("recommend --model " + q(dir / "truncated.json") + " --device orin-agx --power-w 20");
  EXPECT_EQ(b.exit_code, 1);
  EXPECT_NE(b.err.find("truncated.json"), std::string::npos) << b.err;

  // Valid JSON, wrong content: another format, and a model whose version is unknown.
  std::ofstream(dir / "other.json") << R"({"format":"something-else","version":1})";
  auto c = run_cli("predict --model " + q(dir / "other.json") + " --device orin-agx --out " + q(dir / "x.csv"));
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_NE(c.err.find("not a modewise model"), std::string::npos) << c.err;
  auto j = nlohmann::json::parse(text);
  j["version"] = 99;
  std::ofstream(dir / "future.json") << j.dump();
  auto d = run_cli("predict --model " + q(dir / "future.json") + " --device orin-agx --out " + q(dir / "x.csv"));
  EXPECT_EQ(d.exit_code, 1);
  EXPECT_NE(d.err.find("version"), std::string::npos) << d.err;
}

TEST_F(CliPredict, ModelForAnotherDeviceIsAClearError) {
  auto r = run_cli("predict --model " + model() + " --device xavier-agx --out " + q(dir / "x.csv"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("orin-agx"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("xavier-agx"), std::string::npos) << r.err;
}

TEST_F(CliPredict, TooFewModesAreClearErrors) {
  head_rows(dir / "new.csv", dir / "five.csv", 5);
  auto t = run_cli("transfer --base " + q(dir / "ref.model.json") + " --profile " + q(dir / "five.csv") + " --out " +
                   q(dir / "x.json"));
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_NE(t.err.find("too few modes"), std::string::npos) << t.err;
  auto f = run_cli("fit --profile " + q(dir / "new.csv") + " --out " + q(dir / "x.json"));
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_NE(f.err.find("too few modes"), std::string::npos) << f.err;
  EXPECT_FALSE(fs::exists(dir / "x.json"));
}

TEST_F(CliPredict, EvalTransferJsonHasEveryCell) {
  auto r = run_cli("eval transfer --ref " + q(dir / "ref.csv") + " --new " + q(dir / "new.csv") +
                   " --samples 10,20 --repeats 2 --methods gp,linear --budgets 5 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 2u * 2u + 1u);  // methods x samples + the nvpmodel preset baseline
  EXPECT_EQ(j["results"][0]["method"], "gp");
  EXPECT_EQ(j["results"][0]["per_budget"].size(), 5u);
  EXPECT_EQ(j["new"]["provenance"], "emulated");
}

TEST_F(CliPredict, BadMethodIsAUsageError) {
  auto r = run_cli("transfer --base " + q(dir / "ref.model.json") + " --profile " + q(dir / "new.csv") + " --out " +
                   q(dir / "x.json") + " --method nonsense");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
