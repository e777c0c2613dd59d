// The minibatch line protocol: 100,000 random and mutated lines, each parsed event fed to an assembler.
#include "fuzz/fuzz.h"
#include "modewise/control/probe_protocol.h"

using namespace modewise;

TEST(FuzzProbe, LinesParseOrFailWithAnError) {
  const long long now = 5000000000000LL;  // 5000 s of uptime, in ns
  std::vector<std::string> seeds = {"hello 1 1234",        "mb_begin 5000000000000", "fetch_end 5000010000000",
                                    "mb_end 5000090000000", "mb_begin",               "fetch_end",
                                    "mb_end",              "mb 1.5 20.25 5000100000000",
                                    "mb 0 3",              "mark epoch_1 5000000000001",
                                    "bye",                 "# comment"};
  control::MinibatchAssembler assembler(now - 1000000000);
  long long received = now;
  auto t = fuzz::run(0x9b0be, seeds, 80, [&](const std::string& in) {
    auto ev = control::parse_probe_line(in, "$MODEWISE_PIPE line 1");
    if (!ev) return;
    received += 1000;
    try {
      assembler.add(*ev, received, "$MODEWISE_PIPE line 1");
    } catch (const Error&) {
      assembler = control::MinibatchAssembler(now - 1000000000);  // a workload that breaks the order is stopped
      throw;
    }
  });
  EXPECT_GT(t.parsed, 1000);
  EXPECT_GT(t.errors, 1000);
}
