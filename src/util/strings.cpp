#include "modewise/util/strings.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "modewise/util/error.h"

namespace modewise::util {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::vector<std::string> split_whitespace(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

double parse_double(std::string_view text, std::string_view context, std::string_view what) {
  std::string t = trim(text);
  double v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(v))
    throw Error("{}: expected {}, found '{}'", context, what, t);
  return v;
}

long long parse_int(std::string_view text, std::string_view context, std::string_view what) {
  std::string t = trim(text);
  long long v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size())
    throw Error("{}: expected {}, found '{}'", context, what, t);
  return v;
}

std::vector<double> parse_double_list(std::string_view text, std::string_view context) {
  std::vector<double> out;
  for (const auto& item : split(text, ',')) out.push_back(parse_double(item, context, "a comma-separated list of numbers"));
  return out;
}

std::vector<int> parse_int_list(std::string_view text, std::string_view context) {
  std::vector<int> out;
  for (const auto& item : split(text, ','))
    out.push_back(static_cast<int>(parse_int(item, context, "a comma-separated list of integers")));
  return out;
}

std::string format_number(double v) {
  if (std::isnan(v)) return "";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{:.10g}", v);
}

std::string expand_home(std::string_view path) {
  if (starts_with(path, "~/")) {
    const char* home = std::getenv("HOME");
    return std::string(home ? home : ".") + std::string(path.substr(1));
  }
  return std::string(path);
}

}  // namespace modewise::util
