// Dextr's curvature by second-order Taylor-mode propagation (proxies/src/jet.cpp)
// against the reverse-mode autograd engine (label_free.cpp), per point, in
// float64: hand-made graphs with every op that has a jet rule (batchnorm in
// train and eval mode, tiles), NB201 cells (with pooling and `none` edges) and
// TransNAS-Bench-101 micro networks; plus the jet's own value against the
// executor's forward and its bad-input errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "zcnas/common/error.hpp"
#include "zcnas/proxies/batch.hpp"
#include "zcnas/proxies/cifar10.hpp"
#include "zcnas/proxies/context.hpp"
#include "zcnas/proxies/jet.hpp"
#include "zcnas/proxies/label_free.hpp"
#include "zcnas/proxies/registry.hpp"
#include "zcnas/spaces/autoformer.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas;
using namespace zcnas::spaces;
namespace lf = zcnas::proxies::label_free;
namespace jet = zcnas::proxies::jet;

namespace {

constexpr double kRel = 1e-9;  // jet vs autograd, float64, per point

// Fresh float64 net (train mode) with non-trivial batchnorm affine parameters
// and running statistics, so both batchnorm rules see more than the identity.
TorchNet make_net(const NetGraph& g, std::uint64_t seed) {
  TorchNet net(g, seed);
  net->to(torch::kFloat64);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed + 100);
  torch::NoGradGuard ng;
  for (NodeId id = 0; id < static_cast<NodeId>(g.size()); ++id) {
    if (g.node(id).op == OpKind::LayerNorm && net->node_module(id)) {  // non-trivial affine
      for (auto& p : net->node_module(id)->named_parameters(false))
        p.value().copy_(torch::empty(p.value().sizes(), torch::kFloat64).uniform_(0.5, 1.5, gen));
      continue;
    }
    if (g.node(id).op != OpKind::BatchNorm2d || !net->node_module(id)) continue;
    auto* m = net->node_module(id);
    for (auto& p : m->named_parameters(false)) p.value().copy_(torch::empty(p.value().sizes(), torch::kFloat64).uniform_(0.5, 1.5, gen));
    auto b = m->named_buffers(false);
    if (auto* rm = b.find("running_mean")) rm->copy_(torch::empty(rm->sizes(), torch::kFloat64).uniform_(-0.3, 0.3, gen));
    if (auto* rv = b.find("running_var")) rv->copy_(torch::empty(rv->sizes(), torch::kFloat64).uniform_(0.5, 2.0, gen));
  }
  return net;
}

// Curvature per point by both engines on the same net; returns the jet result.
lf::CurvatureResult compare_engines(TorchNet& net, std::uint64_t seed, int points, const std::vector<std::int64_t>& coords = {}) {
  const auto& shape = net->graph().input_shape();
  auto [u, v] = lf::orthonormal_pair(shape, at::make_generator<at::CPUGeneratorImpl>(seed), torch::kFloat64);
  double dim = 1;
  for (auto d : shape) dim *= static_cast<double>(d);
  const double r = std::sqrt(dim);
  // Autograd first: its train-mode forwards update running statistics, which
  // neither engine reads in train mode (and eval-mode nets keep them).
  const auto ag = lf::extrinsic_curvature(net, u, v, r, points, coords, lf::CurvatureEngine::Autograd);
  const auto jt = lf::extrinsic_curvature(net, u, v, r, points, coords, lf::CurvatureEngine::Jet);
  REQUIRE(ag.per_point.size() == static_cast<std::size_t>(points));
  REQUIRE(jt.per_point.size() == static_cast<std::size_t>(points));
  for (int j = 0; j < points; ++j) {
    INFO("point " << j << ": autograd " << ag.per_point[j] << " jet " << jt.per_point[j]);
    CHECK(std::isfinite(jt.per_point[j]));
    CHECK(jt.per_point[j] == Approx(ag.per_point[j]).epsilon(kRel).margin(1e-300));
  }
  CHECK(jt.mean == Approx(ag.mean).epsilon(kRel));
  return jt;
}

// One graph with every op that has a jet rule.
NetGraph all_ops_graph() {
  NetGraph g;
  auto x = g.input({3, 8, 8});
  auto c1 = g.conv2d(x, {.out_channels = 6, .kernel = 3, .padding = 1, .bias = true}, "c1");
  auto b1 = g.batchnorm(c1, {}, "b1");  // affine, tracking: batch stats in train mode
  auto r1 = g.relu(b1, "r1");
  auto c2 = g.conv2d(r1, {.out_channels = 6, .kernel = 3, .stride = 2, .padding = 2, .dilation = 2, .groups = 2}, "c2");
  auto lk = g.leaky_relu(c2, {.negative_slope = 0.1}, "lk");
  auto mp = g.max_pool(r1, {.kernel = 3, .stride = 2, .padding = 1}, "mp");
  auto ap = g.avg_pool(r1, {.kernel = 3, .stride = 2, .padding = 1, .count_include_pad = false}, "ap");
  auto ap2 = g.avg_pool(r1, {.kernel = 2, .stride = 2, .padding = 1, .count_include_pad = true}, "ap2");  // 5x5
  auto sl0 = g.slice2d(ap2, {.left = 0, .right = 1, .top = 1, .bottom = 0}, "sl0");                    // 4x4
  auto z = g.zero(r1, ZeroAttr{.out_channels = 0, .stride = 2}, "z");
  auto z2 = g.zero(r1, ZeroAttr{.out_channels = 4, .stride = 2}, "z2");  // fresh zeros
  auto add = g.add_n({lk, mp, ap, sl0, z}, "add");
  auto cat = g.concat({add, z2}, "cat");  // 10 x 4 x 4
  auto sg = g.sigmoid(cat, "sg");
  auto th = g.tanh(cat, "th");
  auto pad = g.pad2d(sg, {.left = 1, .right = 2, .top = 2, .bottom = 1}, "pad");  // 10 x 7 x 7
  auto sl = g.slice2d(pad, {.left = 1, .right = 2, .top = 2, .bottom = 1}, "sl");  // 10 x 4 x 4
  auto up = g.upsample2d(th, {.factor = 2}, "up");                                  // 10 x 8 x 8
  auto ct = g.conv_transpose2d(sl, {.out_channels = 10, .kernel = 4, .stride = 2, .padding = 1, .bias = true}, "ct");
  auto a2 = g.add_n({up, ct}, "a2");
  auto b2 = g.batchnorm(a2, {.affine = false, .track_running_stats = false}, "b2");  // batch stats always
  auto id = g.identity(b2, "id");
  auto zp = g.zero(id, "zp");  // x * 0
  auto a3 = g.add_n({id, zp}, "a3");
  auto gap = g.global_avg_pool(a3, "gap");
  auto fl = g.flatten(mp, "fl");
  auto l1 = g.linear(gap, {.out_features = 7, .bias = true}, "l1");
  auto l2 = g.linear(fl, {.out_features = 7, .bias = false}, "l2");
  g.set_output(g.add_n({l1, l2}, "out"));
  return g;
}

// The ops of the ONNX import (issue 8): squeeze-excitation Mul with broadcast,
// HardSwish, Clip (ReLU6), Softmax over channels and over features, pools with
// ceil_mode, global pool with keepdims.
NetGraph mobile_ops_graph() {
  NetGraph g;
  auto x = g.input({3, 8, 8});
  auto c = g.conv2d(x, {.out_channels = 8, .kernel = 3, .padding = 1}, "c");
  auto bn = g.batchnorm(c, {}, "bn");
  auto hs = g.hardswish(g.add_n({bn, bn, bn}, "x3"), "hs");  // x3: more values in the curved part of HardSwish
  auto mp = g.max_pool(hs, {.kernel = 3, .stride = 2, .padding = 0, .ceil_mode = true}, "mp");  // 4 x 4 (floor: 3)
  auto ap = g.avg_pool(hs, {.kernel = 3, .stride = 2, .padding = 0, .count_include_pad = false, .ceil_mode = true}, "ap");
  auto add = g.add_n({mp, ap}, "add");
  auto gp = g.add(OpKind::GlobalAvgPool, {add}, GlobalPoolAttr{.keepdims = true}, "gp");  // 8 x 1 x 1
  auto c2 = g.conv2d(gp, {.out_channels = 8, .kernel = 1, .bias = true}, "c2");
  auto gate = g.clip(c2, {.lo = -0.2, .hi = 0.3}, "gate");
  auto m = g.mul(add, gate, "se");  // {8,4,4} * {8,1,1}
  auto sm = g.softmax(m, {.axis = 0}, "sm_c");
  auto r6 = g.clip(sm, {.lo = 0.0, .hi = 0.12}, "relu6ish");
  auto gap = g.global_avg_pool(g.add_n({sm, r6}, "a2"), "gap");
  auto fc = g.linear(gap, {.out_features = 6}, "fc");
  g.set_output(g.softmax(fc, {.axis = 0}, "sm_f"));
  return g;
}

// HardSigmoid gate (libtorch 1.13 has no double backward for it, so the
// autograd engine cannot take this graph's second derivative; see below).
NetGraph hardsigmoid_graph() {
  NetGraph g;
  auto x = g.input({3, 6, 6});
  auto c = g.conv2d(x, {.out_channels = 4, .kernel = 3, .padding = 1, .bias = true}, "c");
  auto h = g.hardsigmoid(g.add_n({c, c, c, c}, "x4"), "hsig");
  auto m = g.mul(c, h, "m");
  auto t = g.tanh(m, "t");
  g.set_output(g.linear(g.flatten(t, "fl"), {.out_features = 5}, "fc"));
  return g;
}

// Weight-shared towers: batchnorm statistics over each point's tiles together.
NetGraph tiles_graph() {
  NetGraph g;
  auto x = g.input({6, 6, 6});
  auto f = g.fold_tiles(x, {.tiles = 2}, "fold");  // 2 rows of 3 x 6 x 6 per sample
  auto c = g.conv2d(f, {.out_channels = 4, .kernel = 3, .padding = 1}, "c");
  auto b = g.batchnorm(c, {}, "bn");
  auto r = g.relu(b, "r");
  auto u = g.unfold_tiles(r, {.tiles = 2}, "unfold");  // 8 x 6 x 6
  auto b2 = g.batchnorm(u, {}, "bn2");
  // (The ReLU matters: the spatial mean of a train-mode batchnorm's output on
  // one sample is its bias, so GAP right after it would make the output constant.)
  auto gap = g.global_avg_pool(g.relu(b2, "r2"), "gap");
  g.set_output(g.linear(gap, {.out_features = 5}, "fc"));
  return g;
}

// shufflenet_v2's channel movement (issue 8's ONNX import): split by channel slices, a
// branch, concat, channel shuffle.
NetGraph shuffle_graph() {
  NetGraph g;
  auto x = g.input({3, 6, 6});
  auto c = g.relu(g.batchnorm(g.conv2d(x, {.out_channels = 8, .kernel = 3, .padding = 1}, "c"), {}, "bn"), "r");
  auto a = g.channel_slice(c, {.start = 0, .end = 4}, "split.0");
  auto b = g.channel_slice(c, {.start = 4, .end = 8}, "split.1");
  b = g.relu(g.conv2d(b, {.out_channels = 4, .kernel = 1, .bias = true}, "b.c"), "b.r");
  auto s = g.channel_shuffle(g.concat({a, b}, "cat"), {.groups = 2}, "shuffle");
  auto t = g.tanh(g.conv2d(s, {.out_channels = 4, .kernel = 3, .padding = 1}, "c2"), "t");
  g.set_output(g.linear(g.global_avg_pool(t, "gap"), {.out_features = 5}, "fc"));
  return g;
}

// Vision-transformer ops (issue 10's AutoFormer, ViT-style ONNX graphs): patch embedding,
// cls token, positional tables (learned, sinusoidal, row 0), layer norm (affine and not),
// attention (plain, causal with an explicit scale), GELU (erf and tanh forms), token
// selection and means, linear layers on sequences.
NetGraph transformer_ops_graph() {
  NetGraph g;
  auto x = g.input({3, 8, 8});
  auto p = g.patch_embed(x, {.patch = 4, .dim = 8, .bias = true}, "patch");  // 4 tokens x 8
  auto c = g.cls_token(p, "cls");                                            // 5 x 8
  auto pe = g.positional_embedding(c, {.rows = 6, .kind = PositionalKind::Learned}, "pos");
  auto ps = g.positional_embedding(pe, {.rows = 0, .kind = PositionalKind::Sinusoidal}, "sin");
  auto ln = g.layer_norm(ps, {.eps = 1e-5, .affine = true}, "ln");
  auto q = g.linear(ln, {.out_features = 8}, "q");
  auto k = g.linear(ln, {.out_features = 8}, "k");
  auto v = g.linear(ln, {.out_features = 6}, "v");
  auto att = g.attention(q, k, v, {.heads = 2}, "att");  // 5 x 6
  auto causal = g.attention(q, k, v, {.heads = 2, .causal = true, .scale = 0.7}, "causal");
  auto r = g.add_n({ps, g.linear(g.add_n({att, causal}, "a"), {.out_features = 8}, "o")}, "res");
  auto ln2 = g.layer_norm(r, {.eps = 1e-6, .affine = false}, "ln2");
  auto f = g.gelu(g.linear(ln2, {.out_features = 12}, "fc1"), "gelu");
  auto ft = g.gelu(g.linear(ln2, {.out_features = 12}, "fc1t"), "gelu_t", {.tanh = true});
  auto r2 = g.add_n({r, g.linear(g.add_n({f, ft}, "f"), {.out_features = 8, .bias = false}, "fc2")}, "res2");
  auto row0 = g.positional_embedding(r2, {.rows = 1, .kind = PositionalKind::Row0}, "row0");
  auto cls = g.select_token(row0, {.index = 0}, "take_cls");
  auto mean = g.mean_tokens(row0, "mean", {.first = 1});
  auto all = g.mean_tokens(r2, "mean_all");
  g.set_output(g.linear(g.add_n({cls, mean, all}, "head"), {.out_features = 5}, "fc"));
  return g;
}

// A small AutoFormer-Tiny network (32x32 images, 8x8 patches: 17 tokens) of a sampled arch.
NetGraph small_autoformer(std::uint64_t seed) {
  namespace af = zcnas::spaces::autoformer;
  Rng rng(seed);
  af::NetConfig cfg;
  cfg.img_size = 32;
  cfg.patch = 8;
  cfg.num_classes = 10;
  return af::build(af::sample(rng, af::Variant::Tiny), cfg);
}

// x(t) = a + t b (x'' = 0) through the net at t = 0.3: the jet's y', y'' against autograd's.
void check_line(TorchNet& net) {
  const auto shape = batched(net->graph().input_shape(), 1);
  auto a = torch::randn(shape, torch::kFloat64), b = torch::randn(shape, torch::kFloat64);
  auto t = torch::full({}, 0.3, torch::kFloat64).requires_grad_(true);
  auto y = net->forward(a + t * b).reshape({-1});
  const auto out = jet::forward(net, {(a + 0.3 * b), b, torch::zeros_like(b)});
  for (std::int64_t k = 0; k < y.numel(); ++k) {
    auto d1 = torch::autograd::grad({y[k]}, {t}, {}, true, true)[0];
    auto d2 = torch::autograd::grad({d1}, {t}, {}, true, false)[0];
    INFO("coordinate " << k);
    CHECK(out.d1[0][k].item<double>() == Approx(d1.item<double>()).epsilon(kRel));
    CHECK(out.d2[0][k].item<double>() == Approx(d2.item<double>()).epsilon(kRel));
  }
}

const proxies::ImageSet& pool() {
  static const auto p = proxies::read_cifar10(std::string(ZCNAS_BENCHDATA_DIR) + "/cifar10");
  return p;
}

}  // namespace

TEST_CASE("jet: value equals the executor's forward, one batch per point", "[proxies][jet]") {
  torch::set_num_threads(1);
  const auto g = all_ops_graph();
  REQUIRE(jet::supported(g));
  auto net = make_net(g, 3);
  auto x = torch::randn({4, 3, 8, 8}, torch::kFloat64);
  const auto out = jet::forward(net, {x, torch::randn_like(x), torch::randn_like(x)});
  REQUIRE(out.value.sizes() == torch::IntArrayRef({4, 7}));
  torch::NoGradGuard ng;
  for (int p = 0; p < 4; ++p) {
    auto y = net->forward(x.slice(0, p, p + 1));  // its own batch: its own batchnorm statistics
    CHECK(torch::allclose(out.value.slice(0, p, p + 1), y, 1e-12, 1e-12));
  }
}

TEST_CASE("jet: first and second derivative of a line through the net match autograd", "[proxies][jet]") {
  torch::set_num_threads(1);
  auto net = make_net(all_ops_graph(), 5);
  check_line(net);
}

TEST_CASE("jet: transformer ops, value and line derivatives against the executor and autograd", "[proxies][jet]") {
  torch::set_num_threads(1);
  const auto g = transformer_ops_graph();
  REQUIRE(jet::supported(g));
  for (std::uint64_t seed : {1, 2}) {
    INFO("seed " << seed);
    auto net = make_net(g, seed);
    auto x = torch::randn({3, 3, 8, 8}, torch::kFloat64);
    const auto out = jet::forward(net, {x, torch::randn_like(x), torch::randn_like(x)});
    {
      torch::NoGradGuard ng;
      CHECK(torch::allclose(out.value, net->forward(x), 1e-12, 1e-12));  // no batch statistics: one batch
    }
    check_line(net);
  }
}

TEST_CASE("jet curvature == autograd curvature: hand-made graphs with every op", "[proxies][jet]") {
  torch::set_num_threads(1);
  for (std::uint64_t seed : {1, 2, 3}) {
    INFO("seed " << seed);
    auto net = make_net(all_ops_graph(), seed);
    compare_engines(net, seed, 5);
    compare_engines(net, seed + 10, 3, {6, 0, 3});  // a subset of coordinates, unsorted
    net->eval();  // b1 now uses its running statistics (the linear rule); b2 still batch statistics
    compare_engines(net, seed, 4);
  }
  auto tiles = make_net(tiles_graph(), 4);
  compare_engines(tiles, 4, 6);
  tiles->eval();
  compare_engines(tiles, 5, 3);
  auto shuffle = make_net(shuffle_graph(), 8);
  REQUIRE(jet::supported(shuffle->graph()));
  compare_engines(shuffle, 8, 5);
  for (std::uint64_t seed : {6, 7}) {
    auto mobile = make_net(mobile_ops_graph(), seed);
    REQUIRE(jet::supported(mobile->graph()));
    compare_engines(mobile, seed, 5);
  }
}

TEST_CASE("jet curvature == autograd curvature: transformer ops and small AutoFormer networks", "[proxies][jet]") {
  torch::set_num_threads(1);
  for (std::uint64_t seed : {3, 4}) {
    auto net = make_net(transformer_ops_graph(), seed);
    compare_engines(net, seed, 4);
  }
  for (std::uint64_t seed : {11, 12}) {
    INFO("autoformer sample seed " << seed);
    const auto g = small_autoformer(seed);
    REQUIRE(jet::supported(g));
    auto net = make_net(g, seed);
    compare_engines(net, seed + 30, 2, {0, 4, 9});
  }
}

TEST_CASE("jet: HardSigmoid, against autograd's first derivative and differences of the jet's", "[proxies][jet]") {
  torch::set_num_threads(1);
  auto net = make_net(hardsigmoid_graph(), 3);
  auto a = torch::randn({1, 3, 6, 6}, torch::kFloat64), b = torch::randn({1, 3, 6, 6}, torch::kFloat64);
  auto c = torch::randn({1, 3, 6, 6}, torch::kFloat64);
  // x(t) = a + t b + t^2/2 c at t = 0: x' = b, x'' = c.
  auto t = torch::zeros({}, torch::kFloat64).requires_grad_(true);
  auto y = net->forward(a + t * b + 0.5 * t * t * c).reshape({-1});
  const auto out = jet::forward(net, {a, b, c});
  // Second derivative: central difference of the jet's own first derivative,
  // y'(t) at t = +-h with x(t) = a + t b + t^2/2 c, x'(t) = b + t c.
  const double h = 1e-5;
  auto d1_at = [&](double tt) { return jet::forward(net, {a + tt * b + 0.5 * tt * tt * c, b + tt * c, c}).d1; };
  auto fd2 = (d1_at(h) - d1_at(-h)) / (2 * h);
  for (std::int64_t k = 0; k < y.numel(); ++k) {
    auto d1 = torch::autograd::grad({y[k]}, {t}, {}, true, false)[0];
    INFO("coordinate " << k);
    CHECK(out.d1[0][k].item<double>() == Approx(d1.item<double>()).epsilon(kRel));
    CHECK(out.d2[0][k].item<double>() == Approx(fd2[0][k].item<double>()).epsilon(1e-5).margin(1e-8));
  }
}

TEST_CASE("jet curvature == autograd curvature: NB201 cells", "[proxies][jet]") {
  torch::set_num_threads(1);
  const auto& s = get_space("nb201");
  // Conv-heavy, pooling, `none` edges, an all-skip cell, and random ones.
  std::vector<std::string> archs = {
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_1x1~2|",
      "|avg_pool_3x3~0|+|none~0|avg_pool_3x3~1|+|none~0|skip_connect~1|avg_pool_3x3~2|",
      "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
      "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|"};
  Rng rng(7);
  for (int i = 0; i < 2; ++i) archs.push_back(s.sample(rng));
  for (std::size_t i = 0; i < archs.size(); ++i) {
    INFO(archs[i]);
    auto net = make_net(s.compile(archs[i], "cifar10"), i);
    compare_engines(net, 20 + i, 2);
  }
}

TEST_CASE("jet curvature == autograd curvature: many NB201 cells, 8 points", "[proxies][jet][slow]") {
  torch::set_num_threads(1);
  const auto& s = get_space("nb201");
  Rng rng(2026);
  for (int i = 0; i < 40; ++i) {
    const auto arch = s.sample(rng);
    INFO(arch);
    const auto ds = i % 3 == 0 ? "cifar10" : (i % 3 == 1 ? "cifar100" : "ImageNet16-120");
    auto net = make_net(s.compile(arch, ds), 100 + i);
    std::vector<std::int64_t> coords;
    if (i % 3) coords = {1, 5, 17, 42, 60, 77, 80, 91, 95, 99};
    compare_engines(net, 200 + i, 8, coords);
  }
}

TEST_CASE("jet curvature == autograd curvature: TransNAS-Bench-101 micro", "[proxies][jet][slow]") {
  torch::set_num_threads(1);
  const auto& s = get_space("tnb101_micro");
  // Skip, zero (x*0 / fresh zeros) and both convs, with a few coordinates: the
  // autoencoder decoder (conv-transpose) and jigsaw (tiles). Not class_scene /
  // class_object / room_layout: every TNB micro encoder output is a sum of
  // batchnorm outputs (cells end in ReLU-conv-BN, skip or zero edges), so with
  // one sample per point in train mode its global average is the sum of the
  // batchnorm biases, the classifier output does not depend on the input, and
  // both engines' kappa is rounding noise (see the test below).
  const auto arch = s.canonical("64-41414-1_02_313");
  auto ae = make_net(s.compile(arch, "autoencoder"), 2);
  compare_engines(ae, 32, 1, {0, 1000, 70000, 196607});
  auto jig = make_net(s.compile(arch, "jigsaw"), 3);
  compare_engines(jig, 33, 1, {3, 500, 999});
}

TEST_CASE("jet: TNB micro class heads are constant along the circle (batch of one)", "[proxies][jet]") {
  // Why Dextr's kappa on these heads is not informative (in either engine): the
  // output's velocity is rounding noise next to the output itself.
  torch::set_num_threads(1);
  const auto& s = get_space("tnb101_micro");
  auto net = make_net(s.compile(s.canonical("64-41414-1_02_313"), "class_scene"), 1);
  auto x = torch::randn(batched(net->graph().input_shape(), 1), torch::kFloat64);
  const auto out = jet::forward(net, {x, torch::randn_like(x), torch::randn_like(x)});
  const double scale = out.value.abs().max().item<double>();
  CHECK(scale > 0);
  CHECK(out.d1.abs().max().item<double>() < 1e-9 * scale);
  CHECK(out.d2.abs().max().item<double>() < 1e-9 * scale);
}

TEST_CASE("jet: dextr through the registry is the same with either engine", "[proxies][jet]") {
  torch::set_num_threads(1);
  const auto graph = get_space("nb201").compile("|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|", "cifar10");
  proxies::BatchOptions bo;
  bo.batch_size = 2;
  const auto batch = proxies::make_batch(pool(), graph, bo);
  proxies::ProxyContext c1(graph, batch, 9), c2(graph, batch, 9), c3(graph, batch, 9);
  const double a = proxies::make_proxy("dextr", {{"points", 3}, {"curvature", "autograd"}})->score(c1);
  const double j = proxies::make_proxy("dextr", {{"points", 3}, {"curvature", "jet"}})->score(c2);
  const double d = proxies::make_proxy("dextr", {{"points", 3}})->score(c3);  // auto: jet
  CHECK(j == Approx(a).epsilon(kRel));
  CHECK(d == j);
  // The engine is not part of the default settings (cache rows stay valid).
  CHECK_FALSE(proxies::make_proxy("dextr")->settings().contains("curvature"));
  CHECK(proxies::make_proxy("dextr", {{"curvature", "autograd"}})->settings().at("curvature") == "autograd");
  CHECK_THROWS_AS(proxies::make_proxy("dextr", {{"curvature", "finite-differences"}}), Error);
  CHECK_THROWS_AS(proxies::make_proxy("dextr", {{"curvature", 1}}), Error);
}

TEST_CASE("jet: bad inputs are errors", "[proxies][jet]") {
  auto net = make_net(all_ops_graph(), 1);
  auto x = torch::randn({2, 3, 8, 8}, torch::kFloat64);
  CHECK_THROWS_AS(jet::forward(net, {x, x, {}}), Error);                                    // missing order
  CHECK_THROWS_AS(jet::forward(net, {x, x, x.slice(0, 0, 1)}), Error);                      // shapes differ
  auto y = torch::randn({2, 3, 8, 9}, torch::kFloat64);
  CHECK_THROWS_AS(jet::forward(net, {y, y, y}), Error);                                     // wrong sample shape
  CHECK_THROWS_AS(jet::forward(net, {x[0], x[0], x[0]}), Error);                            // no points axis
  // Train-mode batchnorm over one value per channel: PyTorch refuses, so does the jet.
  NetGraph g;
  auto in = g.input({2, 1, 1});
  g.set_output(g.global_avg_pool(g.batchnorm(in, {}, "bn"), "gap"));
  auto tiny = make_net(g, 1);
  auto t = torch::randn({3, 2, 1, 1}, torch::kFloat64);
  CHECK_THROWS_AS(jet::forward(tiny, {t, t, t}), Error);
  CHECK_THROWS_AS(lf::parse_curvature_engine("fast"), Error);
}

TEST_CASE("Dextr's S: batched QR + SVD sum == per-map sum", "[proxies][jet]") {
  torch::set_num_threads(1);
  const auto& s = get_space("nb201");
  Rng rng(11);
  for (int i = 0; i < 3; ++i) {
    const auto arch = s.sample(rng);
    INFO(arch);
    const auto graph = s.compile(arch, "cifar10");
    TorchNet net(graph, i);
    net->train();
    auto x = torch::randn({1, 3, 32, 32});
    for (auto layers : {lf::LayerSet::All, lf::LayerSet::Conv}) {
      const auto maps = lf::sample_feature_maps(net, x, layers);
      double per_map = 0;
      for (const auto& m : maps) per_map += lf::inverse_condition(m);
      CHECK(lf::inverse_condition_sum(maps) == Approx(per_map).epsilon(1e-9));
    }
  }
  // Zero maps and a rank-deficient one count 0 / their ratio, as inverse_condition.
  std::vector<torch::Tensor> maps = {torch::zeros({4, 9}, torch::kFloat64), torch::diag(torch::tensor({4.0, 2.0, 1.0}, torch::kFloat64)),
                                     torch::ones({3, 7}, torch::kFloat64)};
  CHECK(lf::inverse_condition_sum(maps) == Approx(0.25 + lf::inverse_condition(maps[2])).epsilon(1e-12));
  CHECK(lf::inverse_condition_sum({}) == 0.0);
  CHECK_THROWS_AS(lf::inverse_condition_sum({torch::zeros({2, 3, 4})}), Error);
}

// On a CUDA build with a GPU: the jet engine on the GPU agrees with the CPU jet
// and with autograd on the GPU. Without one, the same checks run on the CPU
// (then only jet vs autograd is informative).
TEST_CASE("jet curvature on the GPU when there is one", "[proxies][jet][device]") {
  const torch::Device dev = torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  INFO("device " << dev.str());
  const auto& s = get_space("nb201");
  std::vector<NetGraph> graphs = {all_ops_graph(), tiles_graph(),
                                  s.compile("|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|avg_pool_3x3~2|", "cifar10")};
  for (std::size_t i = 0; i < graphs.size(); ++i) {
    INFO("graph " << i);
    auto cpu = make_net(graphs[i], 40 + i);
    auto gpu = make_net(graphs[i], 40 + i);
    gpu->to(dev);
    const auto& shape = graphs[i].input_shape();
    auto [u, v] = lf::orthonormal_pair(shape, at::make_generator<at::CPUGeneratorImpl>(i), torch::kFloat64);
    const double r = 3.0;
    const auto jc = lf::extrinsic_curvature(cpu, u, v, r, 4, {}, lf::CurvatureEngine::Jet);
    const auto jg = lf::extrinsic_curvature(gpu, u.to(dev), v.to(dev), r, 4, {}, lf::CurvatureEngine::Jet);
    const auto ag = lf::extrinsic_curvature(gpu, u.to(dev), v.to(dev), r, 4, {}, lf::CurvatureEngine::Autograd);
    for (int j = 0; j < 4; ++j) {
      CHECK(jg.per_point[j] == Approx(jc.per_point[j]).epsilon(1e-8));
      CHECK(jg.per_point[j] == Approx(ag.per_point[j]).epsilon(1e-8));
    }
  }
  // And Dextr's S on the GPU.
  auto net = make_net(graphs[2], 1);
  auto maps = lf::sample_feature_maps(net, torch::randn({1, 3, 32, 32}, torch::kFloat64), lf::LayerSet::All);
  std::vector<torch::Tensor> on_gpu;
  for (const auto& m : maps) on_gpu.push_back(m.to(dev));
  CHECK(lf::inverse_condition_sum(on_gpu) == Approx(lf::inverse_condition_sum(maps)).epsilon(1e-8));
}
