// Atomic output files (util/atomic_file.h) and the text helpers that keep error messages and JSON printable.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "modewise/util/atomic_file.h"
#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::util {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("modewise_atomic_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& n) const { return (path / n).string(); }
  size_t entries() const { return static_cast<size_t>(std::distance(fs::directory_iterator(path), fs::directory_iterator())); }
};

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AtomicFile, TargetChangesOnlyOnCommit) {
  TempDir d;
  std::ofstream(d.file("out.csv")) << "old\n";
  {
    AtomicFile f(d.file("out.csv"));
    f.stream() << "new\n";
    f.stream().flush();
    EXPECT_EQ(slurp(d.file("out.csv")), "old\n");  // written beside it, not into it
    EXPECT_EQ(d.entries(), 2u);
    f.commit();
    EXPECT_TRUE(f.committed());
  }
  EXPECT_EQ(slurp(d.file("out.csv")), "new\n");
  EXPECT_EQ(d.entries(), 1u);
}

TEST(AtomicFile, WithoutCommitTheTargetIsUntouchedAndNoTemporaryIsLeft) {
  TempDir d;
  std::ofstream(d.file("keep.csv")) << "precious\n";
  try {
    AtomicFile f(d.file("keep.csv"));
    f.stream() << "partial";
    throw Error("the run failed");
  } catch (const Error&) {
  }
  EXPECT_EQ(slurp(d.file("keep.csv")), "precious\n");
  EXPECT_EQ(d.entries(), 1u);
  { AtomicFile f(d.file("new.csv")); }
  EXPECT_FALSE(fs::exists(d.file("new.csv")));
}

TEST(AtomicFile, DirectoriesAndMissingDirectoriesAreClearErrors) {
  TempDir d;
  try {
    AtomicFile f(d.path.string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_output_path(d.file("no/such/dir/x.csv")), Error);
  EXPECT_NO_THROW(check_output_path(d.file("x.csv")));
  write_file_atomically(d.file("w.txt"), "abc");
  EXPECT_EQ(slurp(d.file("w.txt")), "abc");
}

TEST(ReadTextFile, DirectoryIsNamedAsSuch) {
  TempDir d;
  try {
    read_text_file(d.path.string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
}

TEST(Text, EscapeNonprintableKeepsUtf8AndEscapesTheRest) {
  EXPECT_EQ(escape_nonprintable("plain"), "plain");
  EXPECT_EQ(escape_nonprintable("a\nb\x01"), "a\\x0ab\\x01");
  EXPECT_EQ(escape_nonprintable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(escape_nonprintable("caf\xc3\xa9 \xe2\x80\x94"), "caf\xc3\xa9 \xe2\x80\x94");  // é and an em dash stay
  EXPECT_EQ(escape_nonprintable("\x1b[31m"), "\\x1b[31m");
  EXPECT_EQ(escape_nonprintable("\xc3"), "\\xc3");              // truncated sequence
  EXPECT_EQ(escape_nonprintable("\xc0\xaf"), "\\xc0\\xaf");    // overlong
  EXPECT_EQ(escape_nonprintable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
}

TEST(Text, SanitizeUtf8KeepsControlCharactersForJsonToEscape) {
  EXPECT_EQ(sanitize_utf8("conv\xff\x01"), "conv\\xff\x01");
  EXPECT_TRUE(is_valid_utf8(sanitize_utf8("\xff\xfe\xc3\x28")));
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));
}

}  // namespace
}  // namespace modewise::util
