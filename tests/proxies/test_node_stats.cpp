// Node-wise statistics for ParZC: summing the per-node values the way each
// whole-network proxy sums its layers gives that proxy's value back; the feature
// vector is min-max scaled per statistic, zero-padded, and deterministic.
#include <catch2/catch.hpp>

#include <cmath>

#include "zcnas/common/error.hpp"
#include "zcnas/proxies/batch.hpp"
#include "zcnas/proxies/cifar10.hpp"
#include "zcnas/proxies/node_stats.hpp"
#include "zcnas/proxies/passes.hpp"
#include "zcnas/proxies/registry.hpp"
#include "zcnas/proxies/scorer.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas;
using Catch::Detail::Approx;

namespace {
struct Nb201Case {
  spaces::NetGraph graph;
  proxies::Batch batch;
};
Nb201Case nb201_case(const std::string& arch) {
  torch::set_num_threads(1);
  const auto& nb201 = spaces::get_space("nb201");
  Nb201Case c{nb201.compile(nb201.canonical(arch), "cifar10"), {}};
  static const auto pool = proxies::read_cifar10(std::string(ZCNAS_BENCHDATA_DIR) + "/cifar10");
  proxies::BatchOptions bo;
  bo.batch_size = 8;
  c.batch = proxies::make_batch(pool, c.graph, bo);
  return c;
}
}  // namespace

TEST_CASE("node_stats: per-node values reduce to grad_norm, snip, synflow and fisher", "[proxies][node_stats]") {
  const auto c = nb201_case("(4, 3, 3, 3, 2, 3)");
  proxies::ProxyContext ctx(c.graph, c.batch, 3);
  const auto s = proxies::node_stats(ctx, {.fisher = true});
  REQUIRE(s.nodes() == proxies::metric_layers(c.graph).size());
  REQUIRE(s.names == std::vector<std::string>{"grad_norm", "snip", "synflow", "fisher"});
  // Each proxy on its own context (a fresh one: nothing shared with node_stats).
  for (const auto& name : s.names) {
    proxies::ProxyContext other(c.graph, c.batch, 3);
    const double whole = proxies::make_proxy(name)->score(other);
    INFO(name);
    CHECK(proxies::reduce_node_stat(s, name) == Approx(whole).epsilon(1e-9));
  }
}

TEST_CASE("node_stats: feature vector is scaled per statistic, padded, deterministic", "[proxies][node_stats]") {
  const auto c = nb201_case("(1, 2, 3, 4, 0, 3)");
  proxies::ProxyContext a(c.graph, c.batch, 5), b(c.graph, c.batch, 5);
  const auto sa = proxies::node_stats(a), sb = proxies::node_stats(b);
  const std::size_t max_nodes = sa.nodes() + 7;
  const auto fa = proxies::node_feature_vector(sa, max_nodes);
  CHECK(fa == proxies::node_feature_vector(sb, max_nodes));  // same seed, same features, bit for bit
  REQUIRE(fa.size() == 3 * max_nodes);
  for (std::size_t k = 0; k < 3; ++k) {
    float lo = 1, hi = 0;
    for (std::size_t i = 0; i < sa.nodes(); ++i) lo = std::min(lo, fa[k * max_nodes + i]), hi = std::max(hi, fa[k * max_nodes + i]);
    CHECK(lo == 0.0f);
    CHECK(hi == 1.0f);
    for (std::size_t i = sa.nodes(); i < max_nodes; ++i) CHECK(fa[k * max_nodes + i] == 0.0f);
  }
  // JSON round trip (the benchdb cache format) keeps every value.
  const auto back = proxies::NodeStats::from_json(sa.to_json(), "test");
  CHECK(proxies::node_feature_vector(back, max_nodes) == fa);
  // Too many nodes for the layout, and malformed records, are errors naming the input.
  CHECK_THROWS_AS(proxies::node_feature_vector(sa, sa.nodes() - 1), Error);
  CHECK_THROWS_AS(proxies::NodeStats::from_json(nlohmann::json{{"numel", {1, 2}}, {"snip", {1.0}}}, "row 7"), Error);
  CHECK_THROWS_AS(proxies::NodeStats::from_json(nlohmann::json::array(), "row 7"), Error);
  CHECK_THROWS_AS(proxies::node_stats_options(nlohmann::json{{"fishr", true}}), Error);
}

TEST_CASE("node_stats: max node count of nb201 is that of the all-conv cell", "[proxies][node_stats]") {
  const auto& nb201 = spaces::get_space("nb201");
  const auto m = proxies::max_metric_nodes(nb201, "cifar10");
  CHECK(m.exact);
  const auto all_conv = nb201.compile(nb201.canonical("(3, 3, 3, 3, 3, 3)"), "cifar10");
  CHECK(m.nodes == proxies::metric_layers(all_conv).size());
}
