#pragma once
// A search job, as written in a YAML config (docs/config.md documents every key).
// Parsing is strict: an unknown key or a bad value is a zcnas::Error naming the
// file, the line and the key.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace zcnas::search {

struct ProxySpec {
  std::string name;                                  // "synflow", "naslib:synflow", "predictor:file.pt"
  nlohmann::json settings = nlohmann::json::object();
};

struct Budget {
  std::optional<std::int64_t> candidates;  // candidates scored with proxies (after dedup)
  std::optional<double> seconds;           // wall clock, proxy scoring included
  std::optional<std::int64_t> queries;     // ground-truth queries
};

struct Constraints {
  std::optional<double> max_params;  // parameter count (absolute)
  std::optional<double> max_flops;   // FLOPs (absolute, NASLib convention)
};

struct Limits {
  double candidate_seconds = 0;  // 0 = none; a candidate over it is recorded as failed
  double candidate_memory_mb = 0;
};

struct Dedup {
  // Candidates with equal structural hash (Space::structural_hash) share the proxies
  // the space declares invariant under it (Space::hash_invariant_proxies); off: only
  // whitespace-normalized text duplicates are skipped.
  bool structural = false;
};

struct SearchConfig {
  std::string name;
  std::string space;
  std::string dataset;
  std::vector<ProxySpec> proxies;
  std::string combine = "single";  // single | rank_average
  std::string strategy = "random";
  nlohmann::json strategy_settings = nlohmann::json::object();
  Budget budget;
  Constraints constraints;
  Limits limits;
  Dedup dedup;
  std::uint64_t seed = 0;
  int threads = 0;           // oneTBB workers (0 = all cores)
  int intra_op_threads = 1;  // libtorch threads per worker
  int in_flight = 0;         // candidates in the scoring pipeline at once (0 = 2 x threads)
  int batch_size = 32;
  std::string device = "cpu";  // cpu | cuda | cuda:N
  std::string data;          // optional path to CIFAR-10-layout images
  std::string database;      // optional; --db and ZCNAS_DB take precedence
  std::string output;        // report directory
  int top_k = 10;
  std::string source_text;   // the YAML as read (hashed to identify the config)

  // Hash of the whitespace-normalized, key-sorted config (minus database/output),
  // used by --resume to find the run of "the same config".
  std::string config_hash() const;
  nlohmann::json to_json() const;
};

SearchConfig load_config(const std::string& path);
SearchConfig parse_config(const std::string& yaml_text, const std::string& source_name);

}  // namespace zcnas::search
