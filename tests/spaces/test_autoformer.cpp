// autoformer (AutoFormer-Tiny, Auto-Prox ground truth) and autoformer_small / autoformer_base:
// every autoformer_tiny.csv row read, keyed and round-tripped; parameter counts against Auto-Prox's
// AutoFormerSub written out by hand; bad input; edit moves; forward and backward.
#include <catch2/catch.hpp>

#include <set>

#include "spaces/spaces_test_util.hpp"
#include "spaces/transformer_test_util.hpp"
#include "zcnas/common/csv.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/autoformer.hpp"
#include "zcnas/spaces/counting.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas::spaces;
using zcnas::spaces::testing::benchdata;

namespace {

std::vector<std::pair<std::string, std::string>> autoformer_rows() {  // (id, JSON of the CSV cells)
  const auto t = zcnas::CsvTable::read_file(benchdata("autoformer_tiny.csv"));
  std::vector<std::pair<std::string, std::string>> rows;
  for (std::size_t r = 0; r < t.rows(); ++r) {
    nlohmann::json j;
    for (const char* f : {"embed_dim", "depth", "mlp_ratio", "num_heads"}) j[f] = t.row(r)[t.column(f)];
    rows.emplace_back(t.row(r)[t.column("id")], j.dump());
  }
  return rows;
}

// Auto-Prox AutoFormerSub (pycls/models/auto/autoformer_subnet.py, common.py), counted by hand:
// patch conv 3*16*16*E + E, cls E, positions 197*E; per layer 2 LayerNorms 4E, qkv 3(E^2 + E),
// projection E^2 + E, MLP E*w + w + w*E + E with w = int(E * ratio); final LayerNorm 2E; head E*C + C.
std::int64_t autoprox_params(std::int64_t e, const std::vector<double>& ratios, std::int64_t classes) {
  std::int64_t p = 3 * 256 * e + e + e + 197 * e;
  for (double r : ratios) {
    const auto w = static_cast<std::int64_t>(static_cast<double>(e) * r);
    p += 4 * e + 3 * (e * e + e) + e * e + e + e * w + w + w * e + e;
  }
  return p + 2 * e + e * classes + classes;
}

}  // namespace

TEST_CASE("autoformer reads every autoformer_tiny.csv row; canonical = benchdb encoding form, key = CSV id", "[spaces][autoformer]") {
  const Space& s = get_space("autoformer");
  CHECK((s.datasets() == std::vector<std::string>{"cifar100", "flowers", "chaoyang", "imagenet"}));
  const auto rows = autoformer_rows();
  REQUIRE(rows.size() == 100);
  std::set<std::string> hashes;
  for (const auto& [id, json] : rows) {
    INFO(id);
    const auto c = s.canonical(json);
    REQUIRE(s.canonical(c) == c);
    REQUIRE(s.benchmark_key(c) == id);
    REQUIRE(s.canonical(id) == c);
    hashes.insert(s.structural_hash(c));
    // Parameters of the built graph == Auto-Prox's model counted by hand (CIFAR-100 head).
    const auto a = autoformer::parse(c, autoformer::Variant::Tiny);
    REQUIRE(param_count(s.compile(c, "cifar100")) == autoprox_params(a.embed_dim, a.mlp_ratio, 100));
  }
  CHECK(hashes.size() == 100);
  CHECK(s.canonical("0") ==
        R"({"depth":12,"embed_dim":192,"mlp_ratio":[3.5,4.0,3.5,4.0,3.5,3.5,4.0,3.5,4.0,4.0,4.0,3.5],)"
        R"("num_heads":[4,4,3,4,3,3,4,4,3,3,3,4]})");
  CHECK(param_count(s.compile(s.canonical("0"), "cifar100")) == 5321956);  // python: the formula above on row 0
  // The AutoFormer paper's Tiny (5.7 M with the ImageNet head) is inside the range of the space.
  const auto smallest = s.canonical(R"({"embed_dim":192,"mlp_ratio":"3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5","num_heads":"3 3 3 3 3 3 3 3 3 3 3 3"})");
  CHECK(param_count(s.compile(smallest, "imagenet")) < 5'700'000);
  // Built module == IR count.
  TorchNet net(s.compile(s.canonical("1"), "chaoyang"), 1);
  CHECK(zcnas::spaces::testing::module_numel(net) == param_count(net->graph()));
}

TEST_CASE("autoformer rejects malformed archs with a message naming the problem", "[spaces][autoformer]") {
  const Space& s = get_space("autoformer");
  zcnas::spaces::testing::check_rejects(
      s, {{"100", "neither a JSON arch nor an id"},
          {"{embed_dim: 192}", "not valid JSON"},
          {R"({"embed_dim":200,"mlp_ratio":"3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5","num_heads":"3 3 3 3 3 3 3 3 3 3 3 3"})", "embed_dim is 200"},
          {R"({"embed_dim":192,"mlp_ratio":[3.5],"num_heads":[3]})", "depth is 1"},
          {R"({"embed_dim":192,"mlp_ratio":"3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.0","num_heads":"3 3 3 3 3 3 3 3 3 3 3 3"})",
           "mlp_ratio of layer 11 is 3"},
          {R"({"embed_dim":192,"mlp_ratio":"3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5","num_heads":"3 3 3 3 3 3 3 3 3 3 3 5"})",
           "num_heads of layer 11 is 5"},
          {R"({"embed_dim":192,"depth":13,"mlp_ratio":"3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5 3.5","num_heads":"3 3 3 3 3 3 3 3 3 3 3 3"})",
           "depth is 13 but the per-layer lists have 12"},
          {R"({"embed_dim":192,"mlp_ratio":"3.5 x","num_heads":"3 3"})", "not a number"},
          {R"({"embed_dim":192,"mlp_ratio":[],"num_heads":[]})", "empty list"}});
  CHECK_THROWS_AS(s.compile(s.canonical("0"), "cifar10"), zcnas::Error);
}

TEST_CASE("autoformer spaces: sample / mutate / neighbours stay in the space and are seeded", "[spaces][autoformer]") {
  for (const char* name : {"autoformer", "autoformer_small", "autoformer_base"}) {
    INFO(name);
    const Space& s = get_space(name);
    CHECK(zcnas::spaces::testing::check_edit_moves(s, 5, 100) == 100);
    Rng c(9);
    const auto g = s.compile(s.sample(c), "imagenet");  // every space compiles its ImageNet head
    CHECK(g.output_shape() == Shape{1000});
  }
  // Tiny neighbours of row 0 (depth 12, the minimum): 2 embed dims, +1 layer, per layer 1 ratio + 1 heads.
  const Space& s = get_space("autoformer");
  CHECK(s.neighbours(s.canonical("0")).size() == 2 + 1 + 12 * 2);
}

TEST_CASE("autoformer networks run forward and backward on images", "[spaces][autoformer]") {
  const auto a = autoformer::parse(R"({"embed_dim":216,"mlp_ratio":"3.5 4 3.5 4 3.5 4 3.5 4 3.5 4 3.5 4","num_heads":"4 3 4 3 4 3 4 3 4 3 4 3"})",
                                   autoformer::Variant::Tiny);
  autoformer::NetConfig cfg;
  cfg.img_size = 64;  // 16 patches + cls: fast; the benchmark's 224 only changes the token count
  cfg.num_classes = 100;
  TorchNet net(autoformer::build(a, cfg), 4);
  torch::manual_seed(0);
  // The classifier reads the mean of the patch tokens, not the cls token (Auto-Prox: x[:, 1:]).
  torch::Tensor normed, pooled;
  const auto out = net->forward(torch::randn({2, 3, 64, 64}), [&](NodeId, const Node& n, const torch::Tensor& t) {
    if (n.name == "ln_f") normed = t.detach();
    if (n.name == "head.pool") pooled = t.detach();
  });
  CHECK(out.sizes() == torch::IntArrayRef({2, 100}));
  REQUIRE(normed.sizes() == torch::IntArrayRef({2, 17, 216}));
  CHECK(torch::allclose(pooled, normed.slice(1, 1).mean(1)));
  CHECK_FALSE(torch::allclose(pooled, normed.mean(1)));
  CHECK(net->graph().to_text().find(" first=1\n") != std::string::npos);  // head.pool, in the graph text
  NetGraph bad;  // a mean from the last token onwards averages nothing
  const auto seq = bad.cls_token(bad.patch_embed(bad.input({3, 8, 8}), {4, 6, true}, "p"), "c");
  CHECK_THROWS_AS(bad.mean_tokens(seq, "m", {5}), zcnas::Error);
  CHECK_NOTHROW(bad.mean_tokens(seq, "m", {4}));
  out.sum().backward();
  const auto params = net->named_parameters();
  CHECK(params["layers.11.ffn.0.fc1.weight"].grad().abs().sum().item<double>() > 0);
  for (const auto& p : params) REQUIRE(torch::isfinite(p.value().grad()).all().item<bool>());
  // Small / Base: q/k/v width heads * 64.
  const auto g = get_space("autoformer_small").compile(
      R"({"embed_dim":320,"mlp_ratio":"3 3 3 3 3 3 3 3 3 3 3 3","num_heads":"7 7 7 7 7 7 7 7 7 7 7 7"})", "imagenet");
  for (const auto& nd : g.nodes())
    if (nd.name == "layers.0.attn.q") CHECK(nd.shape.back() == 7 * 64);
}
