// Fuzz: truncated and mutated ONNX files must give a modewise::Error naming the file, never a crash or another
// exception type. Deterministic (fixed seeds), a few thousand cases.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "modewise/roofline/onnx_analyzer.h"
#include "modewise/util/error.h"

namespace modewise::roofline {
namespace {

std::string read_fixture(const std::string& name) {
  std::ifstream in(std::string(MODEWISE_SOURCE_DIR) + "/tests/fixtures/onnx/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Analyze; return "" on success or the Error's message. Any other exception fails the test.
std::string try_analyze(const std::string& bytes, const std::string& label) {
  try {
    analyze_onnx_bytes(bytes, "fuzz.onnx", {4, false});
    return "";
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << label << ": unexpected exception type: " << e.what();
    return e.what();
  }
}

class OnnxFuzz : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxFuzz, TruncatedFilesGiveClearErrors) {
  const std::string bytes = read_fixture(GetParam());
  ASSERT_GT(bytes.size(), 1000u);
  int errors = 0;
  const size_t step = std::max<size_t>(1, bytes.size() / 600);
  for (size_t n = 0; n < bytes.size(); n += step) {
    std::string msg = try_analyze(bytes.substr(0, n), "truncated at " + std::to_string(n));
    if (!msg.empty()) {
      ++errors;
      EXPECT_NE(msg.find("fuzz.onnx"), std::string::npos) << msg;
    }
  }
  EXPECT_GT(errors, 0);
}

TEST_P(OnnxFuzz, MutatedFilesNeverCrash) {
  const std::string bytes = read_fixture(GetParam());
  std::mt19937_64 rng(std::hash<std::string>{}(GetParam()) ^ 0x5eed);
  int errors = 0, ok = 0;
  for (int i = 0; i < 1200; ++i) {
    std::string m = bytes;
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % m.size();
      switch (rng() % 4) {
        case 0: m[pos] = static_cast<char>(rng()); break;                  // overwrite
        case 1: m[pos] = static_cast<char>(m[pos] ^ (1 << (rng() % 8))); break;  // bit flip
        case 2: m.insert(pos, 1, static_cast<char>(rng())); break;         // insert
        default: m.erase(pos, 1 + rng() % 16); break;                      // delete a run
      }
      if (m.empty()) m.assign(1, 'x');  // not = "x": g++ 12 -Wrestrict false positive
    }
    std::string msg = try_analyze(m, "mutation " + std::to_string(i));
    (msg.empty() ? ok : errors)++;
  }
  EXPECT_EQ(ok + errors, 1200);
  EXPECT_GT(errors, 0);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, OnnxFuzz, ::testing::Values("lstm.onnx", "resnet18.onnx"),
                         [](const auto& info) {
                           std::string n = info.param;
                           return n.substr(0, n.find('.'));
                         });

TEST(OnnxErrors, GarbageEmptyAndMissingFiles) {
  EXPECT_THROW(analyze_onnx_bytes("", "empty.onnx", {}), Error);
  try {
    analyze_onnx_bytes("this is not a protobuf at all \xff\xff\xff", "junk.onnx", {});
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("junk.onnx"), std::string::npos);
  }
  try {
    analyze_onnx_file("/nonexistent/model.onnx", {});
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read '/nonexistent/model.onnx'"), std::string::npos);
  }
  EXPECT_THROW(analyze_onnx_bytes(read_fixture("lstm.onnx"), "lstm.onnx", {0, false}), UsageError);
}

}  // namespace
}  // namespace modewise::roofline
