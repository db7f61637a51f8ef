#pragma once
// Import of the shipped benchmark tables (../shared/benchdata) into a Database.
// Every file is parsed first; then everything is written in ONE transaction, so
// a malformed file leaves the database unchanged. Documented quirks (missing
// values, -1e8 sentinels, the bare -Infinity literal, unpruned NB101 keys, the
// two TNB-micro sources) are stored as missing / separate sources and counted.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "zcnas/benchdb/database.hpp"

namespace zcnas::benchdb {

struct ImportFileReport {
  std::string file;            // path relative to the data folder
  std::string space;
  std::int64_t archs = 0;      // distinct archs in the file
  std::int64_t truth_rows = 0;
  std::int64_t score_rows = 0;
};

struct ImportReport {
  std::string dir;
  std::vector<ImportFileReport> files;
  std::map<std::string, std::int64_t> quirks;  // quirk description -> count
  std::int64_t changed = 0;                    // rows inserted or changed (0: already up to date)
  double parse_seconds = 0, write_seconds = 0;
};

// Called after each file is parsed (done = files parsed so far) and once more
// with file "writing" before the transaction.
using ImportProgress = std::function<void(const std::string& file, std::size_t done, std::size_t total)>;

// The files the importer reads, relative to the data folder.
const std::vector<std::string>& benchdata_files();

// Throws zcnas::Error (file + line + problem) for a missing folder/file or a
// malformed row that is not a documented quirk; the database is then unchanged.
ImportReport import_benchdata(Database& db, const std::string& dir, const ImportProgress& progress = {});

// Replaces bare NaN / Infinity / -Infinity tokens outside strings by null (NASLib
// wrote them; JSON has no such literals). Counts each kind in `counts`.
std::string sanitize_json_literals(std::string text, std::map<std::string, std::int64_t>& counts);

}  // namespace zcnas::benchdb
