#include "modewise/util/table.h"

#include <algorithm>
#include <cctype>
#include <ostream>

namespace modewise::util {

namespace {
bool looks_numeric(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isdigit(c) || c == '.' || c == '-' || c == '+' || c == 'e' || c == '%' || c == 'x';
  }) && std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}
}  // namespace

void TextTable::print(std::ostream& out) const {
  std::vector<size_t> width(header_.size(), 0);
  for (size_t i = 0; i < header_.size(); ++i) width[i] = header_[i].size();
  for (const auto& r : rows_)
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  auto line = [&](const std::vector<std::string>& r, bool is_header) {
    for (size_t i = 0; i < width.size(); ++i) {
      std::string cell = i < r.size() ? r[i] : "";
      std::string pad(width[i] - std::min(width[i], cell.size()), ' ');
      if (i) out << "  ";
      if (!is_header && looks_numeric(cell))
        out << pad << cell;
      else
        out << cell << (i + 1 < width.size() ? pad : "");
    }
    out << '\n';
  };
  line(header_, true);
  size_t total = 0;
  for (size_t w : width) total += w;
  out << std::string(total + 2 * (width.empty() ? 0 : width.size() - 1), '-') << '\n';
  for (const auto& r : rows_) line(r, false);
}

}  // namespace modewise::util
