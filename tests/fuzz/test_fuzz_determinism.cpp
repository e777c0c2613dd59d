// The fuzz inputs are the same on every architecture and compiler: `make arm64` (g++ for aarch64 under qemu-user)
// and the native builds must test the same inputs, so a failure found on one is reproducible on the other. The
// fingerprint below was taken on x86-64 (g++ 12) and must hold on aarch64 too; it broke there while the Mutator drew
// two random numbers inside one call's arguments (their order of evaluation is unspecified and differs by target).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "fuzz/fuzz.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::fuzz {
namespace {

uint64_t fnv1a(uint64_t h, const std::string& s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

TEST(FuzzDeterminism, MutationsAreTheSameOnEveryArchitecture) {
  Mutator m(42);
  const std::string base = "VDD_IN 5101mW/5101mW GR3D_FREQ 0%@[305,305] cpu@45.5C\n1,2,3\n";
  uint64_t h = 0xcbf29ce484222325ULL;
  for (int i = 0; i < 2000; ++i) h = fnv1a(h, m.mutate(base, {base, "other,seed\n"}));
  EXPECT_EQ(h, 10189651189908044484ULL) << "fingerprint of 2,000 mutations";
}

TEST(FuzzDeterminism, NumberErrorsStayOnOneLine) {
  // A quoted CSV field may hold a newline; the error naming it must still be one line.
  try {
    util::parse_double("107.4\"\"red\norin-agx,\x01", "f.csv:9: field 'time_ms'", "a positive number");
    FAIL() << "parsed";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("\\x0a"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace modewise::fuzz
