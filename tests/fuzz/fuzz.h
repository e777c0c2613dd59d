// A small deterministic fuzzer for the text parsers: random strings over an alphabet biased towards the formats'
// punctuation, and mutations of real fixtures (byte flips, insertions, deletions, duplicated or swapped ranges,
// extreme numbers, truncation, splices). Each input must either parse or throw modewise::Error with a message;
// anything else (another exception type, a crash, a sanitizer report) fails.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "modewise/util/csv.h"
#include "modewise/util/error.h"

namespace modewise::fuzz {

// n inputs, times MODEWISE_FUZZ_SCALE (a number in (0, 1], default 1) and at least 100: `make arm64` runs the fuzz
// tests under qemu-user, about 10x slower than native, with a smaller scale; the inputs stay deterministic.
inline int scaled(int n) {
  const char* s = std::getenv("MODEWISE_FUZZ_SCALE");
  double f = s && *s ? std::strtod(s, nullptr) : 1.0;
  if (!(f > 0) || f > 1) f = 1.0;
  return std::max(std::min(n, 100), static_cast<int>(n * f));
}

inline const int kInputs = scaled(100000);

inline std::string fixture_text(const std::string& rel) {
  return util::read_text_file(std::string(MODEWISE_SOURCE_DIR) + "/tests/fixtures/" + rel);
}

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng_() % n); }
  bool chance(int percent) { return below(100) < static_cast<size_t>(percent); }

  char any_char() {
    static const std::string alphabet =
        "0123456789012345678901234567890123456789%@[],/:=<>#-._ \t\n\n()"
        "abcdefxyzABCDEFGHMNRSTVWXYZ_mWkHzCoffonlineMHzPOWER_MODELPARAMCPUGPUEMC\"{}\r\0";
    if (chance(3)) return static_cast<char>(below(256));
    return alphabet[below(alphabet.size())];
  }

  std::string random_string(size_t max_len) {
    std::string s;
    size_t n = below(max_len + 1);
    for (size_t i = 0; i < n; ++i) s += any_char();
    return s;
  }

  // 1 to 4 random edits of `base`.
  std::string mutate(std::string s, const std::vector<std::string>& others = {}) {
    static const std::vector<std::string> extremes = {
        "-1", "0", "-256", "99999999999999999999999", "9223372036854775807", "-9223372036854775808",
        "1e309", "nan", "inf", "-0", "4294967296", "1.5", "", "%", "@", "[", "]", "[,]", "//", "off", "NC"};
    int edits = 1 + static_cast<int>(below(4));
    for (int e = 0; e < edits; ++e) {
      size_t pos = below(s.size() + 1);
      switch (below(9)) {
        case 0:  // flip a byte
          if (!s.empty()) s[below(s.size())] = any_char();
          break;
        case 1:  // insert bytes
          s.insert(pos, random_string(8));
          break;
        case 2:  // delete a range
          if (!s.empty()) s.erase(pos, 1 + below(16));
          break;
        case 3: {  // duplicate a range
          if (s.empty()) break;
          size_t a = below(s.size()), len = 1 + below(std::min<size_t>(64, s.size() - a));
          s.insert(pos, s.substr(a, len));
          break;
        }
        case 4: {  // replace a number with an extreme value
          size_t d = s.find_first_of("0123456789", pos);
          if (d == std::string::npos) break;
          size_t end = s.find_first_not_of("0123456789.", d);
          s.replace(d, (end == std::string::npos ? s.size() : end) - d, extremes[below(extremes.size())]);
          break;
        }
        case 5:  // truncate
          s.resize(pos);
          break;
        case 6: {  // swap two ranges of whitespace-separated text
          if (s.size() < 4) break;
          size_t a = below(s.size() / 2), b = s.size() / 2 + below(s.size() / 2);
          std::swap(s[a], s[b]);
          break;
        }
        case 7:  // splice in part of another input
          if (!others.empty()) {
            const std::string& o = others[below(others.size())];
            size_t a = below(o.size());
            s.insert(pos, o.substr(a, below(120)));
          }
          break;
        case 8: {  // repeat a character many times
          // One draw per statement: the order in which a call's arguments are evaluated is unspecified (g++ on
          // x86-64 and on aarch64 differ), and the inputs must be the same on every architecture.
          size_t n = 1 + below(300);
          char c = any_char();
          s.insert(pos, std::string(n, c));
          break;
        }
      }
    }
    return s;
  }

 private:
  std::mt19937_64 rng_;
};

inline std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s.substr(0, 300)) {
    if (c >= 32 && c < 127)
      out += static_cast<char>(c);
    else
      out += "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15];
  }
  return out;
}

struct Tally {
  int parsed = 0, errors = 0;
};

// Run `parse` on one input: a result or a modewise::Error with a non-empty message; anything else fails the test.
inline bool check(const std::function<void(const std::string&)>& parse, const std::string& input, Tally& t) {
  try {
    parse(input);
    ++t.parsed;
  } catch (const Error& e) {
    if (std::string(e.what()).empty()) {
      ADD_FAILURE() << "empty error message for input '" << printable(input) << "'";
      return false;
    }
    ++t.errors;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "non-modewise exception (" << e.what() << ") for input '" << printable(input) << "'";
    return false;
  }
  return true;
}

// kInputs inputs: half random strings, half mutations of the seeds; both outcomes must occur.
inline Tally run(uint64_t seed, const std::vector<std::string>& seeds, size_t random_len,
                 const std::function<void(const std::string&)>& parse) {
  Mutator m(seed);
  Tally t;
  for (int i = 0; i < kInputs; ++i) {
    std::string input = (i % 2 == 0 || seeds.empty()) ? m.random_string(random_len)
                                                      : m.mutate(seeds[m.below(seeds.size())], seeds);
    if (!check(parse, input, t)) break;
  }
  return t;
}

}  // namespace modewise::fuzz
