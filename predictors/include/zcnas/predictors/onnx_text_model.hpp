#pragma once
// `onnxtext`: a learned surrogate that reads the ONNX-graph text of an architecture
// (onnx_text.hpp, after ONNX-Net, Qin et al., arXiv:2510.04938) and ranks archs; trained from
// scratch on (text, ground truth) pairs, so one model can read networks of any space
// (zero-shot across spaces is measured, docs/predictors.md).
//
// Input: feature kind `onnx_text` (registered by register_onnx_text_feature(); the record is
// {"text": "<the encoding of the compiled network, no weights>"}), cached in benchdb like
// node_stats; it needs no input batch and no forward pass.
//
// Model (ours; ONNX-Net embeds the text with a pretrained language model, we train a small
// encoder from scratch so it runs on two CPU cores):
//   tokens (tokenizer.hpp) -> per line: sum of its token embeddings (dim d_model)
//   + sinusoidal position of the line, LayerNorm
//   -> `downsample` stages of Conv1d(k=3, stride 2) + GELU over the line sequence (each halves
//      the length; NB201 texts have ~250 lines, attention over all of them costs ~4x more)
//   -> `layers` TransformerEncoderLayers (heads, dim_feedforward ff, GELU, dropout), padding masked
//   -> [first position ; masked mean] -> Linear(2d, d) - GELU - Linear(d, 1).
// Training: rank_trainer.hpp (pairwise margin ranking loss + optional MSE, AdamW, early stopping
// on a seeded validation split, weights of the best epoch). Deterministic for a seed and a
// libtorch thread count (other thread counts may change float summation order).
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "zcnas/predictors/predictor.hpp"
#include "zcnas/predictors/rank_trainer.hpp"

namespace zcnas::predictors {

inline constexpr const char* kOnnxTextFeature = "onnx_text";
inline constexpr int kOnnxTextFeatureVersion = 1;

// Registers the `onnx_text` feature kind with proxies (idempotent).
void register_onnx_text_feature();

struct OnnxTextSettings {
  RankTrainOptions train;
  int d_model = 64, layers = 2, heads = 4, ff = 128, downsample = 2;
  double dropout = 0.1;
  int min_count = 2;          // tokenizer: tokens seen fewer times in training are <unk>
  std::size_t max_vocab = 0;  // 0 = no limit

  static OnnxTextSettings from_json(const nlohmann::json& j);  // unknown keys / bad values: zcnas::Error
  nlohmann::json to_json() const;
};

// Factory for the registry ("onnxtext").
PredictorPtr make_onnx_text_model(const nlohmann::json& settings);

}  // namespace zcnas::predictors
