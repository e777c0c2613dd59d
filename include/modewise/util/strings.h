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

// Expand a leading "~/" with $HOME.
std::string expand_home(std::string_view path);

}  // namespace modewise::util
