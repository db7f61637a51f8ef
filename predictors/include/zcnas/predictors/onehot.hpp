#pragma once
// `onehot`: the baseline surrogate the ONNX-text model is compared with. Input: the space's
// own op encoding as a one-hot vector (feature kind `onehot`, read from the arch, nothing
// compiled); model: an MLP trained with the same loop as `onnxtext` (rank_trainer.hpp).
// Encodings (the benchmark keys of docs/TEAM_NOTES.md):
//   nb201         6 edges x 5 ops (op codes 0-4 of the NAS-Bench-201 op_indices)      = 30
//   tnb101_micro  6 edges x 4 ops (op codes 0-3)                                      = 24
//   nb101         the 21 upper-triangular adjacency bits of the 7x7 matrix, then the
//                 5 inner nodes x 3 ops (maxpool3x3, conv1x1, conv3x3)              = 36
// (NASLib's one-hot "adjacency + ops" encodings have the same content.) Other spaces are an
// error naming the supported ones. A `predictor:` proxy of an onehot model is an error: the
// proxy engine sees a network, not its encoding.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "zcnas/predictors/predictor.hpp"
#include "zcnas/predictors/rank_trainer.hpp"
#include "zcnas/spaces/space.hpp"

namespace zcnas::predictors {

inline constexpr const char* kOneHotFeature = "onehot";
inline constexpr int kOneHotFeatureVersion = 1;

// The one-hot vector of an arch (canonical string) of `space` (zcnas::Error for other spaces).
std::vector<float> onehot_encoding(const spaces::Space& space, const std::string& canonical);

// Registers the `onehot` feature kind with proxies (idempotent).
void register_onehot_feature();

struct OneHotSettings {
  RankTrainOptions train;
  int hidden = 128, depth = 2;
  double dropout = 0.0;
  std::int64_t input_dim = 0;  // set by train

  static OneHotSettings from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

// Factory for the registry ("onehot").
PredictorPtr make_onehot_model(const nlohmann::json& settings);

}  // namespace zcnas::predictors
