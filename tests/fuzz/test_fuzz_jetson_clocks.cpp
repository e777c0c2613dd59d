// `jetson_clocks --show`: 100,000 random and mutated inputs.
#include "fuzz/fuzz.h"
#include "modewise/telemetry/jetson_clocks.h"
#include "modewise/util/strings.h"

using namespace modewise;

TEST(FuzzJetsonClocks, ShowOutputParsesOrFailsWithAnError) {
  auto lines = util::split(fuzz::fixture_text("jetson_clocks/orin-agx-jp5.1-show.txt"), '\n');
  std::vector<std::string> seeds;
  for (size_t start = 0; start < lines.size(); start += 3) {
    std::string s;
    for (size_t i = start; i < std::min(lines.size(), start + 8); ++i) s += lines[i] + "\n";
    seeds.push_back(s);
  }
  auto t = fuzz::run(0xc10c, seeds, 160,
                     [](const std::string& in) { telemetry::parse_jetson_clocks_show(in, "show.txt"); });
  EXPECT_GT(t.parsed, 1000);
  EXPECT_GT(t.errors, 1000);
}
