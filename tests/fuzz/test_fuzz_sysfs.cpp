// Values read from sysfs: frequency tables, CPU lists, the L4T release line and the board model.
#include "fuzz/fuzz.h"
#include "modewise/control/board.h"
#include "modewise/telemetry/sysfs.h"

using namespace modewise;

TEST(FuzzSysfsValues, TablesAndListsParseOrFailWithAnError) {
  std::vector<std::string> seeds = {"115200 192000 268800 2201600 \n", "204000 408000 665600 (kHz)\n",
                                    "306000000 408000000 1300500000", "0-11\n", "0-3,6 8", "0 1 2 3 "};
  auto t = fuzz::run(0x5f5, seeds, 60, [](const std::string& in) {
    (void)telemetry::parse_int_table(in, "available_frequencies");
    (void)telemetry::parse_cpu_list(in, "related_cpus");
  });
  EXPECT_GT(t.parsed, 1000);
  EXPECT_GT(t.errors, 1000);
}

TEST(FuzzSysfsValues, ReleaseAndModelNeverThrow) {
  fuzz::Mutator m(0x4e1);
  std::vector<std::string> seeds = {"# R35 (release), REVISION: 2.1, GCID: 32413640, BOARD: t186ref",
                                    "# R38 (release), REVISION: 2.0, GCID: 41844464, BOARD: generic",
                                    "NVIDIA Jetson AGX Orin Developer Kit", "Jetson-AGX",
                                    "NVIDIA Jetson AGX Thor Developer Kit",
                                    "NVIDIA Jetson Orin Nano Engineering Reference Developer Kit Super"};
  for (int i = 0; i < fuzz::kInputs; ++i) {
    std::string in = i % 2 ? m.random_string(80) : m.mutate(seeds[m.below(seeds.size())]);
    std::string r = control::parse_l4t_release(in);
    if (!r.empty()) {
      ASSERT_EQ(r[0], 'R');
    }
    (void)control::builtin_for_model(in);
    (void)control::jetpack_for_release(r);
    (void)control::jetpack_for_release(in);
  }
}
