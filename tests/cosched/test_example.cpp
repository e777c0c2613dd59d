// Compiles examples/cosched_callbacks.cpp into the test binary and runs it briefly, so the shipped example
// keeps building and working.
#include <gtest/gtest.h>

#define main cosched_callbacks_example_main
#include "../../examples/cosched_callbacks.cpp"
#undef main

TEST(CoschedExample, RunsOnTheEmulatorAndServesEveryRequest) {
  char prog[] = "cosched_callbacks", dev[] = "sim:orin-agx", secs[] = "0.5";
  char* argv[] = {prog, dev, secs, nullptr};
  testing::internal::CaptureStdout();
  const int rc = cosched_callbacks_example_main(3, argv);
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("latency p50"), std::string::npos) << out;
  EXPECT_NE(out.find("mode switches 1"), std::string::npos) << out;
}
