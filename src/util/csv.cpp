#include "modewise/util/csv.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <ostream>
#include <sstream>

#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::util {

std::optional<size_t> CsvTable::column(std::string_view name) const {
  std::string want = to_lower(trim(name));
  for (size_t i = 0; i < header.size(); ++i)
    if (to_lower(trim(header[i])) == want) return i;
  return std::nullopt;
}

size_t CsvTable::require_column(std::string_view name, std::string_view expected_columns) const {
  if (auto c = column(name)) return *c;
  throw Error("{}: missing column '{}' (expected columns: {})", source, name, expected_columns);
}

std::string CsvTable::where(const CsvRow& row) const { return fmt::format("{}:{}", source, row.line); }

std::string CsvTable::where(const CsvRow& row, size_t col) const {
  return fmt::format("{}:{}: field '{}'", source, row.line, col < header.size() ? trim(header[col]) : "?");
}

CsvTable parse_csv(std::string_view text, std::string source) {
  CsvTable table;
  table.source = std::move(source);
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);

  std::vector<std::string> fields;
  std::string field;
  bool in_quotes = false, row_has_content = false;
  int line = 1, row_line = 1;
  auto end_row = [&]() {
    fields.push_back(std::move(field));
    field.clear();
    bool blank = !row_has_content && fields.size() == 1 && trim(fields[0]).empty();
    if (!blank) {
      if (table.header.empty() && table.rows.empty()) {
        table.header = std::move(fields);
        for (auto& h : table.header) h = trim(h);
      } else {
        if (fields.size() != table.header.size())
          throw Error("{}:{}: expected {} fields as in the header, found {}", table.source, row_line,
                      table.header.size(), fields.size());
        table.rows.push_back(CsvRow{row_line, std::move(fields)});
      }
    }
    fields.clear();
    row_has_content = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_quotes = true;
        row_has_content = true;
        break;
      case ',':
        fields.push_back(std::move(field));
        field.clear();
        row_has_content = true;
        break;
      case '\r':
        break;
      case '\n':
        end_row();
        ++line;
        row_line = line;
        break;
      case '\0':
        throw Error("{}:{}: unexpected NUL byte (not a text CSV file?)", table.source, line);
      default:
        field += c;
        row_has_content = true;
    }
  }
  if (in_quotes) throw Error("{}:{}: unterminated quoted field", table.source, row_line);
  if (row_has_content || !field.empty()) end_row();
  if (table.header.empty()) throw Error("{}: empty file (expected a CSV header row)", table.source);
  return table;
}

std::string read_text_file(const std::string& path) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error("cannot read '{}': it is a directory, expected a file", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read '{}': {}", path, std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CsvTable read_csv_file(const std::string& path) {
  return parse_csv(read_text_file(path), path == "-" ? "<stdin>" : path);
}

std::string CsvWriter::quote(std::string_view f) {
  if (f.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(f);
  std::string out = "\"";
  for (char c : f) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void CsvWriter::row(const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out_ << ',';
    out_ << quote(fields[i]);
  }
  out_ << '\n';
}

}  // namespace modewise::util
