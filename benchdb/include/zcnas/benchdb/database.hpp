#pragma once
// The zcnas database: one embedded SQLite file holding architectures, benchmark
// ground truth, proxy scores with full provenance (the score cache) and run
// records. Schema and migrations: docs/schema.md.
//
// Thread/process safety: WAL journal, foreign keys on, a busy timeout (default
// 5000 ms, env ZCNAS_BUSY_TIMEOUT_MS overrides) so several processes can share a
// file. One Database object per thread (SQLite connections are not shared).
//
// Every failure is a zcnas::Error naming the database path, what went wrong and
// what to do (newer schema, read-only file, locked file, corrupt file, ...).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zcnas::benchdb {

enum class OpenMode {
  ReadWrite,  // creates parent directories and the file, migrates to the current schema
  ReadOnly,   // the file must exist; never writes (no migration: an older schema is an error)
};

// Everything that makes two proxy scores comparable. A cached score is reused
// only when every field matches (settings compared after JSON normalisation:
// key order and whitespace do not matter).
struct Provenance {
  std::string source = "zcnas";  // who computed it: "zcnas", "naslib", ...
  std::string proxy;             // proxy name as registered: "synflow", "nwot", ...
  int proxy_version = 1;         // bump when a proxy's numbers change
  std::string settings = "{}";   // proxy settings as a JSON object
  std::uint64_t seed = 0;
  int batch_size = 0;            // 0 = unknown (imported tables that do not say)
  std::string device = "cpu";
  bool operator==(const Provenance&) const = default;
};

struct ScoreRow {
  std::string space, arch_key, dataset;
  Provenance prov;
  std::optional<double> value;  // absent = missing/failed/non-finite; never NaN/Inf
  std::string status = "ok";    // "ok", "missing", "failed", "nan", "inf", "sentinel", ...
  double seconds = 0;           // wall time to compute (0 = unknown)
  std::optional<std::int64_t> run_id;  // the run that computed it, if any
};

struct TruthRow {
  std::string space, arch_key, dataset;  // dataset or task name as in benchdata
  std::string metric;                    // "val_acc", "val_accuracy", "valid_ppl", ...
  std::string source;                    // "bench" (the benchmark's table) or "naslib" (Suite-Zero JSON)
  std::optional<double> value;           // absent = missing in the table
  bool higher_is_better = true;
  std::string status = "ok";
};

// Everything that makes two cached feature records comparable (as Provenance for
// scores): feature kind ("node_stats", ...), its version and settings, the seed, the
// input batch size and the device it was computed on.
struct FeatureProvenance {
  std::string kind;
  int version = 1;
  std::string settings = "{}";  // JSON object, compared after normalisation
  std::uint64_t seed = 0;
  int batch_size = 0;
  std::string device = "cpu";
  bool operator==(const FeatureProvenance&) const = default;
};

// One cached feature record of an arch: `data` is JSON text whose layout the kind
// defines (node_stats: proxies/node_stats.hpp).
struct FeatureRow {
  std::string space, arch_key, dataset;
  FeatureProvenance prov;
  std::string data;
  double seconds = 0;
  std::optional<std::int64_t> run_id;
};

// A proxy as stored: (source, name) and the number of score rows.
struct StoredProxy {
  std::string source, proxy;
  std::int64_t rows = 0;
};

// A set of feature records as stored: one dataset and provenance, and its row count.
struct StoredFeatures {
  std::string dataset;
  FeatureProvenance prov;
  std::int64_t rows = 0;
};

// A ground-truth series as stored: (dataset, metric, source).
struct StoredTruth {
  std::string dataset, metric, source;
  bool higher_is_better = true;
  std::int64_t rows = 0;
};

struct ArchInfo {
  std::int64_t id = 0;
  std::string space, key;
  std::optional<std::string> canonical, struct_hash;
  // The benchmark's own description of the arch, as imported: NB201/TNB arch_str,
  // transformer fields as normalised JSON (see encoding.hpp). Absent when unknown.
  std::optional<std::string> encoding;
};

struct RunRecord {
  std::int64_t id = 0;
  std::string kind;             // "import", "search", "score", ...
  std::string command;          // command line or description
  std::string config = "{}";    // JSON
  std::string started_at, finished_at;  // UTC "YYYY-MM-DD HH:MM:SS"; finished empty while running
  std::string status = "running";       // "running", "ok", "failed"
  std::string summary = "{}";   // JSON
};

// What a canonicaliser returns for a benchmark key (see fill_canonical).
struct ArchForms {
  std::string canonical, struct_hash;
};

class Database {
 public:
  static constexpr int kSchemaVersion = 2;

  // Opens (and in ReadWrite mode creates/migrates) the database at `path`.
  // Errors: newer schema than kSchemaVersion, read-only file in ReadWrite mode,
  // missing file in ReadOnly mode, not a database, locked past the busy timeout.
  static Database open(const std::string& path, OpenMode mode = OpenMode::ReadWrite);

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  const std::string& path() const;
  bool read_only() const;
  int schema_version() const;  // PRAGMA user_version

  // ---- transactions -------------------------------------------------------
  // Runs fn inside one transaction (BEGIN IMMEDIATE): commits when fn returns,
  // rolls back and rethrows when it throws. Nested calls join the outer one.
  void transaction(const std::function<void()>& fn);

  // ---- architectures ------------------------------------------------------
  // Row id of (space, key); with create=true inserts it when absent.
  // Returns 0 when absent and create is false.
  std::int64_t arch_id(std::string_view space, std::string_view key, bool create = false);
  std::optional<ArchInfo> arch(std::string_view space, std::string_view key);
  // Looks an arch up by its canonical string (filled by fill_canonical).
  std::optional<ArchInfo> arch_by_canonical(std::string_view space, std::string_view canonical);
  // Looks an arch up by its imported encoding (exact text).
  std::optional<ArchInfo> arch_by_encoding(std::string_view space, std::string_view encoding);
  void set_arch_encoding(std::string_view space, std::string_view key, std::string_view encoding);
  void set_arch_forms(std::string_view space, std::string_view key, const ArchForms& forms);
  // Calls fn(key) for every arch of `space` and stores the returned forms (nullopt:
  // leave that arch alone), in one transaction. Returns the number of rows changed.
  // This keeps benchdb free of spaces/: the CLI passes space.canonical/structural_hash.
  std::int64_t fill_canonical(std::string_view space,
                              const std::function<std::optional<ArchForms>(const std::string& key)>& fn);
  std::vector<std::string> spaces();                    // spaces with at least one arch
  std::int64_t arch_count(std::string_view space = {});  // all spaces when empty

  // ---- ground truth -------------------------------------------------------
  // Upsert on (arch, dataset, metric, source). Returns rows inserted or changed.
  std::int64_t put_truth(const std::vector<TruthRow>& rows);
  std::vector<StoredTruth> truth_series(std::string_view space);
  // All rows of one series (value may be absent). Empty metric/source: every one.
  std::vector<TruthRow> truth(std::string_view space, std::string_view dataset, std::string_view metric = {},
                              std::string_view source = {});
  std::vector<TruthRow> arch_truth(std::string_view space, std::string_view key);

  // ---- scores (the cache) -------------------------------------------------
  // Upsert on (arch, dataset, full provenance), all rows in one transaction;
  // creates missing archs. Non-finite values are stored as absent with status
  // "nan"/"inf". Returns rows inserted or changed (0 when all were identical).
  std::int64_t put_scores(const std::vector<ScoreRow>& rows);
  // Cache lookup: a hit only when every provenance field matches.
  std::optional<ScoreRow> find_score(std::string_view space, std::string_view key, std::string_view dataset,
                                     const Provenance& prov);
  // Stored proxies for a space/dataset (all datasets when empty).
  std::vector<StoredProxy> stored_proxies(std::string_view space, std::string_view dataset = {});
  std::vector<std::string> datasets(std::string_view space);  // from truth and scores
  // Every score row of one (source, proxy) for a space/dataset, any provenance otherwise.
  std::vector<ScoreRow> scores(std::string_view space, std::string_view dataset, std::string_view source,
                               std::string_view proxy);
  std::vector<ScoreRow> arch_scores(std::string_view space, std::string_view key, std::string_view dataset = {});

  // ---- features (predictor inputs, cached like scores) ----------------------
  // Upsert on (arch, dataset, full provenance), in one transaction; creates missing
  // archs. `data` must be valid JSON (zcnas::Error otherwise). Returns rows changed.
  std::int64_t put_features(const std::vector<FeatureRow>& rows);
  // A hit only when every provenance field matches.
  std::optional<FeatureRow> find_features(std::string_view space, std::string_view key, std::string_view dataset,
                                          const FeatureProvenance& prov);
  // Every record of one provenance for a space/dataset (training sets read these).
  std::vector<FeatureRow> features(std::string_view space, std::string_view dataset, const FeatureProvenance& prov);
  // Which (dataset, provenance) sets of feature records a space has, with their sizes.
  std::vector<StoredFeatures> stored_features(std::string_view space);

  // ---- runs ---------------------------------------------------------------
  std::int64_t begin_run(std::string_view kind, std::string_view command, std::string_view config_json = "{}");
  void finish_run(std::int64_t id, std::string_view status, std::string_view summary_json = "{}");
  std::vector<RunRecord> runs(std::string_view kind = {}, int limit = 100);

  // Rows changed by the statements of this connection since open (for reports).
  std::int64_t total_changes() const;

  // Escape hatch for benchdb's own importers (not part of the stable API).
  struct Impl;
  Impl& impl();

 private:
  explicit Database(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Normalises a settings JSON text (sorted keys, no whitespace). Throws zcnas::Error
// when it is not valid JSON.
std::string normalize_settings(std::string_view settings_json);

}  // namespace zcnas::benchdb
