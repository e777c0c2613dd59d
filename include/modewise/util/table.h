// Aligned text tables for terminals: numbers right-aligned, text left-aligned.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

namespace modewise::util {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const;
  size_t size() const { return rows_.size(); }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace modewise::util
