#pragma once
// What the from-scratch surrogates (`onnxtext`, `onehot`) share: standardised targets, the
// model-file metadata layout (as parzc's: format, kind, settings, seed, feature, provenance,
// target, training, trained_on), save/load through rank_trainer.hpp, batched prediction.
// Internal to predictors/src.
#include <torch/torch.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "zcnas/common/error.hpp"
#include "zcnas/predictors/predictor.hpp"
#include "zcnas/predictors/rank_trainer.hpp"

namespace zcnas::predictors {

class SurrogateBase : public Predictor {
 public:
  std::vector<Prediction> predict(const std::vector<nlohmann::json>& features) const override {
    if (!module()) throw Error(kind() + " model", "not trained or loaded", "train it or load a model file");
    std::vector<Prediction> out;
    if (features.empty()) return out;
    std::lock_guard lock(mu_);
    match_blas_threads();
    torch::NoGradGuard no_grad;
    module()->eval();
    auto s = scores(features).to(torch::kFloat64).contiguous();
    for (std::int64_t i = 0; i < s.numel(); ++i) out.push_back({s.data_ptr<double>()[i] * target_std_ + target_mean_, 0.0});
    return out;
  }

  nlohmann::json metadata() const override {
    const auto f = feature_spec();
    nlohmann::json m{{"format", "zcnas-predictor/1"},
                     {"kind", kind()},
                     {"settings", settings_json()},
                     {"seed", settings_json().at("seed")},
                     {"feature", {{"kind", f.kind}, {"version", f.version}, {"settings", f.settings}}},
                     {"feature_provenance", feature_provenance_},
                     {"target", {{"mean", target_mean_}, {"std", target_std_}}},
                     {"training", training_},
                     {"trained_on", trained_on_}};
    const auto extra = extra_metadata();  // (not a temporary: items() would dangle)
    for (const auto& [k, v] : extra.items()) m[k] = v;
    return m;
  }

  void save(const std::string& path) const override {
    if (!module()) throw Error(kind() + " model", "nothing to save: not trained", "train it first");
    save_model_archive(*module(), metadata(), path);
  }

  void load(const std::string& path) override {
    const auto meta = read_model_metadata(path);
    if (meta.at("kind") != kind()) throw Error(path, "is a " + meta.at("kind").dump() + " model, not " + kind());
    try {
      target_mean_ = meta.at("target").at("mean").get<double>();
      target_std_ = meta.at("target").at("std").get<double>();
    } catch (const nlohmann::json::exception&) {
      throw Error(path, "model metadata lacks the target scaling", "retrain the model");
    }
    trained_on_ = meta.value("trained_on", std::vector<std::string>{});
    feature_provenance_ = meta.value("feature_provenance", nlohmann::json::object());
    training_ = meta.value("training", nlohmann::json::object());
    rebuild(meta, path);  // settings and an untrained network of the saved shape
    load_model_weights(*module(), path);
    module()->eval();
  }

 protected:
  // Standardised scores of the records (eval mode, no grad, called under the lock).
  virtual torch::Tensor scores(const std::vector<nlohmann::json>& features) const = 0;
  virtual torch::nn::Module* module() const = 0;  // null until trained or loaded
  virtual nlohmann::json settings_json() const = 0;
  virtual nlohmann::json extra_metadata() const { return nlohmann::json::object(); }
  // Restores settings and builds the network the metadata describes.
  virtual void rebuild(const nlohmann::json& meta, const std::string& path) = 0;

  static void check_data(const TrainingData& d, const std::string& who) {
    if (d.features.size() != d.targets.size() || d.keys.size() != d.targets.size())
      throw Error(who + " training data", "features, targets and keys differ in length", "pass one of each per arch");
    if (d.targets.size() < 2) throw Error(who + " training data", "fewer than 2 archs", "train on at least 2 archs (use --n-train)");
  }
  // Records what metadata() reports after fit_ranker.
  void finish_training(const TrainingData& d, const RankTrainResult& r, std::chrono::steady_clock::time_point t0,
                       const nlohmann::json& extra) {
    target_mean_ = r.target_mean, target_std_ = r.target_std;
    trained_on_ = d.keys;
    feature_provenance_ = d.feature_provenance;
    std::int64_t params = 0;
    for (const auto& p : module()->parameters()) params += p.numel();
    training_ = r.to_json();
    training_["n"] = d.keys.size();
    training_["parameters"] = params;
    training_["threads"] = torch::get_num_threads();
    training_["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& [k, v] : extra.items()) training_[k] = v;
  }

  mutable std::mutex mu_;  // libtorch's eval()/forward are non-const

 private:
  double target_mean_ = 0, target_std_ = 1;
  std::vector<std::string> trained_on_;
  nlohmann::json feature_provenance_ = nlohmann::json::object(), training_ = nlohmann::json::object();
};

}  // namespace zcnas::predictors
