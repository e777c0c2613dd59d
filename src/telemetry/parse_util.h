// Private to the parsers in src/telemetry and src/control: strict number parsing that formats nothing on success.
// The parsers try these first and call util::parse_* (which builds the error message and throws) only on failure,
// so a log with thousands of numbers does not format thousands of unused error contexts.
#pragma once
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>

namespace modewise::telemetry::detail {

inline std::string_view trim_view(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The same acceptance as util::parse_double / util::parse_int: the whole (trimmed) field, finite.
inline std::optional<double> try_double(std::string_view text) {
  std::string_view t = trim_view(text);
  double v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

inline std::optional<long long> try_int(std::string_view text) {
  std::string_view t = trim_view(text);
  long long v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  return v;
}

}  // namespace modewise::telemetry::detail
