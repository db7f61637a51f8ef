// Transformer proxies (W-PCA, the NAS-Bench-BERT four) on a small hand-built encoder that
// follows the spaces' node naming (proxies/transformer.hpp), fed real text.
#include <catch2/catch.hpp>

#include <cmath>

#include "zcnas/common/error.hpp"
#include "zcnas/proxies/batch.hpp"
#include "zcnas/proxies/registry.hpp"
#include "zcnas/proxies/scorer.hpp"
#include "zcnas/proxies/tokens.hpp"
#include "zcnas/proxies/transformer.hpp"
#include "zcnas/proxies/wpca.hpp"
#include "zcnas/spaces/counting.hpp"
#include "zcnas/spaces/executor.hpp"

using namespace zcnas;
using namespace zcnas::proxies;
using spaces::NodeId;

namespace {

// A post-LN BERT-style encoder: `layers` layers of width d, `heads` heads, FFN width f,
// sequence length t, and a 2-class head on the mean token. causal = GPT-style mask.
spaces::NetGraph tiny_encoder(int layers, std::int64_t d, std::int64_t heads, std::int64_t f, std::int64_t t,
                              bool causal = false) {
  spaces::NetGraph g;
  auto x = g.token_input(t);
  x = g.embedding(x, {.num_embeddings = 8000, .dim = d}, "embed.tok");
  x = g.positional_embedding(x, {.rows = t, .kind = spaces::PositionalKind::Learned}, "embed.pos");
  x = g.layer_norm(x, {}, "embed.ln");
  for (int i = 0; i < layers; ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    auto q = g.linear(x, {.out_features = d}, p + "attn.q");
    auto k = g.linear(x, {.out_features = d}, p + "attn.k");
    auto v = g.linear(x, {.out_features = d}, p + "attn.v");
    auto a = g.attention(q, k, v, {.heads = heads, .causal = causal}, p + "attn.core");
    auto o = g.linear(a, {.out_features = d}, p + "attn.o");
    x = g.layer_norm(g.add_n({x, o}, p + "attn.add"), {}, p + "attn.ln");
    auto h = g.linear(x, {.out_features = f}, p + "ffn.0.fc1");
    h = g.gelu(h, p + "ffn.0.act");
    h = g.linear(h, {.out_features = d}, p + "ffn.0.fc2");
    x = g.layer_norm(g.add_n({x, h}, p + "ffn.add"), {}, p + "ffn.ln");
  }
  auto pooled = g.mean_tokens(x, "head.pool");
  g.set_output(g.linear(pooled, {.out_features = 2}, "head.fc"));
  return g;
}

Batch text_batch(const spaces::NetGraph& g, std::int64_t n = 4, std::uint64_t seed = 0) {
  TokenBatchOptions o;
  o.batch_size = n;
  o.seed = seed;
  return make_token_batch(*TokenCorpus::shared(ZCNAS_TEST_TEXT_DIR), g, o);
}

NodeId by_name(const spaces::NetGraph& g, const std::string& name) {
  for (NodeId id = 0; id < static_cast<NodeId>(g.size()); ++id)
    if (g.node(id).name == name) return id;
  FAIL("no node " << name);
  return -1;
}

}  // namespace

TEST_CASE("transformer_nodes follows the layers.<i>.{attn,ffn} naming", "[transformer]") {
  const auto g = tiny_encoder(2, 32, 4, 64, 16);
  const auto t = transformer_nodes(g);
  CHECK(t.layers == 2);
  REQUIRE(t.ffn_first_linear.size() == 2);
  CHECK(g.node(t.ffn_first_linear[1]).name == "layers.1.ffn.0.fc1");
  CHECK(t.ffn_gelus.size() == 2);
  CHECK(t.head_projections.size() == 6);  // q, k, v per layer; not o
  CHECK(t.mixing_linears.size() == 8);    // q, k, v, o per layer
  CHECK(t.attention_cores.size() == 2);
  CHECK(g.node(t.body_output).name == "layers.1.ffn.ln");
  spaces::NetGraph cnn;
  cnn.set_output(cnn.relu(cnn.input({3, 8, 8}), "relu"));
  CHECK_THROWS_AS(transformer_nodes(cnn), Error);
}

TEST_CASE("attention_probabilities reproduce the executor's attention core", "[transformer]") {
  for (bool causal : {false, true}) {
    INFO("causal " << causal);
    const auto g = tiny_encoder(1, 32, 4, 64, 16, causal);
    const auto b = text_batch(g);
    spaces::TorchNet net(g, 5);
    torch::NoGradGuard ng;
    std::map<std::string, torch::Tensor> seen;
    net->forward(b.inputs, [&](NodeId, const spaces::Node& n, const torch::Tensor& y) { seen[n.name] = y; });
    const auto& attr = g.node(by_name(g, "layers.0.attn.core")).as<spaces::AttentionAttr>();
    const auto p = attention_probabilities(seen["layers.0.attn.q"], seen["layers.0.attn.k"], attr);
    REQUIRE(p.sizes() == torch::IntArrayRef({4, 4, 16, 16}));
    CHECK(torch::allclose(p.sum(-1), torch::ones({4, 4, 16})));
    if (causal) CHECK(p.index({0, 0, 0, 1}).item<float>() == 0.0f);  // token 0 sees only itself
    const auto v = seen["layers.0.attn.v"].reshape({4, 16, 4, 8}).transpose(1, 2);
    const auto ctx = torch::matmul(p, v).transpose(1, 2).reshape({4, 16, 32});
    CHECK(torch::allclose(ctx, seen["layers.0.attn.core"], 1e-5, 1e-6));
  }
}

TEST_CASE("NAS-Bench-BERT terms equal their reference expressions", "[transformer]") {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const auto y = torch::randn({3, 5, 7}, gen);
  SECTION("head confidence: torch.mean(torch.max(output, 1)[0])") {
    CHECK(head_confidence_term(y) == Approx(std::get<0>(y.max(1)).mean().item<double>()).epsilon(1e-6));
  }
  SECTION("activation distance: sum of x x^T + (1-x)(1-x^T), x = output[0] > 0") {
    const auto x = (y[0] > 0).to(torch::kFloat64);
    const auto K = x.matmul(x.t()) + (1 - x).matmul((1 - x).t());
    CHECK(activation_distance_term(y) == K.sum().item<double>());
    // all tokens agree on every unit: T^2 per unit
    CHECK(activation_distance_term(torch::ones({1, 5, 7})) == 5.0 * 5.0 * 7.0);
  }
  SECTION("synaptic diversity: |nuc(W) * nuc(G)| (sum of singular values)") {
    const auto w = torch::randn({6, 4}, gen), gr = torch::randn({6, 4}, gen);
    const double expect = torch::linalg_svdvals(w.to(torch::kFloat64)).sum().item<double>() *
                          torch::linalg_svdvals(gr.to(torch::kFloat64)).sum().item<double>();
    CHECK(synaptic_diversity_term(w, gr) == Approx(expect).epsilon(1e-10));
    CHECK(synaptic_diversity_term(w, torch::Tensor()) == 0.0);
  }
  SECTION("softmax confidence: max over heads (dim 1), then the mean") {
    const auto p = torch::softmax(torch::randn({2, 3, 4, 4}, gen), -1);
    CHECK(softmax_confidence_term(p) == Approx(std::get<0>(p.max(1)).mean().item<double>()).epsilon(1e-6));
  }
}

TEST_CASE("W-PCA and the NAS-Bench-BERT proxies score a transformer on real text", "[transformer]") {
  const auto g = tiny_encoder(2, 32, 4, 64, 32);
  const auto batch = text_batch(g, 8);
  Scorer scorer(make_proxies("wpca,pca,head_confidence,head_softmax_confidence,activation_distance,synaptic_diversity"));
  const auto r = scorer.score(g, batch, 7);
  for (const auto& s : r.scores) {
    INFO(s.proxy << ": " << s.message);
    CHECK(s.status == ScoreStatus::Ok);
    CHECK(std::isfinite(s.value));
  }
  const double wpca = r.scores[0].value, pca = r.scores[1].value;
  // pca = sum over 2 layers of k <= 64 each, from 8 x 32 = 256 rows
  CHECK(pca >= 2);
  CHECK(pca <= 128);
  CHECK(pca == std::floor(pca));
  CHECK(wpca == Approx(pca * static_cast<double>(spaces::param_count(g))));
  // The reference code's mean over layers is half the paper's sum here.
  Scorer mean_scorer({make_proxy("pca", {{"combine", "mean"}})});
  CHECK(mean_scorer.score(g, batch, 7).scores[0].value == Approx(pca / 2));
  // activation distance of one sequence of T = 32 tokens over 2 x 64 units lies in [T^2 F / 2, T^2 F]
  const double ad = r.scores[4].value;
  CHECK(ad >= 32.0 * 32 * 128 / 2);
  CHECK(ad <= 32.0 * 32 * 128);
  // softmax confidence: 2 layers, each a mean of maxima of probabilities in (0, 1]
  CHECK(r.scores[3].value > 0);
  CHECK(r.scores[3].value <= 2.0);
  // same seed, same batch: same values; run alone = run together
  const auto again = scorer.score(g, batch, 7);
  for (std::size_t i = 0; i < r.scores.size(); ++i) CHECK(again.scores[i].value == r.scores[i].value);
  Scorer alone({make_proxy("head_confidence")});
  CHECK(alone.score(g, batch, 7).scores[0].value == r.scores[2].value);
}

TEST_CASE("W-PCA reads the pre-GELU output of the first FFN linear", "[transformer]") {
  // A wider FFN than rows forces the Gram path; PCA_dim is then at most rows - 1.
  const auto g = tiny_encoder(1, 16, 2, 256, 8);
  const auto batch = text_batch(g, 2);  // 16 rows
  const double pca = Scorer({make_proxy("pca")}).score(g, batch, 1).scores[0].value;
  CHECK(pca >= 1);
  CHECK(pca <= 15);
  // the same number straight from the fc1 output
  spaces::TorchNet net(g, 1);
  net->train();
  torch::NoGradGuard ng;
  torch::Tensor fc1;
  net->forward(batch.inputs, [&](NodeId, const spaces::Node& n, const torch::Tensor& y) {
    if (n.name == "layers.0.ffn.0.fc1") fc1 = y.reshape({-1, 256}).contiguous();
  });
  Eigen::MatrixXf m = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      fc1.data_ptr<float>(), fc1.size(0), fc1.size(1));
  CHECK(pca == pca_dim(m, 0.99));
}

TEST_CASE("transformer proxies on a CNN report an error, not a crash; bad settings are refused", "[transformer]") {
  spaces::NetGraph cnn;
  auto x = cnn.input({3, 8, 8});
  cnn.set_output(cnn.linear(cnn.flatten(cnn.relu(x, "relu"), "flat"), {.out_features = 2}, "fc"));
  Batch b;
  b.inputs = torch::zeros({2, 3, 8, 8});
  b.labels = torch::zeros({2}, torch::kInt64);
  const auto r = Scorer({make_proxy("wpca")}).score(cnn, b, 0);
  CHECK(r.scores[0].status == ScoreStatus::Error);
  CHECK(r.scores[0].message.find("layers.<i>") != std::string::npos);
  CHECK_THROWS_AS(make_proxy("wpca", {{"eta", 1.5}}), Error);
  CHECK_THROWS_AS(make_proxy("pca", {{"combine", "max"}}), Error);
}

TEST_CASE("synflow on a token network: token id 1 everywhere, closed form", "[transformer][synflow]") {
  // ids -> Embedding(V, D) -> Linear(D -> 2), output {T, 2}. With every parameter replaced by
  // its absolute value and token id 1 at all T positions, R = sum_t sum_j (sum_k |W_jk| |E_1k| + |b_j|),
  // so dR/dW_jk = T |E_1k| and synflow = log(sum_jk |W_jk| T |E_1k|) (the Linear is the only metric layer).
  constexpr std::int64_t kT = 5;
  spaces::NetGraph g;
  auto x = g.token_input(kT);
  x = g.embedding(x, {.num_embeddings = 8000, .dim = 3}, "embed.tok");
  g.set_output(g.linear(x, {.out_features = 2}, "head.fc"));
  const auto r = Scorer({make_proxy("synflow")}).score(g, text_batch(g), 7);
  REQUIRE(r.scores[0].status == ScoreStatus::Ok);
  spaces::TorchNet net(g, 7);
  const auto e1 = net->node_weight(by_name(g, "embed.tok"))[1].abs().to(torch::kFloat64);
  const auto w = net->node_weight(by_name(g, "head.fc")).abs().to(torch::kFloat64);
  const double expected = std::log((w * e1.unsqueeze(0)).sum().item<double>() * kT);
  CHECK(r.scores[0].value == Approx(expected).epsilon(1e-6));
  // The real spaces (their graphs hold LayerNorms, attention, adaptive embeddings) score too.
  const auto enc = tiny_encoder(2, 32, 4, 64, 16);
  const auto s = Scorer({make_proxy("synflow")}).score(enc, text_batch(enc), 7);
  REQUIRE(s.scores[0].status == ScoreStatus::Ok);
  CHECK(std::isfinite(s.scores[0].value));
}
