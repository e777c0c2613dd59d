// tegrastats lines and logs: 100,000 random and mutated inputs (every fixture line is a seed).
#include "fuzz/fuzz.h"
#include "modewise/telemetry/tegrastats.h"
#include "modewise/util/strings.h"

#include <nlohmann/json.hpp>

using namespace modewise;

TEST(FuzzTegrastats, LinesParseOrFailWithAnError) {
  std::vector<std::string> seeds;
  for (const char* f : {"nano-jp4.log", "orin-agx-jp5.1.log", "orin-agx-jp6.log", "orin-nano-jp6.log",
                        "xavier-agx-jp4.2.log", "orin-agx-jp7.log", "thor-jp7.log", "orin-nano-super-jp6.2.log",
                        "variants.log"})
    for (const auto& line : util::split(fuzz::fixture_text(std::string("tegrastats/") + f), '\n'))
      if (!util::trim(line).empty()) seeds.push_back(line);
  seeds.push_back("RAM 2000/8000MB CPU [12%@1190,off,off,3%@1190] GR3D_FREQ 40%@[1300,1300] VIN 20000mW/19000mW/21000mW");
  seeds.push_back("CPU [10%,20%]@1224 EMC_FREQ 1%@1600 MTS fg 0% bg 0%");
  int n = 0;
  telemetry::TegrastatsParseOptions strict;
  strict.strict = true;
  auto t = fuzz::run(0x7e57a75, seeds, 160, [&n, &strict](const std::string& in) {
    if (n % 4 == 3) {  // every 4th input also with --strict (unknown fields are errors there)
      try {
        (void)telemetry::parse_tegrastats_line(in, "fuzz:1", strict);
      } catch (const Error&) {
      }
    }
    auto r = telemetry::parse_tegrastats_line(in, "fuzz:1");
    if (++n % 8) return;  // the JSON output for every 8th input (keeps the sanitizer run short)
    (void)telemetry::to_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);  // as the CLI does
  });
  EXPECT_GT(t.parsed, 1000);
  EXPECT_GT(t.errors, 1000);
}

TEST(FuzzTegrastats, LogsParseOrFailWithAnError) {
  std::string log = fuzz::fixture_text("tegrastats/orin-agx-jp6.log") + fuzz::fixture_text("tegrastats/nano-jp4.log");
  fuzz::Mutator m(99);
  fuzz::Tally t;
  for (int i = 0; i < fuzz::kInputs / 10; ++i)
    if (!fuzz::check([](const std::string& in) { telemetry::parse_tegrastats_log(in, "fuzz.log"); }, m.mutate(log),
                     t))
      break;
  EXPECT_GT(t.parsed + t.errors, fuzz::kInputs / 10 - 1);
}
