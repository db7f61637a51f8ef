#pragma once
// A small RFC 4180 CSV reader (quoted fields, "" escapes, CRLF or LF).
// Hand-written rather than libcsv because every error must name the file, the
// line and the column, and the benchmark tables need a header-indexed view;
// libcsv's callback API reports only "parse error".
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace zcnas {

class CsvTable {
 public:
  // Reads and parses a whole file. Throws zcnas::Error naming the path (and line)
  // when the file is missing, empty, or has a row whose field count differs
  // from the header's, or an unterminated quote.
  static CsvTable read_file(const std::string& path);
  static CsvTable parse(std::string_view text, const std::string& source_name);

  const std::vector<std::string>& header() const { return header_; }
  std::size_t rows() const { return rows_.size(); }
  const std::vector<std::string>& row(std::size_t i) const { return rows_[i]; }
  std::size_t line_of(std::size_t row) const { return lines_[row]; }  // 1-based line in the file
  const std::string& source() const { return source_; }

  // Column index by name; throws naming the file and the missing column.
  std::size_t column(std::string_view name) const;
  bool has_column(std::string_view name) const;

  // Typed cell access with errors naming file, line and column.
  double number(std::size_t row, std::size_t col) const;
  long long integer(std::size_t row, std::size_t col) const;
  // "Where is this cell" for error messages: "file.csv line 12 column 'x'".
  std::string where(std::size_t row, std::size_t col) const;

 private:
  std::string source_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::size_t> lines_;
};

// Strict number parsing helpers (whole string must be consumed).
bool parse_double(std::string_view s, double& out);
bool parse_int64(std::string_view s, long long& out);

}  // namespace zcnas
