// NetGraph IR + libtorch executor: every op runs forward and backward, shapes are checked,
// dead nodes are skipped, and param_count / flops_naslib agree with the built module and
// with the tensorwatch formulas.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "zcnas/common/error.hpp"
#include "zcnas/spaces/counting.hpp"
#include "zcnas/spaces/executor.hpp"

using namespace zcnas::spaces;

namespace {

std::int64_t module_numel(TorchNet& net) {
  std::int64_t n = 0;
  for (const auto& p : net->parameters()) n += p.numel();
  return n;
}

// Builds a one-op graph on an input {c,h,w} and runs forward+backward with batch 2.
struct OneOp {
  std::string label;
  Shape in;
  std::function<NodeId(NetGraph&, NodeId)> make;
};

void check_forward_backward(NetGraph g, const std::string& label) {
  INFO(label);
  const auto out_shape = g.output_shape();
  const auto in_shape = g.input_shape();
  TorchNet net(std::move(g), 7);
  auto x = torch::randn(batched(in_shape, 2)).requires_grad_(true);
  auto y = net->forward(x);
  REQUIRE(y.sizes().vec() == batched(out_shape, 2));
  REQUIRE(torch::isfinite(y).all().item<bool>());
  (y * torch::randn_like(y)).sum().backward();
  for (const auto& p : net->named_parameters()) {
    INFO(p.key());
    REQUIRE(p.value().grad().defined());
    REQUIRE(torch::isfinite(p.value().grad()).all().item<bool>());
  }
  CHECK(module_numel(net) == param_count(net->graph()));
}

}  // namespace

TEST_CASE("every IR op runs forward and backward with inferred shapes", "[spaces][ir]") {
  torch::manual_seed(0);
  Conv2dAttr conv;
  conv.out_channels = 6;
  conv.kernel = 3;
  conv.stride = 2;
  conv.padding = 2;
  conv.dilation = 2;
  conv.groups = 2;
  conv.bias = true;
  Conv2dAttr deconv;
  deconv.out_channels = 5;
  deconv.kernel = 3;
  deconv.stride = 2;
  deconv.padding = 1;
  deconv.output_padding = 1;
  deconv.bias = true;
  PoolAttr pool;
  pool.kernel = 3;
  pool.stride = 2;
  pool.padding = 1;
  std::vector<OneOp> ops{
      {"conv2d groups/dilation/stride/padding", {4, 9, 9}, [&](NetGraph& g, NodeId x) { return g.conv2d(x, conv, "c"); }},
      {"conv_transpose2d", {4, 5, 5}, [&](NetGraph& g, NodeId x) { return g.conv_transpose2d(x, deconv, "d"); }},
      {"batchnorm", {4, 5, 5}, [](NetGraph& g, NodeId x) { return g.batchnorm(x, BatchNormAttr{}, "bn"); }},
      {"batchnorm non-affine", {4, 5, 5},
       [](NetGraph& g, NodeId x) { return g.batchnorm(x, BatchNormAttr{false, true}, "bn"); }},
      {"relu", {4, 5, 5}, [](NetGraph& g, NodeId x) { return g.relu(x, "r"); }},
      {"leaky_relu", {4, 5, 5}, [](NetGraph& g, NodeId x) { return g.leaky_relu(x, LeakyReLUAttr{0.2}, "lr"); }},
      {"sigmoid", {4, 5, 5}, [](NetGraph& g, NodeId x) { return g.sigmoid(x, "s"); }},
      {"tanh", {4, 5, 5}, [](NetGraph& g, NodeId x) { return g.tanh(x, "t"); }},
      {"avg_pool", {4, 7, 7}, [&](NetGraph& g, NodeId x) { return g.avg_pool(x, pool, "ap"); }},
      {"max_pool", {4, 7, 7}, [&](NetGraph& g, NodeId x) { return g.max_pool(x, pool, "mp"); }},
      {"global_avg_pool", {4, 7, 7}, [](NetGraph& g, NodeId x) { return g.global_avg_pool(x, "gap"); }},
      {"zero", {4, 5, 5}, [](NetGraph& g, NodeId x) { return g.add_n({g.zero(x, "z"), x}, "sum"); }},
      {"zero strided", {4, 5, 5},
       [](NetGraph& g, NodeId x) { return g.relu(g.zero(x, ZeroAttr{0, 2}, "z"), "r"); }},
      {"identity", {4, 5, 5}, [](NetGraph& g, NodeId x) { return g.identity(x, "i"); }},
      {"add", {4, 5, 5}, [](NetGraph& g, NodeId x) { return g.add_n({x, g.relu(x, "r"), g.tanh(x, "t")}, "sum"); }},
      {"concat", {4, 5, 5}, [](NetGraph& g, NodeId x) { return g.concat({x, g.relu(x, "r")}, "cat"); }},
      {"flatten+linear", {4, 3, 3},
       [](NetGraph& g, NodeId x) { return g.linear(g.flatten(x, "f"), LinearAttr{7, true}, "fc"); }},
      {"linear no bias", {4, 3, 3},
       [](NetGraph& g, NodeId x) { return g.linear(g.flatten(x, "f"), LinearAttr{7, false}, "fc"); }},
      {"pad2d", {4, 5, 5}, [](NetGraph& g, NodeId x) { return g.pad2d(x, PadAttr{0, 1, 2, 3}, "p"); }},
      {"slice2d", {4, 5, 5}, [](NetGraph& g, NodeId x) { return g.slice2d(x, SliceAttr{1, 0, 0, 2}, "s"); }},
      {"upsample2d", {4, 5, 5}, [](NetGraph& g, NodeId x) { return g.upsample2d(x, UpsampleAttr{3}, "u"); }},
      {"fold/unfold tiles", {6, 5, 5},
       [&](NetGraph& g, NodeId x) {
         Conv2dAttr c;
         c.out_channels = 4;
         c.kernel = 1;
         auto t = g.fold_tiles(x, TileAttr{3}, "tiles");
         return g.unfold_tiles(g.conv2d(t, c, "tower"), TileAttr{3}, "cat");
       }},
  };
  for (const auto& op : ops) {
    NetGraph g;
    auto x = g.input(op.in);
    g.set_output(op.make(g, x));
    check_forward_backward(std::move(g), op.label);
  }
}

TEST_CASE("batchnorm: nn.BatchNorm2d's statistics, counter and one-value refusal", "[spaces][ir]") {
  NetGraph g;
  auto x = g.input({4, 3, 3});
  g.set_output(g.batchnorm(x, BatchNormAttr{}, "bn"));
  TorchNet net(g);
  torch::nn::BatchNorm2d reference(torch::nn::BatchNorm2dOptions(4).eps(1e-5).momentum(0.1));
  const auto in = torch::randn({5, 4, 3, 3});
  // train mode: batch statistics, running statistics and num_batches_tracked updated as nn.BatchNorm2d does
  CHECK(torch::equal(net->forward(in), reference->forward(in)));
  const auto buffers = net->named_buffers();
  CHECK(torch::equal(buffers["bn.running_mean"], reference->running_mean));
  CHECK(torch::equal(buffers["bn.running_var"], reference->running_var));
  CHECK(buffers["bn.num_batches_tracked"].item<std::int64_t>() == 1);
  // eval mode: the running statistics
  net->eval();
  reference->eval();
  CHECK(torch::equal(net->forward(in), reference->forward(in)));
  // one value per channel in train mode: a zcnas error naming the node, not a torch crash
  NetGraph one;
  auto y = one.input({4, 1, 1});
  one.set_output(one.batchnorm(y, BatchNormAttr{}, "head.bn"));
  TorchNet tiny(one);
  CHECK_THROWS_AS(tiny->forward(torch::randn({1, 4, 1, 1})), zcnas::Error);
  CHECK_THROWS_WITH(tiny->forward(torch::randn({1, 4, 1, 1})), Catch::Contains("head.bn") && Catch::Contains("more than 1 value"));
  tiny->eval();
  CHECK(tiny->forward(torch::randn({1, 4, 1, 1})).sizes().vec() == std::vector<std::int64_t>{1, 4, 1, 1});
}

TEST_CASE("shape-changing Zero gives fresh zeros of the reduced shape", "[spaces][ir]") {
  NetGraph g;
  auto x = g.input({4, 7, 7});
  auto z = g.zero(x, ZeroAttr{8, 2}, "z");
  g.set_output(z);
  REQUIRE(g.output_shape() == Shape{8, 4, 4});  // (7 + 1) / 2, as TransNAS-Bench-101's Zero
  TorchNet net(g);
  auto y = net->forward(torch::randn({3, 4, 7, 7}));
  CHECK(y.sizes().vec() == std::vector<std::int64_t>{3, 8, 4, 4});
  CHECK(y.abs().sum().item<double>() == 0.0);
}

TEST_CASE("FoldTiles runs a shared-weight tower per tile, tile-major concat", "[spaces][ir]") {
  NetGraph g;
  auto x = g.input({6, 4, 4});
  auto t = g.fold_tiles(x, TileAttr{2}, "tiles");
  Conv2dAttr c;
  c.out_channels = 5;
  c.kernel = 3;
  c.padding = 1;
  auto conv = g.conv2d(t, c, "tower");
  auto u = g.unfold_tiles(conv, TileAttr{2}, "cat");
  g.set_output(u);
  CHECK(g.node(conv).fold == 2);
  CHECK(g.node(u).fold == 1);
  TorchNet net(g, 3);
  auto in = torch::randn({2, 6, 4, 4});
  auto y = net->forward(in);
  auto w = net->node_weight(conv);
  auto tile0 = torch::conv2d(in.slice(1, 0, 3), w, {}, 1, 1);
  auto tile1 = torch::conv2d(in.slice(1, 3, 6), w, {}, 1, 1);
  CHECK(torch::allclose(y, torch::cat({tile0, tile1}, 1), 1e-5, 1e-6));

  // Mixing fold levels is a shape error.
  REQUIRE_THROWS_AS(g.add_n({t, x}, "bad"), zcnas::Error);
  NetGraph h;
  auto hx = h.input({6, 4, 4});
  REQUIRE_THROWS_AS(h.fold_tiles(hx, TileAttr{4}, "tiles"), zcnas::Error);   // 6 channels into 4 tiles
  REQUIRE_THROWS_AS(h.unfold_tiles(hx, TileAttr{2}, "cat"), zcnas::Error);   // not folded
}

TEST_CASE("shape mismatches are errors that name the node", "[spaces][ir]") {
  NetGraph g;
  auto x = g.input({4, 8, 8});
  Conv2dAttr c;
  c.out_channels = 8;
  c.kernel = 3;
  c.stride = 2;
  c.padding = 1;
  auto y = g.conv2d(x, c, "down");
  auto check_throws = [](auto&& f, const std::string& needle) {
    try {
      f();
      FAIL("expected zcnas::Error mentioning " << needle);
    } catch (const zcnas::Error& e) {
      CHECK_THAT(e.what(), Catch::Contains(needle));
    }
  };
  check_throws([&] { g.add_n({x, y}, "bad_add"); }, "bad_add");
  check_throws([&] { g.concat({x, y}, "bad_cat"); }, "bad_cat");
  Conv2dAttr grouped;
  grouped.out_channels = 6;
  grouped.groups = 4;
  check_throws([&] { g.conv2d(x, grouped, "bad_groups"); }, "groups");
  Conv2dAttr huge;
  huge.out_channels = 2;
  huge.kernel = 11;
  check_throws([&] { g.conv2d(x, huge, "too_big"); }, "too_big");
  check_throws([&] { g.linear(x, LinearAttr{0, true}, "no_out"); }, "no_out");
  check_throws([&] { g.global_avg_pool(g.flatten(x, "flat"), "gap_of_flat"); }, "gap_of_flat");
  check_throws([&] { g.add(OpKind::ReLU, {x}, Conv2dAttr{}, "wrong_attr"); }, "wrong_attr");
  check_throws([&] { g.add(OpKind::ReLU, {99}, NoAttr{}, "dangling"); }, "dangling");
  check_throws([&] { g.slice2d(x, SliceAttr{4, 4, 0, 0}, "empty_crop"); }, "empty_crop");

  // The executor checks the batch against the graph's input shape.
  g.set_output(y);
  TorchNet net(g);
  REQUIRE_THROWS_AS(net->forward(torch::randn({2, 3, 8, 8})), zcnas::Error);
  REQUIRE_THROWS_AS(net->forward(torch::randn({3, 8, 8})), zcnas::Error);
}

TEST_CASE("dead nodes own parameters but are never run", "[spaces][ir]") {
  NetGraph g;
  auto x = g.input({3, 6, 6});
  Conv2dAttr c;
  c.out_channels = 4;
  c.kernel = 3;
  c.padding = 1;
  auto live = g.conv2d(x, c, "live.conv");
  auto dead = g.conv2d(x, c, "dead.conv");
  auto dead_bn = g.batchnorm(dead, BatchNormAttr{}, "dead.bn");
  g.set_output(g.relu(live, "out"));
  const auto alive = g.live_nodes();
  CHECK(alive[live]);
  CHECK_FALSE(alive[dead]);
  CHECK_FALSE(alive[dead_bn]);

  TorchNet net(g, 1);
  std::vector<NodeId> seen;
  auto y = net->forward(torch::randn({2, 3, 6, 6}), [&](NodeId id, const Node&, const torch::Tensor&) { seen.push_back(id); });
  CHECK(std::find(seen.begin(), seen.end(), dead) == seen.end());
  CHECK(std::find(seen.begin(), seen.end(), live) != seen.end());
  // Parameters: counted for every node the module owns (live or not) ...
  CHECK(param_count(g) == module_numel(net));
  // ... but FLOPs only for what forward runs: the dead conv/bn add nothing.
  NetGraph only_live;
  auto lx = only_live.input({3, 6, 6});
  only_live.set_output(only_live.relu(only_live.conv2d(lx, c, "live.conv"), "out"));
  CHECK(flops_naslib(g) == flops_naslib(only_live));
  y.sum().backward();
  CHECK_FALSE(net->node_weight(dead).grad().defined());
}

TEST_CASE("flops_naslib follows tensorwatch's per-module formulas", "[spaces][ir][flops]") {
  // One small network with every counted module type; expected terms written out from
  // the formulas documented in counting.hpp (batch 1).
  NetGraph g;
  auto x = g.input({3, 8, 8});
  Conv2dAttr c;
  c.out_channels = 4;
  c.kernel = 3;
  c.padding = 1;
  c.bias = true;
  x = g.conv2d(x, c, "conv");                                  // 3*3*3*4*8*8 + 4*8*8 (bias)
  x = g.batchnorm(x, BatchNormAttr{}, "bn");                   // 2 * 4*8*8
  x = g.batchnorm(x, BatchNormAttr{false, true}, "bn_plain");  // 4*8*8
  x = g.relu(x, "relu");                                       // 4*8*8
  PoolAttr p;
  p.kernel = 3;
  p.stride = 2;
  p.padding = 1;
  x = g.avg_pool(x, p, "pool");                                // 4*4*4*9
  x = g.leaky_relu(x, LeakyReLUAttr{0.2}, "leaky");            // 4*4*4
  x = g.upsample2d(x, UpsampleAttr{2}, "up");                  // 4*8*8 (output elements)
  Conv2dAttr dw;
  dw.out_channels = 4;
  dw.kernel = 3;
  dw.padding = 1;
  dw.groups = 4;
  x = g.conv2d(x, dw, "depthwise");                            // 3*3*4*(4/4)*8*8
  Conv2dAttr up;
  up.out_channels = 2;
  up.kernel = 3;
  up.stride = 2;
  up.padding = 1;
  up.output_padding = 1;
  x = g.conv_transpose2d(x, up, "deconv");                     // 0: not an nn.Conv2d
  x = g.tanh(x, "tanh");                                       // 0
  x = g.global_avg_pool(x, "gap");                             // 2*(16+1)*(16+1)
  x = g.linear(x, LinearAttr{5, true}, "fc");                  // 2*5, bias not counted
  g.set_output(x);
  const double expected = 3.0 * 3 * 3 * 4 * 8 * 8 + 4.0 * 8 * 8 + 2.0 * 4 * 8 * 8 + 4.0 * 8 * 8 + 4.0 * 8 * 8 +
                          4.0 * 4 * 4 * 9 + 4.0 * 4 * 4 + 4.0 * 8 * 8 + 3.0 * 3 * 4 * 1 * 8 * 8 + 2.0 * 17 * 17 + 2.0 * 5;
  CHECK(flops_naslib(g) == expected);
  // Parameters: conv 3*4*9+4, bn 2*4, depthwise 4*1*9, deconv 4*2*9 (no bias), fc 2*5+5.
  CHECK(param_count(g) == 3 * 4 * 9 + 4 + 2 * 4 + 4 * 1 * 9 + 4 * 2 * 9 + 2 * 5 + 5);
  TorchNet net(g);
  CHECK(param_count(g) == module_numel(net));
}

TEST_CASE("reset_parameters is deterministic per seed and uses PyTorch's default bounds", "[spaces][ir]") {
  NetGraph g;
  auto x = g.input({3, 6, 6});
  Conv2dAttr c;
  c.out_channels = 8;
  c.kernel = 3;
  c.bias = true;
  x = g.conv2d(x, c, "conv");
  x = g.batchnorm(x, BatchNormAttr{}, "bn");
  x = g.linear(g.flatten(x, "flat"), LinearAttr{4, true}, "fc");
  g.set_output(x);
  TorchNet a(g, 5), b(g, 5), other(g, 6);
  auto pa = a->named_parameters(), pb = b->named_parameters(), po = other->named_parameters();
  for (const auto& kv : pa) {
    INFO(kv.key());
    CHECK(torch::equal(kv.value(), pb[kv.key()]));
  }
  CHECK_FALSE(torch::equal(pa["conv.weight"], po["conv.weight"]));
  const double bound = 1.0 / std::sqrt(3.0 * 9.0);  // 1/sqrt(fan_in)
  CHECK(pa["conv.weight"].abs().max().item<double>() <= bound);
  CHECK(pa["conv.bias"].abs().max().item<double>() <= bound);
  CHECK(torch::equal(pa["bn.weight"], torch::ones({8})));
  b->reset_parameters(6);
  CHECK(torch::equal(b->named_parameters()["conv.weight"], po["conv.weight"]));
}
