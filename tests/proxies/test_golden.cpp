// Golden values: Dextr, MeCo, Zen and synflow on two fixed small networks,
// compared with tests/reference/golden.json, written by the independent PyTorch
// reference tests/reference/golden.py (/usr/bin/python3, python3-torch 1.13).
// The networks, weights, inputs and circle directions here are the same closed
// forms as in the script.
//
// Tolerances (relative): 1e-5 for quantities read from float32 feature maps
// (Dextr's S, MeCo, Zen); 1e-7 for float64 computations (curvature, synflow).
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <numbers>

#include <nlohmann/json.hpp>

#include "zcnas/proxies/context.hpp"
#include "zcnas/proxies/label_free.hpp"
#include "zcnas/proxies/registry.hpp"
#include "zcnas/spaces/executor.hpp"

using namespace zcnas;
using namespace zcnas::spaces;
namespace lf = zcnas::proxies::label_free;

namespace {

constexpr double kTolF32 = 1e-5;
constexpr double kTolF64 = 1e-7;

const nlohmann::json& golden() {
  static const nlohmann::json j = [] {
    std::ifstream in(std::string(ZCNAS_SOURCE_DIR) + "/tests/reference/golden.json");
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
  }();
  return j;
}

// sin(a*i + 0.0137*i*i + b) * c, i = 0..n-1, in float64 (same expression order as golden.py).
torch::Tensor closed_form(std::int64_t n, double a, double b, double c) {
  auto out = torch::empty({n}, torch::kFloat64);
  auto* p = out.data_ptr<double>();
  for (std::int64_t k = 0; k < n; ++k) {
    const double i = static_cast<double>(k);
    p[k] = std::sin(a * i + 0.0137 * i * i + b) * c;
  }
  return out;
}

struct TestNet {
  NetGraph graph;
  std::vector<NodeId> layers;  // parameterised nodes in the script's `layers` order
};

TestNet net_a() {
  TestNet t;
  auto& g = t.graph;
  auto x = g.input({3, 8, 8});
  auto c1 = g.conv2d(x, {.out_channels = 4, .kernel = 3, .padding = 1}, "c1");
  auto b1 = g.batchnorm(c1, {}, "b1");
  auto r1 = g.relu(b1, "r1");
  auto c2 = g.conv2d(r1, {.out_channels = 4, .kernel = 3, .padding = 1}, "c2");
  auto b2 = g.batchnorm(c2, {}, "b2");
  auto s = g.add_n({b2, r1}, "skip");
  auto r2 = g.relu(s, "r2");
  auto mp = g.max_pool(r2, {.kernel = 3, .stride = 2, .padding = 1}, "mp");
  auto c3 = g.conv2d(mp, {.out_channels = 8, .kernel = 1, .bias = true}, "c3");
  auto b3 = g.batchnorm(c3, {}, "b3");
  auto r3 = g.relu(b3, "r3");
  auto ap = g.avg_pool(r3, {.kernel = 3, .stride = 1, .padding = 1, .count_include_pad = false}, "ap");
  auto gap = g.global_avg_pool(ap, "gap");
  auto fc = g.linear(gap, {.out_features = 5, .bias = true}, "fc");
  g.set_output(fc);
  t.layers = {c1, b1, c2, b2, c3, b3, fc};
  return t;
}

TestNet net_b() {
  TestNet t;
  auto& g = t.graph;
  auto x = g.input({3, 10, 10});
  auto c1 = g.conv2d(x, {.out_channels = 5, .kernel = 3, .padding = 1, .bias = true}, "c1");
  auto r1 = g.relu(c1, "r1");
  auto c2 = g.conv2d(r1, {.out_channels = 6, .kernel = 3, .stride = 2, .padding = 1}, "c2");
  auto b2 = g.batchnorm(c2, {}, "b2");
  auto th = g.tanh(b2, "th");
  auto ap = g.avg_pool(x, {.kernel = 2, .stride = 2, .padding = 0}, "ap");
  auto c3 = g.conv2d(ap, {.out_channels = 3, .kernel = 1}, "c3");
  auto cat = g.concat({th, c3}, "cat");
  auto r2 = g.relu(cat, "r2");
  auto gap = g.global_avg_pool(r2, "gap");
  auto fc = g.linear(gap, {.out_features = 4, .bias = true}, "fc");
  g.set_output(fc);
  t.layers = {c1, c2, b2, c3, fc};
  return t;
}

TestNet make(const std::string& name) { return name == "A" ? net_a() : net_b(); }

// golden.py fill_weights: closed-form weights per layer index.
TorchNet filled(const TestNet& t) {
  TorchNet net(t.graph, 0);
  torch::NoGradGuard ng;
  for (std::size_t idx = 0; idx < t.layers.size(); ++idx) {
    const NodeId id = t.layers[idx];
    auto params = net->node_module(id)->named_parameters(false);
    auto* w = params.find("weight");
    auto* b = params.find("bias");
    const double phase = 1.3 * static_cast<double>(idx);
    if (t.graph.node(id).op == OpKind::BatchNorm2d) {
      w->copy_(1.0 + closed_form(w->numel(), 0.5, 0.2 + phase, 0.2));
      b->copy_(closed_form(b->numel(), 0.8, 0.4 + phase, 0.1));
    } else {
      const double s = 1.0 / std::sqrt(static_cast<double>(w->numel() / w->size(0)));
      w->copy_(closed_form(w->numel(), 0.7, 0.3 + phase, 2.0 * s).reshape(w->sizes()));
      if (b) b->copy_(closed_form(b->numel(), 0.9, 0.1 + phase, 0.5 * s));
    }
  }
  net->train();
  return net;
}

torch::Tensor sample_input(const Shape& shape, std::int64_t n, double phase) {
  const std::int64_t numel = n * shape[0] * shape[1] * shape[2];
  auto out = torch::empty({numel}, torch::kFloat64);
  auto* p = out.data_ptr<double>();
  for (std::int64_t k = 0; k < numel; ++k) {
    const double i = static_cast<double>(k);
    p[k] = std::sin(0.013 * i * i + 0.5 * i + phase) * 1.5;
  }
  return out.reshape(batched(shape, n)).to(torch::kFloat32);
}

std::pair<torch::Tensor, torch::Tensor> circle_directions(const Shape& shape) {
  const std::int64_t d = shape[0] * shape[1] * shape[2];
  auto u = torch::empty({d}, torch::kFloat64), v = torch::empty({d}, torch::kFloat64);
  for (std::int64_t k = 0; k < d; ++k) {
    const double i = static_cast<double>(k);
    u[k] = std::cos(0.31 * i + 0.2);
    v[k] = std::sin(0.17 * i * i + 0.4);
  }
  u = u / u.norm();
  v = v - u.dot(v) * u;
  v = v / v.norm();
  return {u.reshape(shape), v.reshape(shape)};
}

}  // namespace

TEST_CASE("golden: Dextr, MeCo, Zen and synflow match the PyTorch reference", "[proxies][golden]") {
  torch::set_num_threads(1);
  for (const std::string name : {"A", "B"}) {
    INFO("network " << name);
    const auto& gj = golden().at("networks").at(name);
    const auto t = make(name);
    const auto& shape = t.graph.input_shape();
    const auto x = sample_input(shape, 2, 0.0);
    const auto x2 = sample_input(shape, 2, 1.0);

    // Dextr's S and MeCo from one sample's feature maps.
    for (const auto& [set, key] : {std::pair{lf::LayerSet::All, std::string("all")}, {lf::LayerSet::Conv, std::string("conv")}}) {
      INFO("layers " << key);
      auto net = filled(t);
      const auto maps = lf::sample_feature_maps(net, x.slice(0, 0, 1), set);
      CHECK(static_cast<int>(maps.size()) == gj.at("n_maps_" + key).get<int>());
      double s = 0, m = 0;
      for (const auto& f : maps) {
        s += lf::inverse_condition(f);
        m += lf::min_correlation_eigenvalue(f);
      }
      CHECK(s == Approx(gj.at("svd_sum_" + key).get<double>()).epsilon(kTolF32));
      CHECK(m == Approx(gj.at("meco_" + key).get<double>()).epsilon(kTolF32));
      CHECK(lf::inverse_condition_sum(maps) == Approx(s).epsilon(1e-12));           // Dextr's batched S
      CHECK(lf::min_correlation_eigenvalue_sum(maps) == Approx(m).epsilon(1e-12));  // MeCo's batched sum
    }

    // Curvature (float64 network) and the combined Dextr.
    auto [u, v] = circle_directions(shape);
    auto net64 = filled(t);
    net64->to(torch::kFloat64);
    const int points = gj.at("points").get<int>();
    const auto kappa = lf::extrinsic_curvature(net64, u, v, gj.at("radius").get<double>(), points);
    const auto& ref_pts = gj.at("kappa_per_point");
    REQUIRE(static_cast<int>(kappa.per_point.size()) == points);
    for (int j = 0; j < points; ++j) CHECK(kappa.per_point[j] == Approx(ref_pts[j].get<double>()).epsilon(kTolF64));
    CHECK(kappa.mean == Approx(gj.at("kappa_mean").get<double>()).epsilon(kTolF64));
    CHECK(lf::dextr_combine(gj.at("svd_sum_all").get<double>(), kappa.mean) ==
          Approx(gj.at("dextr_all").get<double>()).epsilon(kTolF64));

    // Zen on the closed-form weights (the proxy itself first redraws them Gaussian).
    auto netz = filled(t);
    const double z = lf::zen_score(netz, {{x, x2}}, gj.at("zen_gamma").get<double>(), false);
    CHECK(z == Approx(gj.at("zen").get<double>()).epsilon(kTolF32));

    // synflow through the registry: PyTorch default init from the context seed.
    proxies::Batch batch{x, torch::zeros({2}, torch::kInt64), "golden"};
    proxies::ProxyContext ctx(t.graph, batch, gj.at("synflow_seed").get<std::uint64_t>());
    const double sf = proxies::make_proxy("synflow")->score(ctx);
    CHECK(sf == Approx(gj.at("synflow").get<double>()).epsilon(kTolF64));
  }
}
