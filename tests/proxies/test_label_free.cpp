// Dextr, MeCo and Zen through the registry and the Scorer on a real NB201 cell,
// plus the edge cases of their numerical cores (constant channels, zero maps).
#include <catch2/catch.hpp>

#include <cmath>

#include "zcnas/common/error.hpp"
#include "zcnas/proxies/batch.hpp"
#include "zcnas/proxies/cifar10.hpp"
#include "zcnas/proxies/context.hpp"
#include "zcnas/proxies/label_free.hpp"
#include "zcnas/proxies/registry.hpp"
#include "zcnas/proxies/scorer.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas;
namespace lf = zcnas::proxies::label_free;

namespace {

const char* kArch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_1x1~2|";

const proxies::ImageSet& pool() {
  static const auto p = proxies::read_cifar10(std::string(ZCNAS_BENCHDATA_DIR) + "/cifar10");
  return p;
}

}  // namespace

TEST_CASE("label-free proxies: finite, deterministic, identical alone and fused", "[proxies][label_free]") {
  torch::set_num_threads(1);
  const auto graph = spaces::get_space("nb201").compile(kArch, "cifar10");
  proxies::BatchOptions bo;
  bo.batch_size = 8;
  bo.seed = 3;
  const auto batch = proxies::make_batch(pool(), graph, bo);
  std::vector<double> alone;
  const std::vector<std::pair<std::string, nlohmann::json>> setups = {
      {"dextr", {{"points", 2}}}, {"meco", nlohmann::json::object()}, {"zen", nlohmann::json::object()}};
  for (const auto& [name, settings] : setups) {
    INFO(name);
    auto p = proxies::make_proxy(name, settings);
    proxies::ProxyContext c1(graph, batch, 11), c2(graph, batch, 11), c3(graph, batch, 12);
    const double a = p->score(c1), b = p->score(c2), other_seed = p->score(c3);
    CHECK(std::isfinite(a));
    CHECK(a == b);  // same seed, same batch -> bit-identical
    CHECK(a != other_seed);
    alone.push_back(a);
  }
  proxies::Scorer scorer({proxies::make_proxy("dextr", {{"points", 2}}), proxies::make_proxy("meco"), proxies::make_proxy("zen")});
  const auto fused = scorer.score(graph, batch, 11);
  REQUIRE(fused.scores.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    INFO(fused.scores[i].proxy << " " << fused.scores[i].message);
    REQUIRE(fused.scores[i].ok());
    CHECK(fused.scores[i].value == alone[i]);
  }
}

TEST_CASE("label-free proxies: settings are checked", "[proxies][label_free]") {
  CHECK_THROWS_AS(proxies::make_proxy("dextr", {{"point", 3}}), Error);
  CHECK_THROWS_AS(proxies::make_proxy("dextr", {{"points", 0}}), Error);
  CHECK_THROWS_AS(proxies::make_proxy("meco", {{"layers", "every"}}), Error);
  CHECK_THROWS_AS(proxies::make_proxy("zen", {{"repeat", 0}}), Error);
  CHECK(proxies::make_proxy("meco", {{"layers", "conv"}})->settings().at("layers") == "conv");
  CHECK(proxies::make_proxy("dextr")->info().needs_labels == false);
}

TEST_CASE("MeCo core: a constant channel gives zero correlations, as the reference", "[proxies][label_free]") {
  // Rows: two varying channels with correlation r and one constant channel.
  auto f = torch::tensor({1.0, 2.0, 3.0, 5.0, 7.0, 7.0, 7.0, 7.0, 2.0, 1.0, 4.0, 3.0}, torch::kFloat64).reshape({3, 4});
  // corr = [[1,0,r],[0,0,0],[r,0,1]] -> eigenvalues {0, 1-|r|, 1+|r|}: the minimum is 0.
  CHECK(lf::min_correlation_eigenvalue(f) == Approx(0.0).margin(1e-12));
  // Without the constant channel the minimum is 1 - |r|.
  auto g = torch::cat({f.slice(0, 0, 1), f.slice(0, 2, 3)}, 0);
  auto a = f[0] - f[0].mean(), b = f[2] - f[2].mean();
  const double r = (a.dot(b) / (a.norm() * b.norm())).item<double>();
  CHECK(lf::min_correlation_eigenvalue(g) == Approx(1.0 - std::abs(r)).epsilon(1e-12));
  // C >= HW: the correlation matrix is singular, so the minimum is exactly 0 (returned without
  // the C x C eigendecomposition); the full decomposition agrees up to round-off.
  for (auto [c, hw] : {std::pair{8, 8}, std::pair{40, 7}, std::pair{200, 3}}) {
    auto h = torch::randn({c, hw}, torch::kFloat64);
    CHECK(lf::min_correlation_eigenvalue(h) == 0.0);
    auto centred = h - h.mean(1, true);
    auto cov = centred.matmul(centred.t());
    auto sd = cov.diagonal().sqrt();
    auto corr = cov / sd.unsqueeze(1) / sd.unsqueeze(0);
    CHECK(torch::linalg_eigvalsh(corr).min().item<double>() == Approx(0.0).margin(1e-12));
  }
  // The batched sum MeCo uses equals the per-map sum: mixed shapes, repeated shapes, a
  // singular map and one with a constant channel.
  std::vector<torch::Tensor> maps{f, g, torch::randn({8, 8}, torch::kFloat64), torch::randn({5, 12}, torch::kFloat64),
                                  torch::randn({5, 12}, torch::kFloat64), torch::randn({3, 4}, torch::kFloat64)};
  double per_map = 0.0;
  for (const auto& m : maps) per_map += lf::min_correlation_eigenvalue(m);
  CHECK(lf::min_correlation_eigenvalue_sum(maps) == Approx(per_map).epsilon(1e-12));
}

TEST_CASE("Dextr core: inverse condition number and the combination", "[proxies][label_free]") {
  CHECK(lf::inverse_condition(torch::zeros({4, 9}, torch::kFloat64)) == 0.0);
  auto d = torch::diag(torch::tensor({4.0, 2.0, 1.0}, torch::kFloat64));
  CHECK(lf::inverse_condition(d) == Approx(0.25).epsilon(1e-14));
  CHECK(lf::dextr_combine(std::exp(1.0) - 1.0, std::exp(3.0) - 1.0) == Approx(3.0 / 4.0).epsilon(1e-14));
  // A linear network has zero curvature along any circle... except through the
  // circle itself: the output of a linear map of a circle is an ellipse, whose
  // curvature for a circle of radius R mapped by an orthogonal map is 1/R.
  spaces::NetGraph g;
  auto x = g.input({1, 2, 1});
  auto fl = g.flatten(x, "flat");
  spaces::LinearAttr la;
  la.out_features = 2;
  la.bias = false;
  g.set_output(g.linear(fl, la, "fc"));
  spaces::TorchNet net(g, 0);
  {
    torch::NoGradGuard ng;
    net->node_weight(2).copy_(torch::tensor({0.0, 1.0, -1.0, 0.0}).reshape({2, 2}));  // a rotation
  }
  net->to(torch::kFloat64);
  auto u = torch::tensor({1.0, 0.0}, torch::kFloat64).reshape({1, 2, 1});
  auto v = torch::tensor({0.0, 1.0}, torch::kFloat64).reshape({1, 2, 1});
  const auto k = lf::extrinsic_curvature(net, u, v, 2.0, 5);
  for (double kj : k.per_point) CHECK(kj == Approx(0.5).epsilon(1e-12));
}

TEST_CASE("Zen core: needs exactly one global average pool", "[proxies][label_free]") {
  spaces::NetGraph g;
  auto x = g.input({3, 4, 4});
  auto fl = g.flatten(x, "flat");
  spaces::LinearAttr la;
  la.out_features = 2;
  g.set_output(g.linear(fl, la, "fc"));
  spaces::TorchNet net(g, 0);
  auto in = torch::randn({2, 3, 4, 4});
  CHECK_THROWS_AS(lf::zen_score(net, {{in, in}}, 1e-2, false), Error);
}
