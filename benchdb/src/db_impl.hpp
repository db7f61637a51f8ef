#pragma once
// Private state of zcnas::benchdb::Database (not installed, not part of the API).
#include <SQLiteCpp/SQLiteCpp.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "zcnas/benchdb/database.hpp"
#include "zcnas/common/error.hpp"

namespace zcnas::benchdb {

struct Database::Impl {
  std::string path;
  bool read_only = false;
  std::unique_ptr<SQLite::Database> db;
  int tx_depth = 0;
  // (space \x1f key) -> archs.id; cleared when a transaction rolls back.
  std::unordered_map<std::string, std::int64_t> arch_cache;
  // Prepared statements reused across calls (keyed by their SQL text).
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements;

  SQLite::Statement& stmt(const std::string& sql) {
    auto& p = statements[sql];
    if (!p) p = std::make_unique<SQLite::Statement>(*db, sql);
    return *p;
  }

  // Translates SQLite errors into zcnas::Error naming this database.
  [[noreturn]] void fail(const SQLite::Exception& e, const std::string& what) const;

  template <class F>
  auto guard(const char* what, F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const SQLite::Exception& e) {
      // Leave reusable statements in a clean state after an error.
      for (auto& [sql, s] : statements)
        if (s) try { s->reset(); } catch (...) {}
      fail(e, what);
    }
  }

  void require_writable(const std::string& action) const {
    if (read_only)
      throw Error("database " + path, "opened read-only, cannot " + action, "open it in read-write mode");
  }

  std::int64_t arch_id(std::string_view space, std::string_view key, bool create);
};

}  // namespace zcnas::benchdb
