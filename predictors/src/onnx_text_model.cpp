// The `onnxtext` surrogate and the `onnx_text` feature kind; design in onnx_text_model.hpp.
#include "zcnas/predictors/onnx_text_model.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "surrogate.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/gelu.hpp"
#include "zcnas/predictors/onnx_text.hpp"
#include "zcnas/predictors/tokenizer.hpp"
#include "zcnas/proxies/features.hpp"

namespace zcnas::predictors {

using spaces::contiguous_grad_gelu;

void register_onnx_text_feature() {
  static std::once_flag once;
  std::call_once(once, [] {
    proxies::FeatureKind k;
    k.version = kOnnxTextFeatureVersion;
    k.needs_labels = false;
    k.needs_batch = false;  // the text of the compiled graph: no input, no forward pass
    k.settings = [](const nlohmann::json& s) {
      if (!s.is_null() && !(s.is_object() && s.empty()))
        throw Error("feature kind onnx_text", "takes no settings, got " + s.dump(), "drop them");
      return nlohmann::json::object();
    };
    k.compute = [](proxies::ProxyContext& ctx, const nlohmann::json&) { return nlohmann::json{{"text", onnx_text(ctx.graph())}}; };
    proxies::register_feature_kind(kOnnxTextFeature, std::move(k));
  });
}

namespace {

const std::string kWho = "predictor onnxtext";

// Fixed sinusoidal position codes (Vaswani et al. 2017), so texts longer than any seen in
// training (another space's graph) still get positions.
torch::Tensor sinusoid(std::int64_t length, std::int64_t dim) {
  auto pos = torch::arange(length, torch::kFloat32).unsqueeze(1);
  auto i = torch::arange(0, dim, 2, torch::kFloat32);
  auto angle = pos * torch::exp(i * (-std::log(10000.0) / static_cast<double>(dim)));
  auto pe = torch::zeros({length, dim});
  pe.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, torch::indexing::None, 2)}, torch::sin(angle));
  pe.index_put_({torch::indexing::Slice(), torch::indexing::Slice(1, torch::indexing::None, 2)},
                torch::cos(angle).narrow(1, 0, dim / 2));
  return pe;
}

struct TextEncoderImpl : torch::nn::Module {
  TextEncoderImpl(std::int64_t vocab, const OnnxTextSettings& s) : d(s.d_model) {
    // Embedding + sum over a line's tokens (was EmbeddingBag; replaced while hunting the
    // "same seed, different model" bug, whose cause turned out to be GELU's backward, gelu.hpp).
    bag = register_module("bag", torch::nn::Embedding(torch::nn::EmbeddingOptions(vocab, d).padding_idx(OnnxTextTokenizer::kPad)));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    for (int i = 0; i < s.downsample; ++i)
      convs.push_back(register_module("down" + std::to_string(i),
                                      torch::nn::Conv1d(torch::nn::Conv1dOptions(d, d, 3).stride(2).padding(1))));
    for (int i = 0; i < s.layers; ++i)
      blocks.push_back(register_module(
          "layer" + std::to_string(i),
          torch::nn::TransformerEncoderLayer(
              torch::nn::TransformerEncoderLayerOptions(d, s.heads).dim_feedforward(s.ff).dropout(s.dropout).activation(contiguous_grad_gelu))));
    fc1 = register_module("fc1", torch::nn::Linear(2 * d, d));
    fc2 = register_module("fc2", torch::nn::Linear(d, 1));
  }

  // ids: B*L x F token ids (kPad = none), lengths: lines per arch (<= L). Returns B scores.
  torch::Tensor forward(const torch::Tensor& ids, const std::vector<std::int64_t>& lengths, std::int64_t L) {
    const auto B = static_cast<std::int64_t>(lengths.size());
    auto h = bag(ids).sum(1).view({B, L, d});
    h = norm(h + sinusoid(L, d).unsqueeze(0));
    auto lens = lengths;
    for (auto& conv : convs) {
      h = h.masked_fill(pad_mask(lens, h.size(1)).unsqueeze(-1), 0.0);
      h = contiguous_grad_gelu(conv(h.transpose(1, 2))).transpose(1, 2);  // B x ceil(L/2) x d (gelu.hpp: why not torch::gelu)
      for (auto& l : lens) l = (l + 1) / 2;
    }
    const auto mask = pad_mask(lens, h.size(1));  // true = padding
    auto x = h.transpose(0, 1);                   // S x B x d
    for (auto& block : blocks) x = block->forward(x, /*src_mask=*/torch::Tensor(), mask);
    h = x.transpose(0, 1).masked_fill(mask.unsqueeze(-1), 0.0);
    auto count = torch::tensor(lens, torch::kFloat32).unsqueeze(1);
    auto pooled = torch::cat({h.select(1, 0), h.sum(1) / count}, 1);
    return fc2(contiguous_grad_gelu(fc1(pooled))).squeeze(-1);
  }

  static torch::Tensor pad_mask(const std::vector<std::int64_t>& lens, std::int64_t L) {
    auto pos = torch::arange(L).unsqueeze(0);
    return pos >= torch::tensor(lens).unsqueeze(1);
  }

  std::int64_t d;
  torch::nn::Embedding bag{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  std::vector<torch::nn::Conv1d> convs;
  std::vector<torch::nn::TransformerEncoderLayer> blocks;
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(TextEncoder);

using Encoded = std::vector<std::vector<std::int64_t>>;  // token ids per line

class OnnxTextModel final : public SurrogateBase {
 public:
  explicit OnnxTextModel(OnnxTextSettings s) : s_(std::move(s)) {}
  std::string kind() const override { return "onnxtext"; }
  FeatureSpec feature_spec() const override { return {kOnnxTextFeature, kOnnxTextFeatureVersion, nlohmann::json::object()}; }

  void train(const TrainingData& d) override {
    const auto t0 = std::chrono::steady_clock::now();
    check_data(d, kWho);
    const auto texts = texts_of(d.features);
    tokenizer_ = OnnxTextTokenizer::build(texts, s_.min_count, s_.max_vocab);
    std::vector<Encoded> enc;
    std::size_t lines = 0;
    for (const auto& t : texts) enc.push_back(tokenizer_.encode(t)), lines += enc.back().size();
    torch::manual_seed(s_.train.seed);  // weight init and dropout
    net_ = TextEncoder(static_cast<std::int64_t>(tokenizer_.size()), s_);
    const auto r = fit_ranker(
        *net_,
        [&](const std::vector<std::int64_t>& idx) {
          std::vector<const Encoded*> batch;
          for (auto i : idx) batch.push_back(&enc[static_cast<std::size_t>(i)]);
          return run(batch);
        },
        d.targets, s_.train);
    finish_training(d, r, t0,
                    {{"vocab_size", tokenizer_.size()}, {"mean_lines", static_cast<double>(lines) / static_cast<double>(enc.size())}});
  }

 protected:
  torch::Tensor scores(const std::vector<nlohmann::json>& features) const override {
    const auto texts = texts_of(features);
    std::vector<torch::Tensor> parts;
    for (std::size_t b = 0; b < texts.size(); b += 64) {
      std::vector<Encoded> enc;
      for (std::size_t i = b; i < std::min(texts.size(), b + 64); ++i) enc.push_back(tokenizer_.encode(texts[i]));
      std::vector<const Encoded*> batch;
      for (const auto& e : enc) batch.push_back(&e);
      parts.push_back(run(batch));
    }
    return torch::cat(parts);
  }
  torch::nn::Module* module() const override { return net_ ? net_.get() : nullptr; }
  nlohmann::json settings_json() const override { return s_.to_json(); }
  nlohmann::json extra_metadata() const override { return {{"vocab", tokenizer_.to_json()}}; }
  void rebuild(const nlohmann::json& meta, const std::string& path) override {
    s_ = OnnxTextSettings::from_json(meta.at("settings"));
    if (!meta.contains("vocab")) throw Error(path, "onnxtext model without a tokenizer vocabulary", "retrain the model");
    tokenizer_ = OnnxTextTokenizer::from_json(meta.at("vocab"), path);
    net_ = TextEncoder(static_cast<std::int64_t>(tokenizer_.size()), s_);
  }

 private:
  static std::vector<std::string> texts_of(const std::vector<nlohmann::json>& features) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < features.size(); ++i) {
      const auto& f = features[i];
      if (!f.is_object() || !f.contains("text") || !f.at("text").is_string())
        throw Error("feature record " + std::to_string(i), "not an onnx_text record (no \"text\" string)",
                    "compute it with `zcnas features --kind onnx_text`");
      out.push_back(f.at("text").get<std::string>());
    }
    return out;
  }

  // Pads a batch to its longest text and widest line and runs the encoder.
  torch::Tensor run(const std::vector<const Encoded*>& batch) const {
    std::int64_t L = 0, F = 1;
    std::vector<std::int64_t> lengths;
    for (const auto* e : batch) {
      lengths.push_back(static_cast<std::int64_t>(e->size()));
      L = std::max(L, lengths.back());
      for (const auto& line : *e) F = std::max(F, static_cast<std::int64_t>(line.size()));
    }
    const auto B = static_cast<std::int64_t>(batch.size());
    std::vector<std::int64_t> ids(static_cast<std::size_t>(B * L * F), OnnxTextTokenizer::kPad);
    for (std::int64_t b = 0; b < B; ++b)
      for (std::size_t l = 0; l < batch[static_cast<std::size_t>(b)]->size(); ++l) {
        const auto& line = (*batch[static_cast<std::size_t>(b)])[l];
        std::copy(line.begin(), line.end(), ids.begin() + (b * L + static_cast<std::int64_t>(l)) * F);
      }
    auto t = torch::from_blob(ids.data(), {B * L, F}, torch::kInt64).clone();
    return net_->forward(t, lengths, L);
  }

  OnnxTextSettings s_;
  OnnxTextTokenizer tokenizer_;
  mutable TextEncoder net_{nullptr};
};

}  // namespace

OnnxTextSettings OnnxTextSettings::from_json(const nlohmann::json& j) {
  OnnxTextSettings s;
  if (j.is_null()) return s;
  read_settings_object(kWho, j, [&](const std::string& k, const nlohmann::json& v) {
    if (s.train.read(kWho, k, v)) return true;
    if (k == "d_model") s.d_model = v.get<int>();
    else if (k == "layers") s.layers = v.get<int>();
    else if (k == "heads") s.heads = v.get<int>();
    else if (k == "ff") s.ff = v.get<int>();
    else if (k == "downsample") s.downsample = v.get<int>();
    else if (k == "dropout") s.dropout = v.get<double>();
    else if (k == "min_count") s.min_count = v.get<int>();
    else if (k == "max_vocab") s.max_vocab = v.get<std::size_t>();
    else return false;
    return true;
  }, std::string(RankTrainOptions::keys()) + ", d_model, layers, heads, ff, downsample, dropout, min_count, max_vocab");
  s.train.check(kWho);
  if (s.d_model < 2 || s.d_model % 2 || s.heads < 1 || s.d_model % s.heads || s.ff < 1)
    throw Error(kWho, "d_model must be even and a multiple of heads; heads and ff >= 1");
  if (s.layers < 0 || s.downsample < 0 || s.downsample > 6) throw Error(kWho, "layers must be >= 0, downsample in [0, 6]");
  if (s.dropout < 0 || s.dropout >= 1) throw Error(kWho, "setting 'dropout' must be in [0, 1)");
  if (s.min_count < 1 || (s.max_vocab != 0 && s.max_vocab < 3)) throw Error(kWho, "min_count must be >= 1, max_vocab 0 or >= 3");
  return s;
}

nlohmann::json OnnxTextSettings::to_json() const {
  nlohmann::json j{{"d_model", d_model}, {"layers", layers},     {"heads", heads},         {"ff", ff},
                   {"downsample", downsample}, {"dropout", dropout}, {"min_count", min_count}, {"max_vocab", max_vocab}};
  train.write(j);
  return j;
}

PredictorPtr make_onnx_text_model(const nlohmann::json& settings) {
  register_onnx_text_feature();
  return std::make_unique<OnnxTextModel>(OnnxTextSettings::from_json(settings));
}

}  // namespace zcnas::predictors
