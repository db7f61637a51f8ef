// The predictor registry, model-file metadata, and the `predictor:<file>` proxy.
#include "zcnas/predictors/predictor.hpp"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "zcnas/common/error.hpp"
#include "zcnas/common/text_hash.hpp"
#include "zcnas/predictors/onehot.hpp"
#include "zcnas/predictors/onnx_text_model.hpp"
#include "zcnas/predictors/parzc.hpp"
#include "zcnas/proxies/features.hpp"
#include "zcnas/proxies/registry.hpp"

namespace zcnas::predictors {
namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, PredictorFactory> factories;
};
Registry& registry() {
  static Registry r;
  static std::once_flag once;
  std::call_once(once, [] {
    r.factories.emplace("parzc", make_parzc);
    r.factories.emplace("onnxtext", make_onnx_text_model);
    r.factories.emplace("onehot", make_onehot_model);
    register_onnx_text_feature();
    register_onehot_feature();
  });
  return r;
}

std::string file_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, "cannot open the model file", "check the path (zcnas predictor train -o FILE writes one)");
  std::ostringstream ss;
  ss << in.rdbuf();
  return hash128(ss.str()).hex();
}

// `predictor:<file>`: computes the feature record the model reads on the context's
// network with the proxy engine, then predicts. Value = mean + ucb * std.
class PredictorProxy final : public proxies::Proxy {
 public:
  PredictorProxy(const std::string& path, const nlohmann::json& user) : path_(path) {
    proxies::check_settings("predictor:" + path, user, {"ucb"});
    ucb_ = proxies::setting<double>("predictor:" + path, user, "ucb", 0.0);
    hash_ = file_hash(path);
    model_ = load_predictor(path);
    spec_ = model_->feature_spec();
    kind_ = &proxies::feature_kind(spec_.kind);
    if (kind_->from_arch)
      throw Error("predictor:" + path, "a " + model_->kind() + " model reads the arch encoding (feature kind " + spec_.kind +
                                           "), not a network, so it cannot score networks as a proxy",
                  "use a model whose features come from the network (onnxtext, parzc)");
  }
  proxies::ProxyInfo info() const override {
    return {.name = "predictor:" + path_, .version = 1,
            .description = model_->kind() + " predictor from " + path_ + " (mean + ucb * std of its prediction)",
            .needs_data = kind_->needs_batch, .needs_labels = kind_->needs_labels, .needs_grad = kind_->needs_batch};
  }
  nlohmann::json settings() const override {
    nlohmann::json s{{"model_hash", hash_}, {"kind", model_->kind()}};
    if (ucb_ != 0) s["ucb"] = ucb_;
    return s;
  }
  double score(proxies::ProxyContext& ctx) const override {
    const auto p = model_->predict({kind_->compute(ctx, spec_.settings)}).at(0);
    return p.mean + ucb_ * p.std;
  }

 private:
  std::string path_, hash_;
  double ucb_ = 0;
  PredictorPtr model_;
  FeatureSpec spec_;
  const proxies::FeatureKind* kind_ = nullptr;
};

}  // namespace

PredictorPtr make_predictor(const std::string& kind, const nlohmann::json& settings) {
  PredictorFactory f;
  std::string list;
  {
    auto& r = registry();
    std::lock_guard lock(r.mu);
    if (auto it = r.factories.find(kind); it != r.factories.end()) f = it->second;
    for (const auto& [k, v] : r.factories) list += (list.empty() ? "" : ", ") + k;
  }
  if (!f) throw Error("predictor kind '" + kind + "'", "unknown", "registered kinds: " + list);
  return f(settings);
}

std::vector<std::string> predictor_kinds() {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  std::vector<std::string> out;
  for (const auto& [k, v] : r.factories) out.push_back(k);
  return out;
}

void register_predictor(const std::string& kind, PredictorFactory factory) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.factories[kind] = std::move(factory);
}

nlohmann::json read_model_metadata(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw Error(path, "no such model file", "train one with `zcnas predictor train ... -o " + path + "`");
  torch::serialize::InputArchive ar;
  c10::IValue v;
  try {
    ar.load_from(path);
    if (!ar.try_read("zcnas_metadata", v) || !v.isString()) throw Error(path, "not a zcnas predictor file (no metadata)");
  } catch (const c10::Error&) {
    throw Error(path, "not a zcnas predictor file (cannot read it as a torch archive)", "pass a file written by `zcnas predictor train`");
  }
  auto j = nlohmann::json::parse(v.toStringRef(), nullptr, false);
  if (!j.is_object() || !j.contains("kind") || !j.contains("settings"))
    throw Error(path, "predictor metadata lacks kind/settings", "retrain the model");
  return j;
}

PredictorPtr load_predictor(const std::string& path) {
  const auto meta = read_model_metadata(path);
  auto p = make_predictor(meta.at("kind").get<std::string>(), meta.at("settings"));
  p->load(path);
  return p;
}

void register_predictor_proxies() {
  registry();  // also registers the feature kinds of the built-in predictors (onnx_text, onehot)
  proxies::register_proxy_prefix("predictor:", [](const std::string& rest, const nlohmann::json& settings) -> proxies::ProxyPtr {
    return std::make_shared<PredictorProxy>(rest, settings);
  });
}

}  // namespace zcnas::predictors
