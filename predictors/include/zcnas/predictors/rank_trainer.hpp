#pragma once
// The training loop shared by the learned surrogates that rank archs from scratch (`onnxtext`,
// `onehot`): targets standardised with the training set's mean/std, a seeded validation split,
// Adam, a pairwise margin ranking loss (losses.hpp pairwise_hinge) optionally plus a weighted
// MSE regression term, and early stopping on the validation split's Kendall tau (the best
// epoch's weights are restored). ParZC keeps its own loop (parzc.cpp: the reference's schedule).
// Also the model-file helpers both kinds use (a torch archive: weights + metadata JSON).
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace zcnas::predictors {

struct RankTrainOptions {
  std::uint64_t seed = 0;
  int epochs = 100;               // at most
  int batch_size = 32;
  double lr = 1e-3;
  double weight_decay = 1e-4;
  double margin = 0.1;            // hinge margin, in standardised target units
  double regression_weight = 0.0; // + weight * MSE(prediction, standardised target)
  double val_fraction = 0.1;      // of the training archs held out for early stopping
  int patience = 15;              // epochs without a better validation tau before stopping

  // Reads one setting; false when the key is not one of the above (bad types/values throw).
  bool read(const std::string& who, const std::string& key, const nlohmann::json& value);
  void check(const std::string& who) const;  // positive/in-range values (zcnas::Error)
  void write(nlohmann::json& j) const;       // adds the keys above to j
  static const char* keys();                 // "seed, epochs, ..." for error hints
};

// Reads a predictor's settings object (null = no settings) key by key: `read_key(key, value)`
// stores a key it knows and returns false for any other (an Error naming it, with `known` as
// the hint); a JSON type error inside it becomes an Error naming the key and its value.
void read_settings_object(const std::string& who, const nlohmann::json& j,
                          const std::function<bool(const std::string&, const nlohmann::json&)>& read_key,
                          const std::string& known);

struct RankTrainResult {
  double target_mean = 0, target_std = 1;
  std::size_t n_fit = 0, n_val = 0;
  int epochs_run = 0, best_epoch = 0;
  double best_val_kendall = 0;  // NaN without a validation split
  double final_train_loss = 0;
  nlohmann::json to_json() const;
};

// Trains `net` to rank n archs by targets (higher = better). forward(idx) returns the model's
// scores (1-D, one per index) for those archs, in train or eval mode as the net is set.
// n >= 2; a validation split is made when n >= 10 (at least 2 archs), else every epoch runs.
RankTrainResult fit_ranker(torch::nn::Module& net, const std::function<torch::Tensor(const std::vector<std::int64_t>&)>& forward,
                           const std::vector<double>& targets, const RankTrainOptions& opt);

// Sets the BLAS's own thread count (OpenBLAS, pthread build) to libtorch's intra-op thread
// count of the calling thread. OpenBLAS otherwise keeps whatever it was given last
// (OMP_NUM_THREADS at start, or 1 after `zcnas features` computed anything in the same
// process, proxies::parallel_for_candidates), and its sgemm sums in a thread-count-dependent
// order: same seed, same libtorch threads, yet final losses 0.0303890357 vs 0.0303890252
// (2026-12-01, CLI test [onnxtext]). Called by fit_ranker, ParZC's training and every
// surrogate's predict, so "same seed + same thread count -> same model" holds for one count.
void match_blas_threads();

// Model files: the module's weights plus "zcnas_metadata" (a JSON document) in one torch archive.
void save_model_archive(const torch::nn::Module& net, const nlohmann::json& metadata, const std::string& path);
// Loads the weights into a module built from the metadata; a mismatch is a zcnas::Error naming the file.
void load_model_weights(torch::nn::Module& net, const std::string& path);

}  // namespace zcnas::predictors
