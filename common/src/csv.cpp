#include "zcnas/common/csv.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "zcnas/common/error.hpp"

namespace zcnas {

bool parse_double(std::string_view s, double& out) {
  while (!s.empty() && (s.front() == ' ')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ')) s.remove_suffix(1);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_int64(std::string_view s, long long& out) {
  while (!s.empty() && (s.front() == ' ')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ')) s.remove_suffix(1);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

CsvTable CsvTable::read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, "cannot open file", "check that the path exists and is readable");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

CsvTable CsvTable::parse(std::string_view text, const std::string& source_name) {
  CsvTable t;
  t.source_ = source_name;
  std::vector<std::string> fields;
  std::string field;
  std::size_t line = 1, row_start_line = 1;
  bool in_quotes = false, field_was_quoted = false, any_char_in_row = false;
  auto end_row = [&]() {
    fields.push_back(std::move(field));
    field.clear();
    if (t.header_.empty()) {
      t.header_ = std::move(fields);
    } else {
      if (fields.size() != t.header_.size())
        throw Error(source_name + " line " + std::to_string(row_start_line),
                    "row has " + std::to_string(fields.size()) + " fields, header has " +
                        std::to_string(t.header_.size()),
                    "the file may be truncated or corrupt");
      t.rows_.push_back(std::move(fields));
      t.lines_.push_back(row_start_line);
    }
    fields.clear();
    field_was_quoted = false;
    any_char_in_row = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    switch (c) {
      case '"':
        if (!field.empty())
          throw Error(source_name + " line " + std::to_string(line), "quote inside an unquoted field");
        in_quotes = true;
        field_was_quoted = true;
        any_char_in_row = true;
        break;
      case ',':
        fields.push_back(std::move(field));
        field.clear();
        field_was_quoted = false;
        any_char_in_row = true;
        break;
      case '\r':
        break;
      case '\n':
        if (any_char_in_row || !field.empty()) end_row();
        ++line;
        row_start_line = line;
        break;
      default:
        if (field_was_quoted)
          throw Error(source_name + " line " + std::to_string(line), "text after a closing quote");
        field.push_back(c);
        any_char_in_row = true;
    }
  }
  if (in_quotes)
    throw Error(source_name + " line " + std::to_string(row_start_line), "unterminated quoted field",
                "the file may be truncated");
  if (any_char_in_row || !field.empty()) end_row();
  if (t.header_.empty()) throw Error(source_name, "file is empty (no header row)");
  return t;
}

bool CsvTable::has_column(std::string_view name) const {
  for (const auto& h : header_)
    if (h == name) return true;
  return false;
}

std::size_t CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < header_.size(); ++i)
    if (header_[i] == name) return i;
  throw Error(source_, "missing column '" + std::string(name) + "'", "is this the right file?");
}

std::string CsvTable::where(std::size_t row, std::size_t col) const {
  return source_ + " line " + std::to_string(lines_[row]) + " column '" + header_[col] + "'";
}

double CsvTable::number(std::size_t row, std::size_t col) const {
  double v = 0;
  if (!parse_double(rows_[row][col], v))
    throw Error(where(row, col), "'" + rows_[row][col] + "' is not a number");
  return v;
}

long long CsvTable::integer(std::size_t row, std::size_t col) const {
  long long v = 0;
  if (!parse_int64(rows_[row][col], v))
    throw Error(where(row, col), "'" + rows_[row][col] + "' is not an integer");
  return v;
}

}  // namespace zcnas
