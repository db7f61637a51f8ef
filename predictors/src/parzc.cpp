// ParZC's MABN predictor; the design and its sources are in parzc.hpp.
#include "zcnas/predictors/parzc.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <numeric>
#include <random>

#include "zcnas/common/error.hpp"
#include "zcnas/predictors/losses.hpp"
#include "zcnas/predictors/rank_trainer.hpp"  // match_blas_threads
#include "zcnas/proxies/node_stats.hpp"

namespace zcnas::predictors {
namespace {

constexpr std::uint64_t kEpsSalt = 0x9E3779B97F4A7C15ull;

// W = mu + softplus(rho) * eps (pinat_model.py BayesianLinear); plain linear when !bayes.
struct BayesLinearImpl : torch::nn::Module {
  BayesLinearImpl(std::int64_t in, std::int64_t out, bool bayes) : bayes(bayes) {
    mean = register_parameter("mean", torch::empty({out, in}));
    torch::nn::init::kaiming_uniform_(mean, std::sqrt(5.0));
    if (bayes) rho = register_parameter("rho", torch::full({out, in}, -5.0));
  }
  torch::Tensor weight(at::Generator& gen) const {
    if (!bayes) return mean;
    // Drawn on the CPU generator whatever the device, so a model trained on a GPU sees the
    // same noise as on the CPU (results then differ only by float rounding).
    auto eps = at::randn(mean.sizes(), gen, mean.options().device(torch::kCPU)).to(mean.device());
    return mean + torch::softplus(rho) * eps;
  }
  torch::Tensor forward(const torch::Tensor& x, at::Generator& gen) { return torch::nn::functional::linear(x, weight(gen)); }
  // KL(N(mu, sigma^2) || N(0, 1)) summed over the weights.
  torch::Tensor kl() const {
    auto sigma = torch::softplus(rho);
    return (-torch::log(sigma) + (sigma.pow(2) + mean.pow(2)) / 2 - 0.5).sum();
  }
  bool bayes;
  torch::Tensor mean, rho;
};
TORCH_MODULE(BayesLinear);

struct FeedForwardImpl : torch::nn::Module {
  FeedForwardImpl(std::int64_t dim, double expansion) {
    const auto inner = static_cast<std::int64_t>(static_cast<double>(dim) * expansion);
    a = register_module("a", torch::nn::Linear(dim, inner));
    b = register_module("b", torch::nn::Linear(inner, dim));
  }
  torch::Tensor forward(const torch::Tensor& x) { return b(torch::gelu(a(x))); }
  torch::nn::Linear a{nullptr}, b{nullptr};
};
TORCH_MODULE(FeedForward);

struct MabnImpl : torch::nn::Module {
  MabnImpl(std::int64_t input_dim, const ParzcSettings& s) : patch(s.patch_size) {
    project = register_module("project", torch::nn::Linear(input_dim, s.sequence_length));
    embed = register_module("patch_to_embedding", BayesLinear(s.patch_size, s.dim, s.bayes));
    for (int i = 0; i < s.depth; ++i) {
      norms1.push_back(register_module("norm1_" + std::to_string(i), torch::nn::LayerNorm(torch::nn::LayerNormOptions({s.dim}))));
      ffs1.push_back(register_module("ff1_" + std::to_string(i), FeedForward(s.dim, 4.0)));
      norms2.push_back(register_module("norm2_" + std::to_string(i), torch::nn::LayerNorm(torch::nn::LayerNormOptions({s.dim}))));
      ffs2.push_back(register_module("ff2_" + std::to_string(i), FeedForward(s.dim, 0.5)));
    }
    norm = register_module("layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({s.dim})));
    head = register_module("head", BayesLinear(s.dim, s.dim, s.bayes));
    fc1 = register_module("fc1", torch::nn::Linear(torch::nn::LinearOptions(s.dim, s.dim / 2).bias(false)));
    drop = register_module("dropout", torch::nn::Dropout(s.dropout));
    fc2 = register_module("fc2", torch::nn::Linear(torch::nn::LinearOptions(s.dim / 2, 1).bias(false)));
  }
  torch::Tensor forward(const torch::Tensor& x, at::Generator& gen) {
    auto h = project(x);                                  // B x L
    h = h.reshape({h.size(0), -1, patch});                // B x (L/p) x p
    h = embed->forward(h, gen);                           // B x (L/p) x dim
    for (std::size_t i = 0; i < ffs1.size(); ++i) {
      h = ffs1[i](norms1[i](h)) + h;
      h = ffs2[i](norms2[i](h)) + h;
    }
    h = norm(h).mean(1);                                  // B x dim
    h = head->forward(h, gen);
    h = fc2(drop(fc1(h)));
    return h.squeeze(-1);
  }
  std::pair<torch::Tensor, std::int64_t> kl() const {
    if (!embed->bayes) return {torch::zeros({}), 0};
    return {embed->kl() + head->kl(), embed->mean.numel() + head->mean.numel()};
  }
  std::int64_t patch;
  torch::nn::Linear project{nullptr}, fc1{nullptr}, fc2{nullptr};
  BayesLinear embed{nullptr}, head{nullptr};
  std::vector<torch::nn::LayerNorm> norms1, norms2;
  std::vector<FeedForward> ffs1, ffs2;
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Dropout drop{nullptr};
};
TORCH_MODULE(Mabn);

class Parzc final : public Predictor {
 public:
  explicit Parzc(ParzcSettings s) : s_(std::move(s)) {}
  std::string kind() const override { return "parzc"; }
  FeatureSpec feature_spec() const override {
    return {proxies::kNodeStatsKind, proxies::kNodeStatsVersion, proxies::node_stats_settings({.fisher = s_.fisher})};
  }

  void train(const TrainingData& d) override {
    const auto t0 = std::chrono::steady_clock::now();
    if (d.features.size() != d.targets.size() || d.keys.size() != d.targets.size())
      throw Error("parzc training data", "features, targets and keys differ in length", "pass one of each per arch");
    if (d.targets.size() < 2) throw Error("parzc training data", "fewer than 2 archs", "train on at least 2 archs (use --n-train)");
    auto stats = parse(d.features);
    if (s_.max_nodes == 0)
      for (const auto& st : stats) s_.max_nodes = std::max<std::int64_t>(s_.max_nodes, static_cast<std::int64_t>(st.nodes()));
    auto x = to_tensor(stats);
    const auto n = static_cast<std::int64_t>(d.targets.size());
    const double mean = std::accumulate(d.targets.begin(), d.targets.end(), 0.0) / static_cast<double>(n);
    double var = 0;
    for (double t : d.targets) var += (t - mean) * (t - mean);
    const double sd = std::sqrt(var / static_cast<double>(n)) > 0 ? std::sqrt(var / static_cast<double>(n)) : 1.0;
    target_mean_ = mean, target_std_ = sd;
    std::vector<float> ys;
    for (double t : d.targets) ys.push_back(static_cast<float>((t - mean) / sd));
    const auto dev = device();
    auto y = torch::tensor(ys).to(dev);
    x = x.to(dev);

    match_blas_threads();
    torch::manual_seed(s_.seed);  // weight init and dropout
    net_ = Mabn(x.size(1), s_);
    net_->to(dev);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(s_.seed ^ kEpsSalt);
    torch::optim::Adam opt(net_->parameters(), torch::optim::AdamOptions(s_.lr).weight_decay(s_.weight_decay));
    std::mt19937_64 rng(s_.seed);
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    net_->train();
    double last_loss = 0;
    for (int epoch = 0; epoch < s_.epochs; ++epoch) {
      // CosineAnnealingLR(T_max = epochs), stepped once per epoch.
      const double lr = s_.lr * 0.5 * (1 + std::cos(M_PI * epoch / s_.epochs));
      for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
      std::shuffle(order.begin(), order.end(), rng);
      double sum = 0;
      int batches = 0;
      for (std::int64_t b = 0; b < n; b += s_.batch_size) {
        const auto e = std::min<std::int64_t>(n, b + s_.batch_size);
        if (e - b < 2) continue;  // pairwise losses need two archs
        auto idx = torch::tensor(std::vector<std::int64_t>(order.begin() + b, order.begin() + e)).to(dev);
        auto pred = net_->forward(x.index_select(0, idx), gen);
        auto loss = ranking_loss(s_.loss, pred, y.index_select(0, idx), s_.alpha, s_.margin);
        if (s_.bayes && s_.kl_weight > 0) {
          auto [kl, count] = net_->kl();
          loss = loss + s_.kl_weight * kl / static_cast<double>(count);
        }
        opt.zero_grad();
        loss.backward();
        opt.step();
        sum += loss.item<double>();
        ++batches;
      }
      last_loss = batches ? sum / batches : 0;
    }
    trained_on_ = d.keys;
    feature_provenance_ = d.feature_provenance;
    training_ = {{"n", n},
                 {"final_epoch_loss", last_loss},
                 {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}};
  }

  std::vector<Prediction> predict(const std::vector<nlohmann::json>& features) const override {
    if (!net_) throw Error("parzc model", "not trained or loaded", "train it or load a model file");
    if (features.empty()) return {};
    auto x = to_tensor(parse(features)).to(device());
    std::lock_guard lock(mu_);
    match_blas_threads();
    torch::NoGradGuard no_grad;
    net_->eval();
    auto gen = at::make_generator<at::CPUGeneratorImpl>(s_.seed ^ kEpsSalt ^ 0x5bd1e995ull);
    const int k = s_.bayes ? std::max(1, s_.mc_samples) : 1;
    std::vector<torch::Tensor> samples;
    for (int i = 0; i < k; ++i) samples.push_back(net_->forward(x, gen).to(torch::kCPU, torch::kFloat64));
    auto all = torch::stack(samples);  // K x B
    auto m = all.mean(0), sd = k > 1 ? all.std(0, /*unbiased=*/false) : torch::zeros_like(m);
    std::vector<Prediction> out;
    for (std::int64_t i = 0; i < m.size(0); ++i)
      out.push_back({m[i].item<double>() * target_std_ + target_mean_, sd[i].item<double>() * target_std_});
    return out;
  }

  nlohmann::json metadata() const override {
    const auto f = feature_spec();
    return {{"format", "zcnas-predictor/1"},
            {"kind", kind()},
            {"settings", s_.to_json()},
            {"seed", s_.seed},
            {"feature", {{"kind", f.kind}, {"version", f.version}, {"settings", f.settings}}},
            {"feature_provenance", feature_provenance_},
            {"target", {{"mean", target_mean_}, {"std", target_std_}}},
            {"training", training_},
            {"trained_on", trained_on_}};
  }

  void save(const std::string& path) const override {
    if (!net_) throw Error("parzc model", "nothing to save: not trained", "train it first");
    torch::serialize::OutputArchive ar;
    net_->save(ar);
    ar.write("zcnas_metadata", c10::IValue(metadata().dump()));
    try {
      ar.save_to(path);
    } catch (const c10::Error& e) {
      throw Error(path, "cannot write the model file", "check the folder exists and is writable");
    }
  }

  void load(const std::string& path) override {
    const auto meta = read_model_metadata(path);
    s_ = ParzcSettings::from_json(meta.at("settings"));
    target_mean_ = meta.at("target").at("mean").get<double>();
    target_std_ = meta.at("target").at("std").get<double>();
    trained_on_ = meta.value("trained_on", std::vector<std::string>{});
    feature_provenance_ = meta.value("feature_provenance", nlohmann::json::object());
    training_ = meta.value("training", nlohmann::json::object());
    const std::int64_t blocks = s_.fisher ? 4 : 3;
    net_ = Mabn(blocks * s_.max_nodes, s_);
    torch::serialize::InputArchive ar;
    try {
      ar.load_from(path, torch::Device(torch::kCPU));  // a GPU-trained model loads anywhere
      net_->load(ar);
      net_->to(device());
    } catch (const c10::Error& e) {
      std::string m = e.what();
      if (auto nl = m.find('\n'); nl != std::string::npos) m.resize(nl);
      throw Error(path, "model weights do not match its metadata: " + m, "retrain the model");
    }
  }

 private:
  std::vector<proxies::NodeStats> parse(const std::vector<nlohmann::json>& features) const {
    std::vector<proxies::NodeStats> out;
    for (std::size_t i = 0; i < features.size(); ++i) {
      auto st = proxies::NodeStats::from_json(features[i], "feature record " + std::to_string(i));
      const std::size_t want = s_.fisher ? 4 : 3;
      if (st.names.size() < want)
        throw Error("feature record " + std::to_string(i), "has " + std::to_string(st.names.size()) + " statistics, the model needs " +
                                                               std::to_string(want),
                    s_.fisher ? "compute features with fisher (zcnas features --fisher)" : "recompute the features");
      if (!s_.fisher && st.names.size() == 4) st.names.pop_back(), st.values.pop_back();
      out.push_back(std::move(st));
    }
    return out;
  }
  torch::Tensor to_tensor(const std::vector<proxies::NodeStats>& stats) const {
    std::vector<float> flat;
    for (const auto& st : stats) {
      auto v = proxies::node_feature_vector(st, static_cast<std::size_t>(s_.max_nodes));
      flat.insert(flat.end(), v.begin(), v.end());
    }
    const auto n = static_cast<std::int64_t>(stats.size());
    return torch::from_blob(flat.data(), {n, static_cast<std::int64_t>(flat.size()) / n}, torch::kFloat32).clone();
  }

  // The settings' device; a CUDA model evaluated where no GPU is runs on the CPU.
  torch::Device device() const {
    torch::Device d(torch::kCPU);
    try {
      d = torch::Device(s_.device);
    } catch (const c10::Error&) {
      throw Error("predictor parzc", "setting 'device' is not a device: '" + s_.device + "'", "use cpu, cuda or cuda:N");
    }
    if (d.is_cuda() && !torch::cuda::is_available()) return torch::Device(torch::kCPU);
    return d;
  }

  ParzcSettings s_;
  mutable Mabn net_{nullptr};  // eval() and forward are non-const in libtorch; guarded by mu_
  double target_mean_ = 0, target_std_ = 1;
  std::vector<std::string> trained_on_;
  nlohmann::json feature_provenance_ = nlohmann::json::object(), training_ = nlohmann::json::object();
  mutable std::mutex mu_;
};

}  // namespace

ParzcSettings ParzcSettings::from_json(const nlohmann::json& j) {
  const std::string who = "predictor parzc";
  ParzcSettings s;
  if (j.is_null()) return s;
  read_settings_object(who, j, [&](const std::string& k, const nlohmann::json& v) {
    if (k == "seed") s.seed = v.get<std::uint64_t>();
    else if (k == "loss") s.loss = v.get<std::string>(), check_loss_name(s.loss);
    else if (k == "alpha") s.alpha = v.get<double>();
    else if (k == "margin") s.margin = v.get<double>();
    else if (k == "bayes") s.bayes = v.get<bool>();
    else if (k == "fisher") s.fisher = v.get<bool>();
    else if (k == "epochs") s.epochs = v.get<int>();
    else if (k == "batch_size") s.batch_size = v.get<int>();
    else if (k == "lr") s.lr = v.get<double>();
    else if (k == "weight_decay") s.weight_decay = v.get<double>();
    else if (k == "kl_weight") s.kl_weight = v.get<double>();
    else if (k == "mc_samples") s.mc_samples = v.get<int>();
    else if (k == "dim") s.dim = v.get<int>();
    else if (k == "depth") s.depth = v.get<int>();
    else if (k == "sequence_length") s.sequence_length = v.get<int>();
    else if (k == "patch_size") s.patch_size = v.get<int>();
    else if (k == "dropout") s.dropout = v.get<double>();
    else if (k == "max_nodes") s.max_nodes = v.get<std::int64_t>();
    else if (k == "device") s.device = v.get<std::string>();
    else return false;
    return true;
  }, "seed, loss, alpha, margin, bayes, fisher, epochs, batch_size, lr, weight_decay, kl_weight, "
     "mc_samples, dim, depth, sequence_length, patch_size, dropout, max_nodes, device");
  auto positive = [&](const char* k, double v) {
    if (!(v > 0)) throw Error(who, std::string("setting '") + k + "' must be positive");
  };
  positive("alpha", s.alpha), positive("epochs", s.epochs), positive("batch_size", s.batch_size), positive("lr", s.lr);
  positive("mc_samples", s.mc_samples), positive("dim", s.dim), positive("depth", s.depth);
  positive("sequence_length", s.sequence_length), positive("patch_size", s.patch_size);
  if (s.sequence_length % s.patch_size != 0)
    throw Error(who, "sequence_length " + std::to_string(s.sequence_length) + " is not a multiple of patch_size " +
                         std::to_string(s.patch_size));
  if (s.dim < 2) throw Error(who, "setting 'dim' must be at least 2");
  try {
    (void)torch::Device(s.device);
  } catch (const c10::Error&) {
    throw Error(who, "setting 'device' is not a device: '" + s.device + "'", "use cpu, cuda or cuda:N");
  }
  if (s.dropout < 0 || s.dropout >= 1) throw Error(who, "setting 'dropout' must be in [0, 1)");
  if (s.max_nodes < 0 || s.kl_weight < 0 || s.weight_decay < 0) throw Error(who, "max_nodes, kl_weight and weight_decay must be >= 0");
  return s;
}

nlohmann::json ParzcSettings::to_json() const {
  return {{"seed", seed},         {"loss", loss},         {"alpha", alpha},
          {"margin", margin},     {"bayes", bayes},       {"fisher", fisher},
          {"epochs", epochs},     {"batch_size", batch_size}, {"lr", lr},
          {"weight_decay", weight_decay}, {"kl_weight", kl_weight}, {"mc_samples", mc_samples},
          {"dim", dim},           {"depth", depth},       {"sequence_length", sequence_length},
          {"patch_size", patch_size}, {"dropout", dropout}, {"max_nodes", max_nodes}, {"device", device}};
}

PredictorPtr make_parzc(const nlohmann::json& settings) { return std::make_unique<Parzc>(ParzcSettings::from_json(settings)); }

}  // namespace zcnas::predictors
