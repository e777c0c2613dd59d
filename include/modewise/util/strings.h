// Small string helpers shared by every parser. Number parsing is strict: the whole field must be a number,
// and the error names the context (file:line, field) and the text found.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace modewise::util {

std::string trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
// Whitespace-separated words (runs of spaces, tabs and newlines separate; no empty words).
std::vector<std::string> split_whitespace(std::string_view s);
std::string to_lower(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);

// Parse a finite double; throws Error("<context>: expected <what>, found '<text>'").
double parse_double(std::string_view text, std::string_view context, std::string_view what = "a number");
long long parse_int(std::string_view text, std::string_view context, std::string_view what = "an integer");
// Comma-separated numbers ("1,4,16"): throws naming the offending item.
std::vector<double> parse_double_list(std::string_view text, std::string_view context);
std::vector<int> parse_int_list(std::string_view text, std::string_view context);

// Format a double compactly and round-trip exactly enough for CSV (up to 10 significant digits).
std::string format_number(double v);

// Text safe to print on a terminal and on one line: valid UTF-8 is kept, control characters (newlines included)
// and bytes that are not valid UTF-8 become \xNN. Used for every error message, so errors never echo raw binary.
std::string escape_nonprintable(std::string_view s);
// Valid UTF-8 with every invalid byte replaced by the text \xNN (control characters are kept): names read from
// binary files (ONNX node names) pass through JSON writers safely.
std::string sanitize_utf8(std::string_view s);
bool is_valid_utf8(std::string_view s);

// Expand a leading "~/" with $HOME.
std::string expand_home(std::string_view path);

}  // namespace modewise::util
