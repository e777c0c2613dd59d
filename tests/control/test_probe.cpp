// The minibatch line protocol: parsing and assembling records.
#include <gtest/gtest.h>

#include "modewise/control/probe_protocol.h"
#include "modewise/util/error.h"

using namespace modewise;
using namespace modewise::control;

TEST(Probe, ParsesEveryEvent) {
  EXPECT_FALSE(parse_probe_line("   ", "p:1"));
  EXPECT_FALSE(parse_probe_line("# comment", "p:1"));
  auto hello = *parse_probe_line("hello 1 4242", "p:1");
  EXPECT_EQ(hello.kind, ProbeKind::hello);
  EXPECT_EQ(hello.version, 1);
  auto begin = *parse_probe_line("mb_begin 123456789\n", "p:2");
  EXPECT_EQ(begin.kind, ProbeKind::mb_begin);
  EXPECT_EQ(*begin.t_ns, 123456789);
  EXPECT_FALSE(parse_probe_line("fetch_end", "p:3")->t_ns);
  auto mb = *parse_probe_line("mb 1.5 20.25 99", "p:4");
  EXPECT_EQ(mb.kind, ProbeKind::mb);
  EXPECT_DOUBLE_EQ(mb.fetch_ms, 1.5);
  EXPECT_DOUBLE_EQ(mb.compute_ms, 20.25);
  EXPECT_EQ(parse_probe_line("mark epoch_2", "p:5")->label, "epoch_2");
  EXPECT_EQ(parse_probe_line("bye", "p:6")->kind, ProbeKind::bye);
}

TEST(Probe, MalformedLinesNameTheLine) {
  auto msg = [](const std::string& line) {
    try {
      parse_probe_line(line, "$MODEWISE_PIPE line 9");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(msg("mb_start 1").find("$MODEWISE_PIPE line 9: unknown event 'mb_start'"), std::string::npos);
  EXPECT_NE(msg("mb_begin soon").find("line 9"), std::string::npos);
  EXPECT_NE(msg("mb_begin 1 2").find("takes 0 to 1 arguments"), std::string::npos);
  EXPECT_NE(msg("mb -1 2").find("fetch_ms"), std::string::npos);
  EXPECT_NE(msg("hello 2").find("version 2"), std::string::npos);
  EXPECT_NE(msg(std::string(600, 'x')).find("longer than 512"), std::string::npos);
}

TEST(Probe, AssemblesFetchAndComputeSplit) {
  const long long s = 1000000000;  // 1 s in ns
  MinibatchAssembler a(100 * s);
  auto add = [&](const std::string& line, long long received) { a.add(*parse_probe_line(line, "p"), received, "p"); };
  add("hello 1", 100 * s);
  add("mb_begin " + std::to_string(101 * s), 101 * s);
  add("fetch_end " + std::to_string(101 * s + 20000000), 101 * s);
  add("mb_end " + std::to_string(101 * s + 70000000), 101 * s);
  add("mb_begin", 102 * s);  // no timestamps: arrival times
  add("mb_end", 102 * s + 10000000);
  add("mb 3 7 " + std::to_string(103 * s), 103 * s);
  add("mark x", 103 * s);
  add("bye", 103 * s);
  ASSERT_EQ(a.records().size(), 3u);
  EXPECT_DOUBLE_EQ(a.records()[0].start_s, 1.0);
  EXPECT_DOUBLE_EQ(a.records()[0].time_ms, 70);
  EXPECT_DOUBLE_EQ(a.records()[0].fetch_ms, 20);
  EXPECT_DOUBLE_EQ(a.records()[0].compute_ms, 50);
  EXPECT_DOUBLE_EQ(a.records()[1].fetch_ms, 0);  // no fetch_end: all compute
  EXPECT_DOUBLE_EQ(a.records()[1].time_ms, 10);
  EXPECT_DOUBLE_EQ(a.records()[2].time_ms, 10);
  EXPECT_NEAR(a.records()[2].start_s, 2.99, 1e-12);
  EXPECT_TRUE(a.said_bye());
  EXPECT_EQ(a.marks(), 1u);
}

TEST(Probe, OutOfOrderEventsAndForeignClocksAreErrors) {
  const long long s = 1000000000;
  MinibatchAssembler a(0);
  EXPECT_THROW(a.add(*parse_probe_line("mb_end", "p"), s, "p"), Error);
  EXPECT_THROW(a.add(*parse_probe_line("fetch_end", "p"), s, "p"), Error);
  a.add(*parse_probe_line("mb_begin", "p"), s, "p");
  EXPECT_THROW(a.add(*parse_probe_line("mb_begin", "p"), s, "p"), Error);
  EXPECT_THROW(a.add(*parse_probe_line("mb 1 1", "p"), s, "p"), Error);
  EXPECT_THROW(a.add(*parse_probe_line("mb_end 10", "p"), s, "p"), Error);  // before its mb_begin
  try {
    // time.time_ns() instead of time.monotonic_ns(): decades away.
    a.add(*parse_probe_line("mb_end 1700000000000000000", "p"), s, "line 4");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("monotonic_ns"), std::string::npos);
  }
}
