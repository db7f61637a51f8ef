#pragma once
// The search driver: runs one SearchConfig end to end. Also the library API a
// training pipeline calls (`zcnas::search::run(config)`), with an example in
// examples/search_example.cpp.
//
// Pipeline over the candidates a strategy proposes (one tbb::parallel_pipeline per
// score() call, a bounded number of candidates in flight; search/src/pipeline.hpp):
//   canonicalise -> dedup (whitespace-normalized hash; optionally structural hash)
//   -> cache lookup (benchdb, full provenance) -> build (IR, counts, constraints)
//   -> score missing proxies (in parallel) -> store (batched transactions) -> combine,
// the serial stages in proposal order.
// Everything is a pure function of (config, seed): a run killed at any point and
// restarted with resume=true replays the same proposals, finds every score it
// already stored in the cache and continues, so it ends with exactly the results
// and database rows of an uninterrupted run.
#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "zcnas/search/config.hpp"

namespace zcnas::search {

struct CandidateRecord {
  std::int64_t seq = 0;            // order of first evaluation in the run
  std::string arch;                // canonical string
  std::string key;                 // benchmark key
  std::map<std::string, double> proxies;  // raw proxy values (label -> value)
  std::optional<double> score;     // combined score (higher is better)
  std::optional<double> truth;     // benchmark ground truth (shown in reports; queried or not)
  std::optional<double> truth_percentile;  // % of the benchmark's archs this one beats
  bool queried = false;            // counted as a ground-truth query by the strategy
  bool scored = false;             // proxies requested for it in this run
  std::string status = "ok";       // ok | failed | constraint | timeout | memory
  std::string message;
  double params = 0, flops = 0;
  double seconds = 0;              // proxy compute time (0 for cache hits)
  bool cache_hit = false;          // every proxy value came from the database cache
  std::string shared_from;         // structural dedup: arch whose hash-invariant proxies it shares
};

struct TrajectoryPoint {
  std::int64_t queries = 0;
  std::int64_t candidates = 0;
  double best_truth = 0;
};

struct SearchStats {
  std::int64_t proposed = 0, unique = 0, duplicates = 0, cache_hits = 0, computed = 0, failed = 0,
               constraint_violations = 0, queries = 0, nonfinite = 0;
  // Structural dedup (off by default): text-unique candidates whose structural hash equals
  // an earlier scored candidate's, and the proxy values copied from those earlier ones.
  std::int64_t structural_duplicates = 0, shared_scores = 0;
  double seconds = 0;
};

struct SearchResult {
  std::int64_t run_id = 0;
  bool resumed = false;
  bool interrupted = false;
  SearchConfig config;
  std::vector<CandidateRecord> candidates;  // in evaluation order
  std::vector<TrajectoryPoint> trajectory;  // after each ground-truth query
  SearchStats stats;
  std::vector<std::size_t> top;             // indices into candidates, best combined score first (top_k)
  std::string truth_label;                  // e.g. "val_acc (bench)"
  nlohmann::json to_json() const;
};

struct RunOptions {
  std::string database;         // resolved path (CLI: --db > ZCNAS_DB > config > default)
  bool resume = false;
  std::string output;           // overrides config.output when set
  bool progress = true;         // progress line on a terminal
  int threads = -1;             // overrides config.threads when >= 0
  std::string benchdata;        // where the CIFAR-10 images are (when config.data is empty)
  const std::atomic<bool>* stop = nullptr;  // set (e.g. by SIGINT): no new candidate starts, those in flight finish
  // The schedule before the pipeline (prepare+build serially, score in one parallel_for,
  // then store), kept to compare against: same results, lower throughput.
  bool batch_schedule = false;
};

SearchResult run(const SearchConfig& config, const RunOptions& options);

// Writes the report directory: candidates.csv, trajectory.csv, summary.json, and
// plots (scatter of score vs ground truth, search trajectory) as SVG via gnuplot
// when it is installed. Returns the files written.
std::vector<std::string> write_report(const SearchResult& result, const std::string& dir);

// Readable summary: counts, top-k table, best found.
std::string format_summary(const SearchResult& result);

}  // namespace zcnas::search
