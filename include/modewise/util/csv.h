// CSV that pandas reads and writes: comma separated, a header row, RFC 4180 quoting, '\n' line ends.
// Reading keeps the source name and line number of every row so errors can point at them.
#pragma once
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace modewise::util {

struct CsvRow {
  int line = 0;  // 1-based line number in the source
  std::vector<std::string> fields;
};

class CsvTable {
 public:
  std::string source;  // file name (or "<stdin>") for error messages
  std::vector<std::string> header;
  std::vector<CsvRow> rows;

  // Index of a column, or nullopt. Names compare case-insensitively after trimming.
  std::optional<size_t> column(std::string_view name) const;
  // Index of a column that must exist: throws Error("<source>: missing column 'x' (expected ...)").
  size_t require_column(std::string_view name, std::string_view expected_columns) const;
  // "file.csv:12" for a row.
  std::string where(const CsvRow& row) const;
  std::string where(const CsvRow& row, size_t col) const;  // "file.csv:12: field 'time_ms'"
};

// Parse CSV text. Throws Error naming source:line for an unterminated quote or a row whose field count
// differs from the header's. Blank lines are skipped; a UTF-8 BOM is ignored.
CsvTable parse_csv(std::string_view text, std::string source);
CsvTable read_csv_file(const std::string& path);  // "-" reads stdin

class CsvWriter {
 public:
  explicit CsvWriter(std::ostream& out) : out_(out) {}
  void row(const std::vector<std::string>& fields);
  static std::string quote(std::string_view field);

 private:
  std::ostream& out_;
};

// Whole file contents; throws Error("cannot read '<path>': <reason>").
std::string read_text_file(const std::string& path);

}  // namespace modewise::util
