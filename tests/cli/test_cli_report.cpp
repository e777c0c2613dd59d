// End-to-end: `modewise characterize` (CSV, store, resume, errors) and `modewise report` (HTML page, JSON summary,
// errors), and the sample report rendered in headless Chromium (skipped where /usr/bin/chromium is absent).
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <regex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/run_cli.h"
#include "control/fake_sysfs.h"

namespace modewise::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + what.size())) ++n;
  return n;
}

// One store with a sample characterization and a sample profiling campaign, shared by the tests of this file.
class ReportCli : public ::testing::Test {
 protected:
  static fs::path dir;
  static std::string db, char_cmd;
  static CliResult characterize, profile;

  static void SetUpTestSuite() {
    dir = fs::temp_directory_path() / ("mw_cli_report_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    db = "--db '" + (dir / "store.db").string() + "'";
    char_cmd = db + " characterize --device sim:orin-agx --workload resnet18 --sweep workers=0,2,4 "
                    "--sweep storage=nvme,hdd --sweep mode=maxn,MODE_30W --minibatches 20 --dataset-samples 3200 "
                    "--out '" + (dir / "char.csv").string() + "'";
    characterize = run_cli(char_cmd);
    profile = run_cli(db + " profile --device sim:orin-agx --workload resnet50 --modes random:30 --grid fulcrum "
                           "--minibatches 20 --out '" + (dir / "profile.csv").string() + "'");
  }
  static void TearDownTestSuite() { fs::remove_all(dir); }
};
fs::path ReportCli::dir;
std::string ReportCli::db, ReportCli::char_cmd;
CliResult ReportCli::characterize, ReportCli::profile;

TEST_F(ReportCli, CharacterizeWritesOneRowPerConfiguration) {
  ASSERT_EQ(characterize.exit_code, 0) << characterize.err;
  EXPECT_THAT(characterize.err, HasSubstr("emulated (sim:orin-agx)"));
  EXPECT_THAT(characterize.err, HasSubstr("12 of 12 configurations done (0 resumed, 12 profiled now)"));
  std::string csv = slurp(dir / "char.csv");
  EXPECT_EQ(csv.rfind("batch_size,workers,storage,mode,cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,", 0), 0u);
  EXPECT_EQ(count(csv, "\n"), 13u);
  EXPECT_THAT(csv, HasSubstr("\n16,0,hdd,MODE_30W,8,"));
  EXPECT_THAT(csv, HasSubstr(",emulated,"));
}

TEST_F(ReportCli, CharacterizeResumesFromTheStore) {
  ASSERT_EQ(characterize.exit_code, 0) << characterize.err;
  std::string before = slurp(dir / "char.csv");
  auto again = run_cli(char_cmd);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("12 of 12 configurations done (12 resumed, 0 profiled now)"));
  EXPECT_EQ(slurp(dir / "char.csv"), before);
}

TEST_F(ReportCli, CharacterizeJsonSummaryAndStdout) {
  std::string own_db = "--db '" + (dir / "lstm.db").string() + "'";
  auto r = run_cli(own_db + " characterize --device orin-agx --workload lstm --sweep batch-size=8,16 --minibatches 10 "
                        "--out '" + (dir / "lstm.csv").string() + "' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["configs_total"], 2);
  EXPECT_EQ(j["provenance"], "emulated");
  EXPECT_EQ(j["campaigns"].size(), 2u);
  auto s = run_cli("characterize --no-db --device sim:orin-nano --workload mobilenetv3 --minibatches 5");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(count(s.out, "\n"), 2u);  // header + the one default configuration (batch 16, 4 workers, nvme, maxn)
  EXPECT_THAT(s.out, HasSubstr("\n16,4,nvme,maxn,"));
}

TEST_F(ReportCli, CharacterizeRejectsBadArguments) {
  struct Case {
    std::string args, message;
    int code;
  } cases[] = {
      {"--sweep threads=1,2", "unknown axis 'threads'", 2},
      {"--sweep storage=tape", "unknown storage medium 'tape'", 2},
      {"--sweep mode=turbo", "'turbo' is not a mode", 2},
      {"--sweep workers=1,1", "repeated", 2},
      {"--container img:1 --command 'python3 t.py'", "real board", 2},
      {"--storage-path sd=/x", "real board", 2},
      {"--sweep batch-size=x", "expected a batch size", 2},
  };
  for (const auto& c : cases) {
    auto r = run_cli("characterize --no-db --device sim:orin-agx --workload resnet18 " + c.args);
    EXPECT_EQ(r.exit_code, c.code) << c.args << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << c.args;
  }
  auto r = run_cli("characterize --no-db --device sim:orin-agx --workload alexnet");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown workload 'alexnet'"));
  r = run_cli("characterize --no-db --device sim:orin-agx");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--workload"));
  r = run_cli("characterize --no-db --device sim:orin-agx --workload resnet18 --container img");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("give --command too"));
}

TEST_F(ReportCli, ReportWritesTheWholeStore) {
  ASSERT_EQ(characterize.exit_code, 0) << characterize.err;
  ASSERT_EQ(profile.exit_code, 0) << profile.err;
  auto html_path = dir / "report.html";
  auto r = run_cli(db + " report --out '" + html_path.string() + "' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["characterizations"].size(), 1u);
  EXPECT_EQ(j["characterizations"][0]["configurations"], 12);
  EXPECT_EQ(j["campaigns"].size(), 1u);  // the resnet50 profile; the characterization's campaigns are in its section
  std::string html = slurp(html_path);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(count(html, "<svg"), static_cast<size_t>(j["plots"].get<int>()));
  EXPECT_EQ(count(html, "<table"), static_cast<size_t>(j["tables"].get<int>()));
  EXPECT_EQ(count(html, "class=\"x-label\""), count(html, "<svg"));
  EXPECT_EQ(count(html, "class=\"y-label\""), count(html, "<svg"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, HasSubstr("Roofline: resnet50 train batch 16 on orin-agx"));
  EXPECT_THAT(html, HasSubstr("Fetch stall (% of time) by workers"));
  EXPECT_THAT(r.err, HasSubstr("wrote"));
  // an emulated store: nothing in the page calls its points measured
  EXPECT_THAT(html, Not(HasSubstr("measured mode")));
  EXPECT_THAT(html, HasSubstr("Each grey point is one emulated mode"));
  EXPECT_THAT(html, HasSubstr("emulated (sim:orin-agx), not measured"));
  EXPECT_EQ(j["campaigns"][0]["provenance"], "emulated");
}

TEST_F(ReportCli, ReportOfOneCampaignAndErrors) {
  ASSERT_EQ(profile.exit_code, 0) << profile.err;
  auto list = run_cli(db + " db list --json");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  std::string id;
  for (const auto& c : nlohmann::json::parse(list.out))
    if (c["workload"] == "resnet50") id = c["id"];
  ASSERT_FALSE(id.empty());
  auto r = run_cli(db + " report --campaign " + id.substr(0, 10) + " --out -");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Campaign " + id));
  EXPECT_THAT(r.out, Not(HasSubstr("Characterization ")));

  auto bad = run_cli(db + " report --campaign zzzz --out '" + (dir / "x.html").string() + "'");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("no campaign or characterization 'zzzz'"));
  auto missing = run_cli("--db '" + (dir / "none.db").string() + "' report --out x.html");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("no store at this path"));
  auto usage = run_cli(db + " report");
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_EQ(run_cli("report --help").exit_code, 0);
  EXPECT_EQ(run_cli("characterize --help").exit_code, 0);
}

// ---- a real board (the jetson backend on a fake sysfs tree)

std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

CliResult run_cli_env(const std::string& env, const std::string& args, const fs::path& io) {
  std::string cmd = env + " " + sh_quote(MODEWISE_CLI) + " " + args + " </dev/null >" + sh_quote((io / "out").string()) +
                    " 2>" + sh_quote((io / "err").string());
  int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(io / "out");
  r.err = slurp(io / "err");
  return r;
}

TEST(CharacterizeBoard, RunsTheCommandPerConfigurationAndDropsThePageCache) {
  modewise::testing::FakeSysfs fake(modewise::testing::Board::orin_nano_jp6);
  fake.set_rail_mw("VDD_IN", 9000);
  fake.write("/proc/sys/vm/drop_caches", "0\n");
  modewise::testing::TempDir state, work;
  const fs::path log = fs::path(work.path()) / "seen.txt";
  // The "training program": logs what it was given, then reports minibatches on the protocol pipe.
  std::string cmd = "echo \"$MODEWISE_BATCH_SIZE $MODEWISE_WORKERS $MODEWISE_STORAGE $MODEWISE_DATA_DIR {batch_size} "
                    "{data_dir}\" >> " + log.string() +
                    "; i=0; while [ $i -lt 100 ]; do printf 'mb_begin\\nfetch_end\\n'; sleep 0.005; printf "
                    "'mb_end\\n'; i=$((i+1)); done > \"$MODEWISE_PIPE\"";
  std::string args = "--sysfs-root " + fake.root() + " characterize --device jetson --workload mine --command " +
                     sh_quote(cmd) + " --sweep batch-size=8,16 --sweep storage=sd,ssd --storage-path sd=/data/sd " +
                     "--storage-path ssd=/data/ssd --minibatches 3 --warmup-allowance 1 --settle-ms 0 --no-db --out " +
                     (fs::path(work.path()) / "c.csv").string();
  auto r = run_cli_env("MODEWISE_STATE_DIR=" + state.path(), args, work.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("4 of 4 configurations done"));
  EXPECT_THAT(r.err, Not(HasSubstr("page cache")));
  EXPECT_EQ(fake.read("/proc/sys/vm/drop_caches"), "3");
  EXPECT_EQ(slurp(log), "8 4 sd /data/sd 8 /data/sd\n8 4 ssd /data/ssd 8 /data/ssd\n"
                        "16 4 sd /data/sd 16 /data/sd\n16 4 ssd /data/ssd 16 /data/ssd\n");
  std::string csv = slurp(fs::path(work.path()) / "c.csv");
  EXPECT_EQ(count(csv, "\n"), 5u) << csv;
  EXPECT_THAT(csv, HasSubstr("\n16,4,ssd,maxn,"));
  EXPECT_THAT(csv, HasSubstr(",orin-nano,mine,train,measured,"));

  // Without a writable drop_caches (not root): one warning, and the sweep goes on.
  fake.remove("/proc/sys/vm");
  fs::remove(log);
  auto w = run_cli_env("MODEWISE_STATE_DIR=" + state.path(), args, work.path());
  ASSERT_EQ(w.exit_code, 0) << w.err;
  EXPECT_EQ(count(w.err, "cannot drop the page cache"), 1u) << w.err;
  EXPECT_EQ(count(slurp(log), "\n"), 4u);

  // Sweeping storage on a board needs a directory per medium.
  auto bad = run_cli_env("MODEWISE_STATE_DIR=" + state.path(),
                         "--sysfs-root " + fake.root() + " characterize --device jetson --command true --no-db "
                         "--sweep storage=sd,hdd --storage-path sd=/x",
                         work.path());
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("--storage-path hdd=DIR"));
  auto no_cmd = run_cli_env("MODEWISE_STATE_DIR=" + state.path(),
                            "--sysfs-root " + fake.root() + " characterize --device jetson --workload resnet18 --no-db",
                            work.path());
  EXPECT_EQ(no_cmd.exit_code, 2) << no_cmd.err;
  EXPECT_THAT(no_cmd.err, HasSubstr("give --command"));
}

// ---- headless Chromium

std::string chromium_path() {
  const char* env = std::getenv("CHROMIUM");
  std::string p = env && *env ? env : "/usr/bin/chromium";
  return ::access(p.c_str(), X_OK) == 0 ? p : "";
}

// Width and height from a PNG's IHDR chunk; {0, 0} when the file is not a PNG.
std::pair<uint32_t, uint32_t> png_size(const std::string& bytes) {
  static const std::string sig = "\x89PNG\r\n\x1a\n";
  if (bytes.size() < 24 || bytes.compare(0, 8, sig) != 0 || bytes.compare(12, 4, "IHDR") != 0) return {0, 0};
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

CliResult render(const fs::path& html, const fs::path& png, const fs::path& dom, const fs::path& log) {
  std::string script = std::string(MODEWISE_SOURCE_DIR) + "/scripts/screenshot_report.sh";
  std::string cmd = "bash '" + script + "' '" + html.string() + "' '" + png.string() + "' 1280,2000 '" + dom.string() +
                    "' '" + log.string() + "' > /dev/null 2>&1";
  CliResult r;
  int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST_F(ReportCli, SampleReportRendersInHeadlessChromium) {
  if (chromium_path().empty())
    GTEST_SKIP() << "headless Chromium not installed (/usr/bin/chromium or $CHROMIUM): the report was not rendered. "
                    "Install it with `apt-get install chromium` or `make test WITH_CHROMIUM=1`; CI installs it.";
  ASSERT_EQ(characterize.exit_code, 0) << characterize.err;
  ASSERT_EQ(profile.exit_code, 0) << profile.err;
  // Kept next to the built CLI so CI can publish it: <build>/report-sample/{report.html,report.png,dom.html,log.txt}
  fs::path out = fs::path(MODEWISE_CLI).parent_path() / "report-sample";
  fs::create_directories(out);
  auto r = run_cli(db + " report --out '" + (out / "report.html").string() + "' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int plots = nlohmann::json::parse(r.out)["plots"];

  // The check can fail: a page with a script error shows up in Chromium's log.
  std::ofstream(dir / "broken.html") << "<!DOCTYPE html><html><body><p>x</p><script>missing.call();</script></body></html>";
  ASSERT_EQ(render(dir / "broken.html", dir / "broken.png", dir / "broken.dom", dir / "broken.log").exit_code, 0);
  EXPECT_THAT(slurp(dir / "broken.log"), HasSubstr(":CONSOLE"));

  auto rr = render(out / "report.html", out / "report.png", out / "dom.html", out / "log.txt");
  ASSERT_EQ(rr.exit_code, 0) << slurp(out / "log.txt");
  std::string png = slurp(out / "report.png");
  auto [w, h] = png_size(png);
  EXPECT_EQ(w, 1280u);
  EXPECT_EQ(h, 2000u);
  EXPECT_GT(png.size(), 60u * 1024) << "screenshot looks blank (" << png.size() << " bytes)";
  std::string log = slurp(out / "log.txt");
  EXPECT_THAT(log, Not(HasSubstr(":CONSOLE"))) << log;
  // The DOM as Chromium parsed it: the whole page, every plot an SVG element with both axis labels.
  std::string dom = slurp(out / "dom.html");
  EXPECT_THAT(dom, HasSubstr("id=\"report-end\""));
  EXPECT_EQ(count(dom, "<svg"), static_cast<size_t>(plots));
  EXPECT_EQ(count(dom, "class=\"x-label\""), static_cast<size_t>(plots));
  EXPECT_EQ(count(dom, "class=\"y-label\""), static_cast<size_t>(plots));
}

}  // namespace
}  // namespace modewise::test
