// modewise sim-check end to end: the table, JSON, exit codes, --data.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/run_cli.h"

namespace modewise {
namespace {

using test::run_cli;

std::string temp_csv(const std::string& name, const std::string& text) {
  auto p = std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()) + ".csv");
  std::ofstream(p) << text;
  return p.string();
}

const char* kHeader = "model,bs,cores,cpu_khz,gpu_hz,mem_hz,observed_time_ms,observed_power_w\n";

TEST(CliSimCheck, PrintsEveryPointAndPasses) {
  auto r = run_cli("sim-check");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* col : {"model", "batch_size", "measured_time_ms", "emulated_time_ms", "time_err_%",
                          "measured_power_w", "emulated_power_w", "power_err_%", "status"})
    EXPECT_NE(r.out.find(col), std::string::npos) << col;
  for (const char* m : {"lstm", "yolov8n", "mobnet", "resnet50", "bert-large"})
    EXPECT_NE(r.out.find(m), std::string::npos) << m;
  EXPECT_NE(r.out.find("excluded"), std::string::npos);
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos);
  EXPECT_NE(r.out.find("summary (in-sample): 24 of 24 points within tolerance"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("emulated"), std::string::npos) << r.err;  // provenance on stderr
  // says that the comparison is on the calibration data, how many parameters were fitted to how many targets,
  // and gives the out-of-sample figure beside it
  EXPECT_NE(r.err.find("in-sample: these points calibrated the emulator (41 fitted parameters, 48 targets"),
            std::string::npos) << r.err;
  EXPECT_NE(r.out.find("out-of-sample, leave-one-workload-out (refits from neutral values): time MAPE"),
            std::string::npos) << r.out;
  auto help = run_cli("sim-check --help");
  EXPECT_NE(help.out.find("in-sample"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--leave-one-out"), std::string::npos) << help.out;
}

// --leave-one-out on a small subset (two workloads, six points): its structure, not its timing.
TEST(CliSimCheck, LeaveOneOutRefitsWithoutTheHeldOutPoints) {
  auto path = temp_csv("simcheck_loo", std::string(kHeader) +
                                           "resnet50,1,12,2201600,1300500000,3199000000,15.366,26.934\n"
                                           "resnet50,16,12,2201600,1300500000,3199000000,51.561,53.539\n"
                                           "resnet50,64,12,2201600,1300500000,3199000000,191.631,55.357\n"
                                           "mobnet,1,12,2201600,1300500000,3199000000,18.025,20.856\n"
                                           "mobnet,16,12,2201600,1300500000,3199000000,28.115,38.516\n"
                                           "mobnet,64,12,2201600,1300500000,3199000000,102.086,39.504\n");
  auto w = run_cli("sim-check --leave-one-out --json --data '" + path + "'");
  ASSERT_EQ(w.exit_code, 0) << w.err;  // a report, not a check: out-of-tolerance predictions do not fail it
  auto j = nlohmann::json::parse(w.out);
  EXPECT_EQ(j["comparison"], "leave-one-workload-out");
  EXPECT_EQ(j["refits"], 2);
  EXPECT_EQ(j["fitted_parameters"], 11 + 2 * 6);
  EXPECT_EQ(j["targets"], 12);
  EXPECT_EQ(j["points"].size(), 6u);
  EXPECT_EQ(j["summary"]["checked"], 6);
  // predicting a workload the fit never saw is worse than fitting it
  EXPECT_GT(j["summary"]["time_mape_pct"].get<double>(), j["neutral_refit_in_sample"]["time_mape_pct"].get<double>());

  auto p = run_cli("sim-check --leave-one-out --hold-out point --fix kernels_fwd --json --data '" + path + "'");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  auto jp = nlohmann::json::parse(p.out);
  EXPECT_EQ(jp["comparison"], "leave-one-point-out");
  EXPECT_EQ(jp["refits"], 6);
  EXPECT_EQ(jp["fitted_parameters"], 11 + 2 * 5);
  EXPECT_GE(jp["summary"]["time_mape_pct"].get<double>(), jp["neutral_refit_in_sample"]["time_mape_pct"].get<double>());

  auto text = run_cli("sim-check --leave-one-out --data '" + path + "'");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("predicted_time_ms"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("23 fitted parameters, 12 targets"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("same procedure on all points (in-sample)"), std::string::npos) << text.out;

  EXPECT_EQ(run_cli("sim-check --hold-out point").exit_code, 2);                // needs --leave-one-out
  EXPECT_EQ(run_cli("sim-check --leave-one-out --hold-out mode").exit_code, 2);
  EXPECT_EQ(run_cli("sim-check --leave-one-out --fix nope --data '" + path + "'").exit_code, 2);
  EXPECT_EQ(run_cli("sim-check --leave-one-out --fit").exit_code, 2);
  std::filesystem::remove(path);
}

TEST(CliSimCheck, Json) {
  auto r = run_cli("sim-check --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["device"], "sim:orin-agx");
  EXPECT_EQ(j["provenance"], "emulated");
  ASSERT_EQ(j["points"].size(), 25u);
  int excluded = 0;
  for (const auto& p : j["points"]) {
    if (p["status"] == "excluded") {
      ++excluded;
      EXPECT_EQ(p["model"], "resnet50");
      EXPECT_EQ(p["batch_size"], 32);
    } else {
      EXPECT_EQ(p["status"], "ok");
      EXPECT_LE(std::abs(p["time_err_pct"].get<double>()), 20.0);
      EXPECT_LE(std::abs(p["power_err_pct"].get<double>()), 15.0);
    }
  }
  EXPECT_EQ(excluded, 1);
  EXPECT_EQ(j["summary"]["failed"], 0);
  EXPECT_EQ(j["summary"]["checked"], 24);
}

TEST(CliSimCheck, OutOfTolerancePointExitsOne) {
  auto path = temp_csv("simcheck_bad", std::string(kHeader) +
                                           "resnet50,16,12,2201600,1300500000,3199000000,51.56,53.54\n"
                                           "mobnet,64,12,2201600,1300500000,3199000000,102.08,20.0\n");
  auto r = run_cli("sim-check --data '" + path + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("FAIL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 of 2 points within tolerance"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("1 of 2 reference points are out of tolerance"), std::string::npos) << r.err;
  auto j = run_cli("sim-check --json --data '" + path + "'");
  EXPECT_EQ(j.exit_code, 1);
  auto parsed = nlohmann::json::parse(j.out);
  EXPECT_EQ(parsed["points"][1]["status"], "FAIL");
  // a looser tolerance lets it pass
  EXPECT_EQ(run_cli("sim-check --power-tol-pct 200 --data '" + path + "'").exit_code, 0);
  std::filesystem::remove(path);
}

TEST(CliSimCheck, BadInputs) {
  auto missing = run_cli("sim-check --data /nonexistent/ref.csv");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("/nonexistent/ref.csv"), std::string::npos) << missing.err;

  auto path = temp_csv("simcheck_unknown", std::string(kHeader) + "vgg16,16,12,2201600,1300500000,3199000000,5,5\n");
  auto unknown = run_cli("sim-check --data '" + path + "'");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find(":2"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("vgg16"), std::string::npos) << unknown.err;
  std::filesystem::remove(path);

  EXPECT_EQ(run_cli("sim-check --time-tol-pct -5").exit_code, 2);
  EXPECT_EQ(run_cli("sim-check --bogus").exit_code, 2);
  auto help = run_cli("sim-check --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--data"), std::string::npos);
}

}  // namespace
}  // namespace modewise
