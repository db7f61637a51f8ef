#pragma once
// Merging the cache of another zcnas database into this one: scores and feature
// records (predictor inputs) computed elsewhere (another machine, one database per GPU
// of a sharded run) join the local cache with their provenance unchanged, so
// correlate/search/predictor find them as if they had been computed here. Ground truth is not merged (import it from the benchmark
// files); run ids are not carried over (they are local to a file).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "zcnas/benchdb/database.hpp"

namespace zcnas::benchdb {

struct MergeReport {
  std::string from;
  std::int64_t rows_read = 0;     // score rows taken from `from`
  std::int64_t rows_changed = 0;  // rows inserted or changed in the target (0 when all were already there)
  // "space/dataset/source:proxy" -> rows read
  std::map<std::string, std::int64_t> series;
  std::int64_t feature_rows_read = 0, feature_rows_changed = 0;
  // "space/dataset/features:kind" -> feature records read
  std::map<std::string, std::int64_t> feature_series;
};

// Copies every score row of `from_path` whose source is `source` (empty: every
// source) and every feature record into `into`, upserting on the full provenance key
// (a row already present with the same provenance takes the merged value), in one
// transaction. `from_path` is opened read-only and must have the same schema version;
// merging a file into itself is an error.
MergeReport merge_cache(Database& into, const std::string& from_path, std::string_view source = "zcnas");

}  // namespace zcnas::benchdb
