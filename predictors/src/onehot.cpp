// The `onehot` baseline surrogate and its feature kind; encodings in onehot.hpp.
#include "zcnas/predictors/onehot.hpp"

#include <torch/torch.h>

#include <charconv>
#include <mutex>

#include "surrogate.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/proxies/features.hpp"

namespace zcnas::predictors {
namespace {

const std::string kWho = "predictor onehot";

// Six op digits, each < ops (nb201 / tnb101_micro keys).
std::vector<float> digits_onehot(const std::string& key, int ops, const std::string& space) {
  if (key.size() != 6) throw Error(space + " key '" + key + "'", "is not six op digits");
  std::vector<float> x(static_cast<std::size_t>(6 * ops), 0.0f);
  for (std::size_t e = 0; e < 6; ++e) {
    const int op = key[e] - '0';
    if (op < 0 || op >= ops) throw Error(space + " key '" + key + "'", "op code out of range 0-" + std::to_string(ops - 1));
    x[e * static_cast<std::size_t>(ops) + static_cast<std::size_t>(op)] = 1.0f;
  }
  return x;
}

// 49 adjacency ints then 7 op codes (0 input, 1 output, 2 maxpool3x3, 3 conv1x1, 4 conv3x3).
std::vector<float> nb101_onehot(const std::string& key) {
  std::vector<int> v;
  for (std::size_t p = 0; p <= key.size();) {
    const auto q = std::min(key.find(',', p), key.size());
    int x = 0;
    auto [end, ec] = std::from_chars(key.data() + p, key.data() + q, x);
    if (ec != std::errc() || end != key.data() + q) throw Error("nb101 key '" + key + "'", "is not a list of integers");
    v.push_back(x);
    p = q + 1;
  }
  if (v.size() != 56) throw Error("nb101 key '" + key + "'", "has " + std::to_string(v.size()) + " integers, not 56");
  std::vector<float> x;
  for (int i = 0; i < 7; ++i)
    for (int j = i + 1; j < 7; ++j) x.push_back(v[static_cast<std::size_t>(7 * i + j)] ? 1.0f : 0.0f);
  for (int n = 1; n <= 5; ++n)
    for (int op = 2; op <= 4; ++op) x.push_back(v[static_cast<std::size_t>(49 + n)] == op ? 1.0f : 0.0f);
  return x;
}

struct MlpImpl : torch::nn::Module {
  MlpImpl(std::int64_t in, const OneHotSettings& s) {
    for (int i = 0; i < s.depth; ++i) {
      layers->push_back(torch::nn::Linear(i ? s.hidden : in, s.hidden));
      layers->push_back(torch::nn::ReLU());
      if (s.dropout > 0) layers->push_back(torch::nn::Dropout(s.dropout));
    }
    layers->push_back(torch::nn::Linear(s.depth ? s.hidden : in, 1));
    register_module("layers", layers);
  }
  torch::Tensor forward(const torch::Tensor& x) { return layers->forward(x).squeeze(-1); }
  torch::nn::Sequential layers;
};
TORCH_MODULE(Mlp);

class OneHotModel final : public SurrogateBase {
 public:
  explicit OneHotModel(OneHotSettings s) : s_(std::move(s)) {}
  std::string kind() const override { return "onehot"; }
  FeatureSpec feature_spec() const override { return {kOneHotFeature, kOneHotFeatureVersion, nlohmann::json::object()}; }

  void train(const TrainingData& d) override {
    const auto t0 = std::chrono::steady_clock::now();
    check_data(d, kWho);
    s_.input_dim = 0;
    const auto x = to_tensor(d.features);
    torch::manual_seed(s_.train.seed);
    net_ = Mlp(s_.input_dim, s_);
    const auto r = fit_ranker(
        *net_, [&](const std::vector<std::int64_t>& idx) { return net_->forward(x.index_select(0, torch::tensor(idx))); },
        d.targets, s_.train);
    finish_training(d, r, t0, nlohmann::json::object());
  }

 protected:
  torch::Tensor scores(const std::vector<nlohmann::json>& features) const override { return net_->forward(to_tensor(features)); }
  torch::nn::Module* module() const override { return net_ ? net_.get() : nullptr; }
  nlohmann::json settings_json() const override { return s_.to_json(); }
  void rebuild(const nlohmann::json& meta, const std::string& path) override {
    s_ = OneHotSettings::from_json(meta.at("settings"));
    if (s_.input_dim < 1) throw Error(path, "onehot model without an input size", "retrain the model");
    net_ = Mlp(s_.input_dim, s_);
  }

 private:
  // Records -> N x input_dim (the first record fixes input_dim when it is 0).
  torch::Tensor to_tensor(const std::vector<nlohmann::json>& features) const {
    std::vector<float> flat;
    for (std::size_t i = 0; i < features.size(); ++i) {
      const auto& f = features[i];
      const std::string who = "feature record " + std::to_string(i);
      if (!f.is_object() || !f.contains("x") || !f.at("x").is_array())
        throw Error(who, "not a onehot record (no \"x\" array)", "compute it with `zcnas features --kind onehot`");
      const auto v = f.at("x").get<std::vector<float>>();
      if (s_.input_dim == 0) s_.input_dim = static_cast<std::int64_t>(v.size());
      if (static_cast<std::int64_t>(v.size()) != s_.input_dim)
        throw Error(who, "has " + std::to_string(v.size()) + " inputs, the model reads " + std::to_string(s_.input_dim),
                    "use a model trained on this space (one-hot encodings do not transfer across spaces)");
      flat.insert(flat.end(), v.begin(), v.end());
    }
    const auto n = static_cast<std::int64_t>(features.size());
    return torch::from_blob(flat.data(), {n, s_.input_dim}, torch::kFloat32).clone();
  }

  mutable OneHotSettings s_;  // input_dim is fixed by the first training record
  mutable Mlp net_{nullptr};
};

}  // namespace

std::vector<float> onehot_encoding(const spaces::Space& space, const std::string& canonical) {
  const auto name = space.name();
  const auto key = space.benchmark_key(canonical);
  if (name == "nb201") return digits_onehot(key, 5, name);
  if (name == "tnb101_micro") return digits_onehot(key, 4, name);
  if (name == "nb101") return nb101_onehot(key);
  throw Error("feature kind onehot", "no one-hot encoding for space " + name, "supported: nb201, tnb101_micro, nb101");
}

void register_onehot_feature() {
  static std::once_flag once;
  std::call_once(once, [] {
    proxies::FeatureKind k;
    k.version = kOneHotFeatureVersion;
    k.needs_labels = false;
    k.needs_batch = false;
    k.settings = [](const nlohmann::json& s) {
      if (!s.is_null() && !(s.is_object() && s.empty())) throw Error("feature kind onehot", "takes no settings, got " + s.dump(), "drop them");
      return nlohmann::json::object();
    };
    k.from_arch = [](const spaces::Space& space, const std::string& canonical, const nlohmann::json&) {
      return nlohmann::json{{"space", space.name()}, {"x", onehot_encoding(space, canonical)}};
    };
    proxies::register_feature_kind(kOneHotFeature, std::move(k));
  });
}

OneHotSettings OneHotSettings::from_json(const nlohmann::json& j) {
  OneHotSettings s;
  if (j.is_null()) return s;
  read_settings_object(kWho, j, [&](const std::string& k, const nlohmann::json& v) {
    if (s.train.read(kWho, k, v)) return true;
    if (k == "hidden") s.hidden = v.get<int>();
    else if (k == "depth") s.depth = v.get<int>();
    else if (k == "dropout") s.dropout = v.get<double>();
    else if (k == "input_dim") s.input_dim = v.get<std::int64_t>();
    else return false;
    return true;
  }, std::string(RankTrainOptions::keys()) + ", hidden, depth, dropout, input_dim");
  s.train.check(kWho);
  if (s.hidden < 1 || s.depth < 0 || s.input_dim < 0) throw Error(kWho, "hidden must be >= 1, depth and input_dim >= 0");
  if (s.dropout < 0 || s.dropout >= 1) throw Error(kWho, "setting 'dropout' must be in [0, 1)");
  return s;
}

nlohmann::json OneHotSettings::to_json() const {
  nlohmann::json j{{"hidden", hidden}, {"depth", depth}, {"dropout", dropout}, {"input_dim", input_dim}};
  train.write(j);
  return j;
}

PredictorPtr make_onehot_model(const nlohmann::json& settings) {
  register_onehot_feature();
  return std::make_unique<OneHotModel>(OneHotSettings::from_json(settings));
}

}  // namespace zcnas::predictors
