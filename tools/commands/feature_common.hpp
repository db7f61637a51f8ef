#pragma once
// Feature records (predictor inputs, proxies/features.hpp) for many archs: read from
// the benchdb cache, the missing ones computed in parallel (oneTBB, as score-space)
// and stored with their provenance. Shared by `zcnas features` and `zcnas predictor`.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "score_common.hpp"
#include "zcnas/benchdb/database.hpp"
#include "zcnas/spaces/space.hpp"

namespace zcnas::cli {

struct FeatureRequest {
  std::string kind = "node_stats";
  nlohmann::json settings = nlohmann::json::object();  // the kind's settings
  std::uint64_t seed = 0;                              // weights and batch
  BatchArgs batch;                                     // batch size, device, data, augment
  int intra_op_threads = 1;
  std::size_t chunk = 64;
  bool compute_missing = true;                         // false: cached records only
};

// Provenance of a feature record: the kind's version and normalised settings, the
// seed, batch size and device; an un-augmented batch adds "input":"no_augment".
benchdb::FeatureProvenance feature_provenance(const FeatureRequest& r);
// Inverse, for a model's metadata: kind/version/settings/seed/batch/device.
nlohmann::json feature_provenance_json(const benchdb::FeatureProvenance& p);

struct FeatureResult {
  std::vector<std::optional<nlohmann::json>> records;  // per arch; nullopt when missing/failed
  std::size_t cached = 0, computed = 0, failed = 0;
  double seconds = 0;               // wall time of the computation
  double compute_seconds_sum = 0;   // sum over computed archs (per-arch cost = sum / computed)
  int workers = 1;
};

// `archs` are canonical strings. Writes every computed record to `db` (one
// transaction per chunk, so an interrupted run resumes where it stopped).
FeatureResult ensure_features(benchdb::Database& db, const spaces::Space& space, const std::string& dataset,
                              const std::vector<std::string>& archs, const FeatureRequest& req,
                              std::optional<std::int64_t> run_id = std::nullopt);

}  // namespace zcnas::cli
