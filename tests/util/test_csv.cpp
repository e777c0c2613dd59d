#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

using namespace modewise;
using util::parse_csv;

TEST(Csv, ParsesHeaderRowsAndLineNumbers) {
  auto t = parse_csv("a,b\n1,2\n\n3,4\n", "x.csv");
  ASSERT_EQ(t.header, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].line, 2);
  EXPECT_EQ(t.rows[1].line, 4);
  EXPECT_EQ(t.where(t.rows[1], 1), "x.csv:4: field 'b'");
}

TEST(Csv, QuotesCrlfAndBom) {
  auto t = parse_csv("\xEF\xBB\xBFname,v\r\n\"a,\"\"b\"\"\",1\r\n", "q.csv");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.header[0], "name");
  EXPECT_EQ(t.rows[0].fields[0], "a,\"b\"");
}

TEST(Csv, NoTrailingNewline) {
  auto t = parse_csv("a\n5", "n.csv");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0].fields[0], "5");
}

TEST(Csv, WrongFieldCountNamesLine) {
  try {
    parse_csv("a,b\n1,2\n3\n", "bad.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv:3"), std::string::npos) << e.what();
  }
}

TEST(Csv, UnterminatedQuoteAndEmpty) {
  EXPECT_THROW(parse_csv("a\n\"x\n", "u.csv"), Error);
  EXPECT_THROW(parse_csv("", "e.csv"), Error);
}

TEST(Csv, WriterRoundTrips) {
  std::ostringstream out;
  util::CsvWriter w(out);
  w.row({"a", "b,c", "d\"e"});
  auto t = parse_csv("h1,h2,h3\n" + out.str(), "w.csv");
  EXPECT_EQ(t.rows[0].fields, (std::vector<std::string>{"a", "b,c", "d\"e"}));
}

TEST(Csv, RandomInputNeverCrashes) {
  std::mt19937 rng(42);
  const std::string alphabet = "ab,\"\n\r 1.5\0-";
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    int n = static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) s += alphabet[rng() % alphabet.size()];
    try {
      auto t = parse_csv(s, "fuzz.csv");
      for (const auto& r : t.rows) EXPECT_EQ(r.fields.size(), t.header.size());
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("fuzz.csv"), std::string::npos);
    }
  }
}

TEST(Strings, StrictNumbers) {
  EXPECT_DOUBLE_EQ(util::parse_double(" 1.5 ", "ctx"), 1.5);
  EXPECT_THROW(util::parse_double("1.5x", "ctx"), Error);
  EXPECT_THROW(util::parse_double("", "ctx"), Error);
  EXPECT_THROW(util::parse_double("nan", "ctx"), Error);
  EXPECT_EQ(util::parse_int("12", "ctx"), 12);
  EXPECT_THROW(util::parse_int("1.2", "ctx"), Error);
  EXPECT_EQ(util::parse_int_list("1,4,16", "ctx"), (std::vector<int>{1, 4, 16}));
  try {
    util::parse_double("abc", "f.csv:3: field 'x'");
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "f.csv:3: field 'x': expected a number, found 'abc'");
  }
}

TEST(Strings, FormatNumber) {
  EXPECT_EQ(util::format_number(3199), "3199");
  EXPECT_EQ(util::format_number(1300.5), "1300.5");
  EXPECT_EQ(util::format_number(0.1 + 0.2), "0.3");
}
