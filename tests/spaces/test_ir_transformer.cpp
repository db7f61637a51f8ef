// Transformer ops of the IR (issue 10): shapes, forward+backward, outputs against torch
// reference modules / formulas written directly, causal masking, parameter counts (all and
// non-embedding) against the built module, and errors for bad graphs and bad token ids.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>

#include "zcnas/common/error.hpp"
#include "zcnas/spaces/counting.hpp"
#include "zcnas/spaces/executor.hpp"
#include "spaces_test_util.hpp"

using namespace zcnas::spaces;

namespace {

std::int64_t numel_of(TorchNet& net) { return zcnas::spaces::testing::module_numel(net); }

torch::Tensor param(TorchNet& net, const std::string& name) {
  const auto params = net->named_parameters(true);  // find() points into this dict
  const auto* p = params.find(name);
  REQUIRE(p);
  return *p;
}

// Forward + backward with batch 2; every parameter gets a finite gradient; counts agree.
void check_forward_backward(const NetGraph& g, const torch::Tensor& x, const std::string& label) {
  INFO(label);
  TorchNet net(g, 7);
  auto y = net->forward(x);
  REQUIRE(y.sizes().vec() == batched(g.output_shape(), x.size(0)));
  REQUIRE(torch::isfinite(y).all().item<bool>());
  (y * torch::randn_like(y)).sum().backward();
  for (const auto& p : net->named_parameters()) {
    INFO(p.key());
    REQUIRE(p.value().grad().defined());
    REQUIRE(torch::isfinite(p.value().grad()).all().item<bool>());
  }
  CHECK(numel_of(net) == param_count(g));
  CHECK(net->nonembedding_numel() == param_count(g) - embedding_param_count(g));
}

torch::Tensor ids(std::int64_t batch, std::int64_t t, std::int64_t vocab, std::uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::randint(0, vocab, {batch, t}, gen, torch::kLong);
}

}  // namespace

TEST_CASE("transformer ops: inferred shapes, forward and backward", "[spaces][ir][transformer]") {
  torch::manual_seed(0);
  SECTION("decoder block on token ids") {
    NetGraph g;
    auto x = g.token_input(6);
    x = g.embedding(x, {50, 16}, "wte");
    x = g.positional_embedding(x, {8, PositionalKind::Learned}, "wpe");
    auto h = g.layer_norm(x, {}, "h.0.ln_1");
    auto q = g.linear(h, {16, true}, "h.0.attn.q");
    auto k = g.linear(h, {16, true}, "h.0.attn.k");
    auto v = g.linear(h, {16, true}, "h.0.attn.v");
    auto a = g.attention(q, k, v, {4, true, 0.0}, "h.0.attn.core");
    CHECK(g.node(a).shape == Shape({6, 16}));
    a = g.linear(a, {16, true}, "h.0.attn.o");
    x = g.add_n({x, a}, "h.0.res1");
    h = g.gelu(g.linear(g.layer_norm(x, {}, "h.0.ln_2"), {40, true}, "h.0.mlp.fc"), "h.0.mlp.act", {true});
    x = g.add_n({x, g.linear(h, {16, true}, "h.0.mlp.proj")}, "h.0.res2");
    g.set_output(g.linear(g.layer_norm(x, {}, "ln_f"), {50, false}, "lm_head"));
    CHECK(g.output_shape() == Shape({6, 50}));
    CHECK(g.has_token_input());
    check_forward_backward(g, ids(2, 6, 50, 1), "decoder");
    // embedding parameters: wte (50x16) and wpe (8x16)
    CHECK(embedding_param_count(g) == 50 * 16 + 8 * 16);
  }
  SECTION("vision transformer on images") {
    NetGraph g;
    auto x = g.input({3, 8, 8});
    x = g.patch_embed(x, {4, 12, true}, "patch_embed");
    CHECK(g.node(x).shape == Shape({4, 12}));
    x = g.cls_token(x, "cls_token");
    CHECK(g.node(x).shape == Shape({5, 12}));
    x = g.positional_embedding(x, {5, PositionalKind::Learned}, "pos_embed");
    auto q = g.linear(x, {8, true}, "q"), k = g.linear(x, {8, true}, "k"), v = g.linear(x, {8, true}, "v");
    x = g.linear(g.attention(q, k, v, {2, false, 0.0}, "attn"), {12, true}, "proj");
    auto cls = g.select_token(g.layer_norm(x, {1e-6, true}, "norm"), {0}, "pool");
    auto mean = g.mean_tokens(x, "mean");
    g.set_output(g.linear(g.concat({cls, mean}, "both"), {10, true}, "head"));
    CHECK(g.output_shape() == Shape{10});
    check_forward_backward(g, torch::randn({2, 3, 8, 8}), "vit");
    CHECK(embedding_param_count(g) == 5 * 12);
  }
  SECTION("FlexiBERT-style mixing: linear transforms, separable and dynamic convolution") {
    NetGraph g;
    auto x = g.token_input(7);
    x = g.embedding(x, {30, 8}, "word");
    x = g.positional_embedding(x, {16, PositionalKind::Learned}, "pos");
    x = g.positional_embedding(x, {2, PositionalKind::Row0}, "token_type");
    x = g.positional_embedding(x, {0, PositionalKind::Sinusoidal}, "sin");
    auto dft = g.linear_transform(x, {TransformKind::DFT, 2}, "dft");
    auto dct = g.linear_transform(x, {TransformKind::DCT, 4}, "dct");
    auto dw = g.conv1d(x, {8, 5, 2, 8, false}, "dsc.depthwise");
    auto pw = g.linear(dw, {4, true}, "dsc.pointwise");
    auto logits = g.linear(g.mul(pw, g.linear(x, {4, true}, "dsc.q"), "dsc.mul"), {2 * 5, true}, "dsc.kernel");
    auto dyn = g.dynamic_conv(g.linear(x, {4, true}, "dsc.value"), logits, {2, 5}, "dsc.dynamic");
    auto cat = g.concat({dyn, g.linear(x, {4, true}, "dsc.attn")}, ConcatAttr{1}, "dsc.cat");
    CHECK(g.node(cat).shape == Shape({7, 8}));
    auto y = g.add_n({dft, dct, cat}, "sum");
    g.set_output(g.select_token(y, {0}, "cls"));
    check_forward_backward(g, ids(3, 7, 30, 2), "flexibert");
    CHECK(embedding_param_count(g) == 30 * 8 + 16 * 8 + 2 * 8);
  }
  SECTION("to_text shows the attributes") {
    NetGraph g;
    auto x = g.token_input(4);
    x = g.adaptive_embedding(x, {100, 16, 8, adaptive_cutoffs(100, {20, 60}), 2}, "emb");
    g.set_output(g.attention(x, x, x, {2, true, 0.0}, "att"));
    const auto text = g.to_text();
    CHECK_THAT(text, Catch::Contains("0 input input in=[] out=[4] tokens"));
    CHECK_THAT(text, Catch::Contains("adaptive_embedding emb in=[0] out=[4,8] n=100 d_embed=16 div=2 cutoffs=[20,60,100]"));
    CHECK_THAT(text, Catch::Contains("attention att in=[1,1,1] out=[4,8] heads=2 causal=1"));
  }
}

TEST_CASE("transformer ops reproduce torch reference computations", "[spaces][ir][transformer]") {
  torch::manual_seed(3);
  SECTION("multi-head attention = torch::nn::MultiheadAttention with the same projections, causal mask too") {
    for (bool causal : {false, true}) {
      INFO("causal " << causal);
      const std::int64_t T = 5, D = 12, H = 3;
      NetGraph g;
      auto x = g.input({T, D});
      auto q = g.linear(x, {D, true}, "q"), k = g.linear(x, {D, true}, "k"), v = g.linear(x, {D, true}, "v");
      g.set_output(g.linear(g.attention(q, k, v, {H, causal, 0.0}, "core"), {D, true}, "o"));
      TorchNet net(g, 11);
      torch::nn::MultiheadAttention mha(torch::nn::MultiheadAttentionOptions(D, H));
      {
        torch::NoGradGuard ng;
        mha->in_proj_weight.copy_(torch::cat({param(net, "q.weight"), param(net, "k.weight"), param(net, "v.weight")}));
        mha->in_proj_bias.copy_(torch::cat({param(net, "q.bias"), param(net, "k.bias"), param(net, "v.bias")}));
        mha->out_proj->weight.copy_(param(net, "o.weight"));
        mha->out_proj->bias.copy_(param(net, "o.bias"));
      }
      auto in = torch::randn({2, T, D});
      auto xt = in.transpose(0, 1);  // [T, B, D]
      torch::Tensor mask;
      if (causal) mask = torch::full({T, T}, -std::numeric_limits<float>::infinity()).triu(1);
      auto want = std::get<0>(mha->forward(xt, xt, xt, {}, true, mask)).transpose(0, 1);
      auto got = net->forward(in);
      CHECK(torch::allclose(got, want, 1e-5, 1e-5));
    }
  }
  SECTION("causal attention: the output at t does not depend on inputs after t") {
    const std::int64_t T = 6;
    NetGraph g;
    auto x = g.token_input(T);
    x = g.embedding(x, {20, 8}, "emb");
    auto q = g.linear(x, {8, true}, "q"), k = g.linear(x, {8, true}, "k"), v = g.linear(x, {8, true}, "v");
    auto a = g.attention(q, k, v, {2, true, 0.0}, "a");
    g.set_output(g.linear(g.layer_norm(g.add_n({x, a}, "res"), {}, "ln"), {8, true}, "out"));
    TorchNet net(g, 5);
    auto base = ids(1, T, 20, 9);
    auto y0 = net->forward(base);
    for (std::int64_t t = 0; t + 1 < T; ++t) {
      auto changed = base.clone();
      changed.slice(1, t + 1, T).fill_(19);  // every later token replaced
      auto y1 = net->forward(changed);
      INFO("t " << t);
      CHECK(torch::equal(y0.slice(1, 0, t + 1), y1.slice(1, 0, t + 1)));
      CHECK_FALSE(torch::equal(y0.slice(1, t + 1, T), y1.slice(1, t + 1, T)));
    }
  }
  SECTION("Embedding, LayerNorm, GELU (erf and tanh), Conv1d against torch functions") {
    NetGraph g;
    auto x = g.token_input(5);
    auto e = g.embedding(x, {11, 6}, "emb");
    auto ln = g.layer_norm(e, {1e-6, true}, "ln");
    auto ge = g.gelu(ln, "gelu");
    auto gt = g.gelu(ge, "gelu_tanh", {true});
    auto cv = g.conv1d(gt, {4, 3, 1, 2, true}, "conv");
    g.set_output(cv);
    TorchNet net(g, 2);
    {
      torch::NoGradGuard ng;
      param(net, "ln.weight").uniform_(0.5, 1.5);
      param(net, "ln.bias").uniform_(-0.5, 0.5);
    }
    auto in = ids(2, 5, 11, 4);
    std::vector<torch::Tensor> seen(g.size());
    net->forward(in, [&](NodeId id, const Node&, const torch::Tensor& y) { seen[id] = y.detach(); });
    auto want_e = param(net, "emb.weight").detach().index_select(0, in.flatten()).reshape({2, 5, 6});
    CHECK(torch::equal(seen[e], want_e));
    auto mu = want_e.mean(-1, true), var = want_e.var(-1, false, true);
    auto want_ln = (want_e - mu) / torch::sqrt(var + 1e-6) * param(net, "ln.weight").detach() + param(net, "ln.bias").detach();
    CHECK(torch::allclose(seen[ln], want_ln, 1e-5, 1e-5));
    auto want_ge = seen[ln] * 0.5 * (1 + torch::erf(seen[ln] / std::sqrt(2.0)));
    CHECK(torch::allclose(seen[ge], want_ge, 1e-6, 1e-6));
    const double c = std::sqrt(2.0 / std::acos(-1.0));
    auto z = seen[ge];
    auto want_gt = 0.5 * z * (1 + torch::tanh(c * (z + 0.044715 * z * z * z)));
    CHECK(torch::allclose(seen[gt], want_gt, 1e-6, 1e-6));
    auto want_cv = torch::conv1d(seen[gt].transpose(1, 2), param(net, "conv.weight").detach(), param(net, "conv.bias").detach(), 1,
                                 1, 1, 2)
                       .transpose(1, 2);
    CHECK(torch::allclose(seen[cv], want_cv, 1e-6, 1e-6));
  }
  SECTION("linear transforms: DFT = real part of torch::fft::fft2 per head, DCT = the unnormalized 2-D DCT-II") {
    const std::int64_t T = 6, W = 8, H = 2, dh = W / H;
    NetGraph g;
    auto x = g.input({T, W});
    auto dft = g.linear_transform(x, {TransformKind::DFT, H}, "dft");
    auto dct = g.linear_transform(x, {TransformKind::DCT, H}, "dct");
    g.set_output(g.add_n({dft, dct}, "sum"));
    TorchNet net(g, 0);
    auto in = torch::randn({2, T, W}, torch::kFloat64);
    net->to(torch::kFloat64);
    std::vector<torch::Tensor> seen(g.size());
    net->forward(in, [&](NodeId id, const Node&, const torch::Tensor& y) { seen[id] = y; });
    auto heads = in.reshape({2, T, H, dh}).transpose(1, 2);
    auto want_dft = torch::real(torch::fft::fft2(heads)).transpose(1, 2).reshape({2, T, W});
    CHECK(torch::allclose(seen[dft], want_dft, 1e-9, 1e-9));
    // X[kt, kd] = sum_t sum_d x[t, d] * 2cos(pi kt (2t+1) / 2T) * 2cos(pi kd (2d+1) / 2dh), per head
    auto want_dct = torch::zeros({2, T, W}, torch::kFloat64);
    const double pi = std::acos(-1.0);
    auto acc = in.accessor<double, 3>();
    auto out = want_dct.accessor<double, 3>();
    for (int b = 0; b < 2; ++b)
      for (int h = 0; h < H; ++h)
        for (int kt = 0; kt < T; ++kt)
          for (int kd = 0; kd < dh; ++kd) {
            double s = 0;
            for (int t = 0; t < T; ++t)
              for (int d = 0; d < dh; ++d)
                s += acc[b][t][h * dh + d] * 2 * std::cos(pi * kt * (2 * t + 1) / (2.0 * T)) * 2 *
                     std::cos(pi * kd * (2 * d + 1) / (2.0 * dh));
            out[b][kt][h * dh + kd] = s;
          }
    CHECK(torch::allclose(seen[dct], want_dct, 1e-9, 1e-9));
  }
  SECTION("dynamic convolution: softmax-weighted window sums per head, zero padded") {
    const std::int64_t T = 5, W = 4, H = 2, K = 3;
    NetGraph g;
    auto x = g.input({T, W + H * K});
    // split the input into values and logits with two linears of fixed identity-like weights
    auto vals = g.linear(x, {W, false}, "vals");
    auto logits = g.linear(x, {H * K, false}, "logits");
    g.set_output(g.dynamic_conv(vals, logits, {H, K}, "dyn"));
    TorchNet net(g, 0);
    net->to(torch::kFloat64);
    {
      torch::NoGradGuard ng;
      auto eye = torch::eye(W + H * K, torch::kFloat64);
      param(net, "vals.weight").copy_(eye.slice(0, 0, W));
      param(net, "logits.weight").copy_(eye.slice(0, W, W + H * K));
    }
    auto in = torch::randn({1, T, W + H * K}, torch::kFloat64);
    auto got = net->forward(in);
    auto a = in.accessor<double, 3>();
    for (int t = 0; t < T; ++t)
      for (int c = 0; c < W; ++c) {
        const int h = c / (W / H);
        double zsum = 0, s = 0;
        for (int j = 0; j < K; ++j) zsum += std::exp(a[0][t][W + h * K + j]);
        for (int j = 0; j < K; ++j) {
          const int src = t + j - (K - 1) / 2;
          if (src < 0 || src >= T) continue;
          s += std::exp(a[0][t][W + h * K + j]) / zsum * a[0][src][c];
        }
        INFO("t " << t << " c " << c);
        CHECK(got[0][t][c].item<double>() == Approx(s).epsilon(1e-12));
      }
  }
  SECTION("adaptive embedding: per-cluster table and projection, scaled by sqrt(d_proj), as archai") {
    NetGraph g;
    auto x = g.token_input(8);
    AdaptiveEmbeddingAttr a{30, 8, 6, adaptive_cutoffs(30, {10, 20}), 2};
    g.set_output(g.adaptive_embedding(x, a, "emb"));
    TorchNet net(g, 4);
    CHECK(numel_of(net) == 10 * 8 + 6 * 8 + 10 * 4 + 6 * 4 + 10 * 2 + 6 * 2);
    CHECK(numel_of(net) == param_count(g));
    CHECK(net->nonembedding_numel() == 0);
    auto in = torch::tensor({{0, 9, 10, 19, 20, 29, 5, 25}}, torch::kLong);
    auto got = net->forward(in);
    const std::int64_t lo[] = {0, 10, 20};
    for (int t = 0; t < 8; ++t) {
      const auto id = in[0][t].item<std::int64_t>();
      const int c = id < 10 ? 0 : id < 20 ? 1 : 2;
      auto row = param(net, "emb.emb_layers." + std::to_string(c) + ".weight")[id - lo[c]];
      auto want = torch::mv(param(net, "emb.emb_projs." + std::to_string(c)), row) * std::sqrt(6.0);
      INFO("token " << id);
      CHECK(torch::allclose(got[0][t], want, 1e-6, 1e-6));
    }
    // div_val 1: one table, a projection only when d_proj != d_embed
    NetGraph g1;
    g1.set_output(g1.adaptive_embedding(g1.token_input(3), {30, 8, 8, adaptive_cutoffs(30), 1}, "emb"));
    CHECK(param_count(g1) == 30 * 8);
    NetGraph g2;
    g2.set_output(g2.adaptive_embedding(g2.token_input(3), {30, 8, 6, adaptive_cutoffs(30), 1}, "emb"));
    CHECK(param_count(g2) == 30 * 8 + 6 * 8);
    CHECK(adaptive_cutoffs(50264) == std::vector<std::int64_t>({19997, 39997, 50264}));
  }
}

// gpt2_wt103.csv row config_0_j0 (n_layer 5, d_model 128, d_embed 256, div_val 4, d_inner
// 1071 640 1286 800 1871, n_head 2 4 4 8 8, n_token 50264, tgt_len 192) has
// params_nonembedding 1790372: a GPT-2 decoder (HF GPT2 block: ln_1, c_attn as q/k/v,
// c_proj, ln_2, c_fc, gelu, c_proj; ln_f) built from IR nodes gives that count once the
// adaptive and positional embeddings are tagged as embedding parameters.
TEST_CASE("non-embedding parameters of a GPT-2 decoder match gpt2_wt103.csv", "[spaces][ir][transformer]") {
  const std::int64_t d = 128;
  const std::vector<std::int64_t> inner{1071, 640, 1286, 800, 1871}, heads{2, 4, 4, 8, 8};
  NetGraph g;
  auto x = g.token_input(192);
  x = g.adaptive_embedding(x, {50264, 256, d, adaptive_cutoffs(50264), 4}, "wte");
  x = g.positional_embedding(x, {192, PositionalKind::Learned}, "wpe");
  for (std::size_t l = 0; l < inner.size(); ++l) {
    const std::string p = "h." + std::to_string(l) + ".";
    auto h = g.layer_norm(x, {}, p + "ln_1");
    auto q = g.linear(h, {d, true}, p + "q"), k = g.linear(h, {d, true}, p + "k"), v = g.linear(h, {d, true}, p + "v");
    auto a = g.linear(g.attention(q, k, v, {heads[l], true, 0.0}, p + "attn"), {d, true}, p + "c_proj");
    x = g.add_n({x, a}, p + "res1");
    auto m = g.gelu(g.linear(g.layer_norm(x, {}, p + "ln_2"), {inner[l], true}, p + "c_fc"), p + "act", {true});
    x = g.add_n({x, g.linear(m, {d, true}, p + "mlp_proj")}, p + "res2");
  }
  g.set_output(g.layer_norm(x, {}, "ln_f"));
  CHECK(param_count(g) - embedding_param_count(g) == 1790372);
  TorchNet net(g, 0);
  CHECK(net->nonembedding_numel() == 1790372);
  CHECK(numel_of(net) == param_count(g));
}

TEST_CASE("transformer graph and input errors are clear", "[spaces][ir][transformer]") {
  auto throws_with = [](auto&& f, const std::string& needle) {
    try {
      f();
      FAIL("no error");
    } catch (const zcnas::Error& e) {
      CHECK_THAT(e.what(), Catch::Contains(needle));
    }
  };
  throws_with([] { NetGraph g; g.linear(g.token_input(4), {3, true}, "lin"); }, "cannot read int64 token ids");
  throws_with([] { NetGraph g; g.embedding(g.input({4}), {3, 2}, "emb"); }, "must be the token input");
  throws_with([] {
    NetGraph g;
    auto x = g.input({4, 6});
    g.attention(x, x, x, {4, false, 0.0}, "att");
  }, "not divisible by 4 heads");
  throws_with([] { NetGraph g; g.positional_embedding(g.input({9, 4}), {8, PositionalKind::Learned}, "pos"); },
              "exceeds the 8 positions");
  throws_with([] { NetGraph g; g.adaptive_embedding(g.token_input(4), {100, 16, 8, {20, 50}, 2}, "emb"); },
              "must end with n_token");
  throws_with([] { NetGraph g; g.layer_norm(g.input({3, 4, 4}), {0.0, true}, "ln"); }, "eps must be positive");
  throws_with([] {
    NetGraph g;
    auto x = g.input({5, 4});
    g.dynamic_conv(x, x, {2, 3}, "dyn");
  }, "kernel logits");
  NetGraph g;
  g.set_output(g.embedding(g.token_input(3), {10, 4}, "emb"));
  TorchNet net(g, 0);
  throws_with([&] { net->forward(torch::tensor({{1, 2, 10}}, torch::kLong)); }, "outside the vocabulary of 'emb'");
  throws_with([&] { net->forward(torch::zeros({1, 3})); }, "expected int64 token ids");
  CHECK(net->forward(torch::tensor({{1, 2, 9}}, torch::kInt)).sizes().vec() == std::vector<std::int64_t>({1, 3, 4}));
}
