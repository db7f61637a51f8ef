// Database: connection set-up, errors, transactions, architectures, runs.
// Ground truth and scores are in truth_store.cpp and score_store.cpp.
#include "zcnas/benchdb/database.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "db_impl.hpp"
#include "zcnas/common/error.hpp"

namespace zcnas::benchdb {

namespace fs = std::filesystem;

[[noreturn]] void Database::Impl::fail(const SQLite::Exception& e, const std::string& what) const {
  const int code = e.getErrorCode() & 0xff;
  const std::string input = "database " + path;
  const std::string ctx = what.empty() ? "" : what + ": ";
  switch (code) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw Error(input, ctx + "database is locked by another process",
                  "wait for the other zcnas process to finish, or raise ZCNAS_BUSY_TIMEOUT_MS");
    case SQLITE_READONLY:
      throw Error(input, ctx + "database is read-only (" + std::string(e.what()) + ")",
                  "make the file and its folder writable, or pass another --db");
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      throw Error(input, ctx + "not a zcnas database or corrupt (" + std::string(e.what()) + ")",
                  "pass another --db, or move the file away to start a new database");
    case SQLITE_CANTOPEN:
      throw Error(input, ctx + "cannot open the file (" + std::string(e.what()) + ")",
                  "check that the path exists and is accessible");
    case SQLITE_FULL:
      throw Error(input, ctx + "disk full", "free disk space and retry");
    default:
      throw Error(input, ctx + "SQLite error: " + e.what(), "");
  }
}

std::string normalize_settings(std::string_view settings_json) {
  if (settings_json.empty()) return "{}";
  try {
    return nlohmann::json::parse(settings_json).dump();
  } catch (const nlohmann::json::exception& e) {
    throw Error("proxy settings '" + std::string(settings_json) + "'", std::string("not valid JSON (") + e.what() + ")",
                "pass settings as a JSON object, e.g. {\"batch\":64}");
  }
}

namespace {

int busy_timeout_ms() {
  if (const char* e = std::getenv("ZCNAS_BUSY_TIMEOUT_MS"); e && *e) {
    char* end = nullptr;
    long v = std::strtol(e, &end, 10);
    if (end && *end == '\0' && v >= 0) return static_cast<int>(v);
  }
  return 5000;
}

// Migration i brings user_version from i to i+1. Append only; never edit a released one.
const char* const kMigrations[] = {
    // 0 -> 1: initial schema
    R"SQL(
CREATE TABLE archs(
  id          INTEGER PRIMARY KEY,
  space       TEXT NOT NULL,
  key         TEXT NOT NULL,
  canonical   TEXT,
  struct_hash TEXT,
  encoding    TEXT,
  UNIQUE(space, key));
CREATE INDEX archs_encoding ON archs(space, encoding);
CREATE INDEX archs_canonical ON archs(space, canonical);
CREATE INDEX archs_struct_hash ON archs(space, struct_hash);

CREATE TABLE truth(
  arch_id          INTEGER NOT NULL REFERENCES archs(id) ON DELETE CASCADE,
  dataset          TEXT NOT NULL,
  metric           TEXT NOT NULL,
  source           TEXT NOT NULL,
  value            REAL,
  higher_is_better INTEGER NOT NULL DEFAULT 1 CHECK(higher_is_better IN (0, 1)),
  status           TEXT NOT NULL DEFAULT 'ok',
  PRIMARY KEY(arch_id, dataset, metric, source),
  CHECK(value IS NULL OR status = 'ok')) WITHOUT ROWID;
CREATE INDEX truth_series ON truth(dataset, metric, source);

CREATE TABLE runs(
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL,
  command     TEXT NOT NULL DEFAULT '',
  config      TEXT NOT NULL DEFAULT '{}',
  started_at  TEXT NOT NULL DEFAULT (datetime('now')),
  finished_at TEXT,
  status      TEXT NOT NULL DEFAULT 'running',
  summary     TEXT NOT NULL DEFAULT '{}');

CREATE TABLE scores(
  id            INTEGER PRIMARY KEY,
  arch_id       INTEGER NOT NULL REFERENCES archs(id) ON DELETE CASCADE,
  dataset       TEXT NOT NULL,
  source        TEXT NOT NULL,
  proxy         TEXT NOT NULL,
  proxy_version INTEGER NOT NULL DEFAULT 1,
  settings      TEXT NOT NULL DEFAULT '{}',
  seed          INTEGER NOT NULL DEFAULT 0,
  batch_size    INTEGER NOT NULL DEFAULT 0,
  device        TEXT NOT NULL DEFAULT 'cpu',
  value         REAL,
  status        TEXT NOT NULL DEFAULT 'ok',
  seconds       REAL NOT NULL DEFAULT 0,
  run_id        INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  created_at    TEXT NOT NULL DEFAULT (datetime('now')),
  UNIQUE(arch_id, dataset, source, proxy, proxy_version, settings, seed, batch_size, device),
  CHECK(value IS NULL OR status = 'ok'));
CREATE INDEX scores_proxy ON scores(source, proxy, dataset);
)SQL",
    // 1 -> 2: cached feature records (ParZC node statistics, later other predictor inputs)
    R"SQL(
CREATE TABLE IF NOT EXISTS features(
  id         INTEGER PRIMARY KEY,
  arch_id    INTEGER NOT NULL REFERENCES archs(id) ON DELETE CASCADE,
  dataset    TEXT NOT NULL,
  kind       TEXT NOT NULL,
  version    INTEGER NOT NULL DEFAULT 1,
  settings   TEXT NOT NULL DEFAULT '{}',
  seed       INTEGER NOT NULL DEFAULT 0,
  batch_size INTEGER NOT NULL DEFAULT 0,
  device     TEXT NOT NULL DEFAULT 'cpu',
  data       TEXT NOT NULL,
  seconds    REAL NOT NULL DEFAULT 0,
  run_id     INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  created_at TEXT NOT NULL DEFAULT (datetime('now')),
  UNIQUE(arch_id, dataset, kind, version, settings, seed, batch_size, device));
CREATE INDEX IF NOT EXISTS features_kind ON features(kind, dataset);
)SQL",
};
constexpr int kMigrationCount = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);
static_assert(kMigrationCount == Database::kSchemaVersion, "one migration per schema version");

[[noreturn]] void newer_schema(const std::string& path, int found) {
  throw Error("database " + path,
              "schema version " + std::to_string(found) + " is newer than this zcnas understands (" +
                  std::to_string(Database::kSchemaVersion) + ")",
              "upgrade zcnas, or pass another --db");
}

}  // namespace

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;
Database::Impl& Database::impl() { return *impl_; }
const std::string& Database::path() const { return impl_->path; }
bool Database::read_only() const { return impl_->read_only; }

Database Database::open(const std::string& path, OpenMode mode) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->read_only = mode == OpenMode::ReadOnly;
  const std::string input = "database " + path;
  if (path.empty()) throw Error("database path", "empty", "pass --db PATH or set ZCNAS_DB");

  std::error_code ec;
  const bool exists = fs::exists(path, ec);
  if (exists && fs::is_directory(path, ec))
    throw Error(input, "is a directory", "pass the path of a database file, e.g. " + path + "/zcnas.db");
  if (mode == OpenMode::ReadOnly && !exists)
    throw Error(input, "no such file", "run `zcnas bench import` first, or pass another --db");
  if (mode == OpenMode::ReadWrite) {
    if (exists) {
      // Explicit check: root ignores permission bits, but a file marked read-only
      // says the user does not want it changed.
      const auto perms = fs::status(path, ec).permissions();
      if ((perms & fs::perms::owner_write) == fs::perms::none || ::access(path.c_str(), W_OK) != 0)
        throw Error(input, "file is read-only", "make it writable (chmod u+w) or pass another --db");
    } else {
      const fs::path parent = fs::path(path).parent_path();
      if (!parent.empty()) {
        fs::create_directories(parent, ec);
        if (ec) throw Error(input, "cannot create folder " + parent.string() + ": " + ec.message(), "pass another --db");
      }
    }
  }

  try {
    const int flags = impl->read_only ? SQLite::OPEN_READONLY : (SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    impl->db = std::make_unique<SQLite::Database>(path, flags, busy_timeout_ms());
    impl->db->exec("PRAGMA foreign_keys = ON");
    // Reading user_version also verifies that the file is a database at all.
    const int version = impl->db->execAndGet("PRAGMA user_version").getInt();
    if (version > kSchemaVersion) newer_schema(path, version);
    if (impl->read_only) {
      if (version < kSchemaVersion)
        throw Error(input, "schema version " + std::to_string(version) + " is older than " + std::to_string(kSchemaVersion),
                    "open it once without read-only mode (e.g. `zcnas bench import`) to migrate it");
    } else {
      if (impl->db->execAndGet("PRAGMA journal_mode").getString() != "wal")
        impl->db->exec("PRAGMA journal_mode = WAL");
      impl->db->exec("PRAGMA synchronous = NORMAL");
      if (version < kSchemaVersion) {
        impl->db->exec("BEGIN IMMEDIATE");
        try {
          // Re-read inside the write lock: another process may have migrated meanwhile.
          int v = impl->db->execAndGet("PRAGMA user_version").getInt();
          if (v > kSchemaVersion) newer_schema(path, v);
          for (; v < kSchemaVersion; ++v) {
            impl->db->exec(kMigrations[v]);
            impl->db->exec("PRAGMA user_version = " + std::to_string(v + 1));
          }
          impl->db->exec("COMMIT");
        } catch (...) {
          impl->db->exec("ROLLBACK");
          throw;
        }
      }
    }
  } catch (const SQLite::Exception& e) {
    impl->fail(e, "open");
  }
  return Database(std::move(impl));
}

int Database::schema_version() const {
  return impl_->guard("schema_version", [&] { return impl_->db->execAndGet("PRAGMA user_version").getInt(); });
}

std::int64_t Database::total_changes() const { return impl_->db->getTotalChanges(); }

void Database::transaction(const std::function<void()>& fn) {
  Impl& d = *impl_;
  if (d.tx_depth > 0) {
    ++d.tx_depth;
    try {
      fn();
    } catch (...) {
      --d.tx_depth;
      throw;
    }
    --d.tx_depth;
    return;
  }
  d.require_writable("write");
  d.guard("begin transaction", [&] { d.db->exec("BEGIN IMMEDIATE"); return 0; });
  d.tx_depth = 1;
  try {
    fn();
    d.guard("commit", [&] { d.db->exec("COMMIT"); return 0; });
    d.tx_depth = 0;
  } catch (...) {
    d.tx_depth = 0;
    d.arch_cache.clear();  // ids created in the rolled-back transaction are gone
    try {
      d.db->exec("ROLLBACK");
    } catch (...) {
    }
    throw;
  }
}

// ---- architectures -----------------------------------------------------------

std::int64_t Database::arch_id(std::string_view space, std::string_view key, bool create) {
  return impl_->arch_id(space, key, create);
}

std::int64_t Database::Impl::arch_id(std::string_view space, std::string_view key, bool create) {
  std::string ck;
  ck.reserve(space.size() + key.size() + 1);
  ck.append(space).push_back('\x1f');
  ck.append(key);
  if (auto it = arch_cache.find(ck); it != arch_cache.end()) return it->second;
  return guard("arch lookup", [&]() -> std::int64_t {
    auto& sel = stmt("SELECT id FROM archs WHERE space = ?1 AND key = ?2");
    sel.bind(1, std::string(space));
    sel.bind(2, std::string(key));
    std::int64_t id = 0;
    if (sel.executeStep()) id = sel.getColumn(0).getInt64();
    sel.reset();
    if (id == 0 && create) {
      require_writable("add an architecture");
      auto& ins = stmt("INSERT INTO archs(space, key) VALUES(?1, ?2)");
      ins.bind(1, std::string(space));
      ins.bind(2, std::string(key));
      ins.exec();
      ins.reset();
      id = db->getLastInsertRowid();
    }
    if (id != 0) arch_cache.emplace(std::move(ck), id);
    return id;
  });
}

namespace {
ArchInfo read_arch(SQLite::Statement& s) {
  ArchInfo a;
  a.id = s.getColumn(0).getInt64();
  a.space = s.getColumn(1).getString();
  a.key = s.getColumn(2).getString();
  if (!s.getColumn(3).isNull()) a.canonical = s.getColumn(3).getString();
  if (!s.getColumn(4).isNull()) a.struct_hash = s.getColumn(4).getString();
  if (!s.getColumn(5).isNull()) a.encoding = s.getColumn(5).getString();
  return a;
}
}  // namespace

std::optional<ArchInfo> Database::arch(std::string_view space, std::string_view key) {
  return impl_->guard("arch lookup", [&]() -> std::optional<ArchInfo> {
    SQLite::Statement s(*impl_->db, "SELECT id, space, key, canonical, struct_hash, encoding FROM archs WHERE space = ?1 AND key = ?2");
    s.bind(1, std::string(space));
    s.bind(2, std::string(key));
    if (!s.executeStep()) return std::nullopt;
    return read_arch(s);
  });
}

std::optional<ArchInfo> Database::arch_by_canonical(std::string_view space, std::string_view canonical) {
  return impl_->guard("arch lookup", [&]() -> std::optional<ArchInfo> {
    SQLite::Statement s(*impl_->db,
                        "SELECT id, space, key, canonical, struct_hash, encoding FROM archs WHERE space = ?1 AND canonical = ?2 LIMIT 1");
    s.bind(1, std::string(space));
    s.bind(2, std::string(canonical));
    if (!s.executeStep()) return std::nullopt;
    return read_arch(s);
  });
}

std::optional<ArchInfo> Database::arch_by_encoding(std::string_view space, std::string_view encoding) {
  return impl_->guard("arch lookup", [&]() -> std::optional<ArchInfo> {
    SQLite::Statement s(*impl_->db,
                        "SELECT id, space, key, canonical, struct_hash, encoding FROM archs WHERE space = ?1 AND "
                        "encoding = ?2 LIMIT 1");
    s.bind(1, std::string(space));
    s.bind(2, std::string(encoding));
    if (!s.executeStep()) return std::nullopt;
    return read_arch(s);
  });
}

void Database::set_arch_encoding(std::string_view space, std::string_view key, std::string_view encoding) {
  transaction([&] {
    const auto id = impl_->arch_id(space, key, true);
    impl_->guard("set encoding", [&] {
      auto& s = impl_->stmt("UPDATE archs SET encoding = ?2 WHERE id = ?1 AND encoding IS NOT ?2");
      s.bind(1, static_cast<std::int64_t>(id));
      s.bind(2, std::string(encoding));
      s.exec();
      s.reset();
      return 0;
    });
  });
}

void Database::set_arch_forms(std::string_view space, std::string_view key, const ArchForms& forms) {
  transaction([&] {
    const auto id = impl_->arch_id(space, key, true);
    impl_->guard("set canonical", [&] {
      auto& s = impl_->stmt(
          "UPDATE archs SET canonical = ?2, struct_hash = ?3 WHERE id = ?1 AND "
          "(canonical IS NOT ?2 OR struct_hash IS NOT ?3)");
      s.bind(1, static_cast<std::int64_t>(id));
      s.bind(2, forms.canonical);
      s.bind(3, forms.struct_hash);
      s.exec();
      s.reset();
      return 0;
    });
  });
}

std::int64_t Database::fill_canonical(std::string_view space,
                                      const std::function<std::optional<ArchForms>(const std::string& key)>& fn) {
  std::int64_t changed = 0;
  transaction([&] {
    std::vector<std::pair<std::int64_t, std::string>> keys;
    impl_->guard("list archs", [&] {
      SQLite::Statement s(*impl_->db, "SELECT id, key FROM archs WHERE space = ?1");
      s.bind(1, std::string(space));
      while (s.executeStep()) keys.emplace_back(s.getColumn(0).getInt64(), s.getColumn(1).getString());
      return 0;
    });
    for (const auto& [id, key] : keys) {
      auto forms = fn(key);
      if (!forms) continue;
      changed += impl_->guard("set canonical", [&] {
        auto& s = impl_->stmt(
            "UPDATE archs SET canonical = ?2, struct_hash = ?3 WHERE id = ?1 AND "
            "(canonical IS NOT ?2 OR struct_hash IS NOT ?3)");
        s.bind(1, static_cast<std::int64_t>(id));
        s.bind(2, forms->canonical);
        s.bind(3, forms->struct_hash);
        const int n = s.exec();
        s.reset();
        return static_cast<std::int64_t>(n);
      });
    }
  });
  return changed;
}

std::vector<std::string> Database::spaces() {
  return impl_->guard("list spaces", [&] {
    std::vector<std::string> out;
    SQLite::Statement s(*impl_->db, "SELECT DISTINCT space FROM archs ORDER BY space");
    while (s.executeStep()) out.push_back(s.getColumn(0).getString());
    return out;
  });
}

std::int64_t Database::arch_count(std::string_view space) {
  return impl_->guard("count archs", [&]() -> std::int64_t {
    if (space.empty()) return impl_->db->execAndGet("SELECT count(*) FROM archs").getInt64();
    SQLite::Statement s(*impl_->db, "SELECT count(*) FROM archs WHERE space = ?1");
    s.bind(1, std::string(space));
    s.executeStep();
    return s.getColumn(0).getInt64();
  });
}

// ---- runs ----------------------------------------------------------------------

std::int64_t Database::begin_run(std::string_view kind, std::string_view command, std::string_view config_json) {
  impl_->require_writable("record a run");
  const std::string config = normalize_settings(config_json);
  return impl_->guard("begin run", [&]() -> std::int64_t {
    SQLite::Statement s(*impl_->db, "INSERT INTO runs(kind, command, config) VALUES(?1, ?2, ?3)");
    s.bind(1, std::string(kind));
    s.bind(2, std::string(command));
    s.bind(3, config);
    s.exec();
    return impl_->db->getLastInsertRowid();
  });
}

void Database::finish_run(std::int64_t id, std::string_view status, std::string_view summary_json) {
  impl_->require_writable("record a run");
  const std::string summary = normalize_settings(summary_json);
  impl_->guard("finish run", [&] {
    SQLite::Statement s(*impl_->db,
                        "UPDATE runs SET status = ?2, summary = ?3, finished_at = datetime('now') WHERE id = ?1");
    s.bind(1, static_cast<std::int64_t>(id));
    s.bind(2, std::string(status));
    s.bind(3, summary);
    if (s.exec() != 1)
      throw Error("run " + std::to_string(id), "no such run in " + impl_->path, "use the id begin_run returned");
    return 0;
  });
}

std::vector<RunRecord> Database::runs(std::string_view kind, int limit) {
  return impl_->guard("list runs", [&] {
    std::vector<RunRecord> out;
    SQLite::Statement s(*impl_->db,
                        "SELECT id, kind, command, config, started_at, coalesce(finished_at, ''), status, summary "
                        "FROM runs WHERE ?1 = '' OR kind = ?1 ORDER BY id DESC LIMIT ?2");
    s.bind(1, std::string(kind));
    s.bind(2, limit);
    while (s.executeStep()) {
      RunRecord r;
      r.id = s.getColumn(0).getInt64();
      r.kind = s.getColumn(1).getString();
      r.command = s.getColumn(2).getString();
      r.config = s.getColumn(3).getString();
      r.started_at = s.getColumn(4).getString();
      r.finished_at = s.getColumn(5).getString();
      r.status = s.getColumn(6).getString();
      r.summary = s.getColumn(7).getString();
      out.push_back(std::move(r));
    }
    return out;
  });
}

}  // namespace zcnas::benchdb
