// nb201: encodings against the benchmark table, bad input, structural hash (6,466),
// edit moves, and params/FLOPs against NAS-Bench-Suite-Zero for every stored entry.
#include <catch2/catch.hpp>

#include <set>
#include <unordered_set>

#include "spaces/spaces_test_util.hpp"
#include "zcnas/common/csv.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/counting.hpp"
#include "zcnas/spaces/nb201.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas::spaces;
using zcnas::spaces::testing::benchdata;

namespace {

int edges_differing(const nb201::Ops& a, const nb201::Ops& b) {
  int n = 0;
  for (int i = 0; i < 6; ++i) n += a[i] != b[i];
  return n;
}

std::string tuple_form(const std::string& digits) {
  std::string s = "(";
  for (std::size_t i = 0; i < digits.size(); ++i) s += (i ? ", " : "") + std::string(1, digits[i]);
  return s + ")";
}

}  // namespace

TEST_CASE("nb201 is registered and enumerates the benchmark table in order", "[spaces][nb201]") {
  const Space& s = get_space("nb201");
  REQUIRE(s.size() == std::optional<std::uint64_t>(15625));
  const auto csv = zcnas::CsvTable::read_file(benchdata("nasbench201.csv"));
  const auto c_idx = csv.column("op_indices"), c_str = csv.column("arch_str");
  REQUIRE(csv.rows() == 15625);
  std::size_t row = 0;
  s.enumerate([&](const std::string& arch) {
    REQUIRE(row < csv.rows());
    const auto& digits = csv.row(row)[c_idx];
    const auto& arch_str = csv.row(row)[c_str];
    REQUIRE(arch == arch_str);                      // enumeration order = table order
    REQUIRE(s.canonical(digits) == arch_str);       // op_indices -> arch_str
    REQUIRE(s.canonical(arch_str) == arch_str);     // arch_str round trip
    REQUIRE(s.canonical(tuple_form(digits)) == arch_str);  // NASLib's key form
    REQUIRE(s.benchmark_key(arch_str) == digits);
    ++row;
  });
  CHECK(row == 15625);
}

TEST_CASE("nb201 rejects bad arch strings with errors naming the input", "[spaces][nb201][errors]") {
  const Space& s = get_space("nb201");
  const std::string good = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|";
  REQUIRE_NOTHROW(s.canonical(good));
  const std::vector<std::pair<std::string, std::string>> bad{
      {"", "empty"},
      {"   ", "empty"},
      {"12340", "5 op digits"},
      {"1234012", "7 op digits"},
      {"123405", "out of range"},
      {"(1, 2, 3)", "3 entries"},
      {"(1, 2, 3, 4, 0, 7)", "out of range"},
      {"(1, 2, 3, 4, 0, 1", "not closed"},
      {"(1, 2, x, 4, 0, 1)", "not an op code"},
      {"(1, 2, , 4, 0, 1)", "empty"},
      {"|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|", "2 node group"},
      {"|nor_conv_3x3~0|-|nor_conv_3x3~0|avg_pool_3x3~1|-|skip_connect~0|nor_conv_3x3~1|skip_connect~2|", "1 node group"},
      {"|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|conv_5x5~2|", "unknown op 'conv_5x5'"},
      {"|nor_conv_3x3~0|+|nor_conv_3x3~0,avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|", "1 edge(s)"},
      {"|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2", "must start and end"},
      {"|nor_conv_3x3|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|", "lacks '~"},
      {"|nor_conv_3x3~0|+|nor_conv_3x3~1|avg_pool_3x3~0|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|", "should read from node 0"},
      {"432323x", "node group"},
  };
  zcnas::spaces::testing::check_rejects(s, bad);
  REQUIRE_THROWS_AS(s.compile(good, "imagenet"), zcnas::Error);
  CHECK(s.compile(good, "imagenet16-120").input_shape() == Shape{3, 16, 16});  // data-set names are case-insensitive
}

TEST_CASE("nb201 structural hash: 15,625 cells collapse to NAS-Bench-201's 6,466", "[spaces][nb201][hash]") {
  const Space& s = get_space("nb201");
  std::unordered_set<std::string> hashes, unique_strs;
  s.enumerate([&](const std::string& arch) {
    hashes.insert(s.structural_hash(arch));
    unique_strs.insert(nb201::unique_str(nb201::parse(arch)));
  });
  CHECK(unique_strs.size() == 6466);  // the authors' count (NATS-Bench; AutoDL-Projects test-correlation.py)
  CHECK(hashes.size() == unique_strs.size());

  // Only the 'none' edges out of node 1 and node 2 differ: same function, same hash,
  // but different networks (params) and different benchmark rows.
  const std::string a = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|";
  const std::string b = "|avg_pool_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|none~2|";
  CHECK(s.structural_hash(a) == s.structural_hash(b));
  CHECK(s.benchmark_key(a) != s.benchmark_key(b));
  CHECK(param_count(s.compile(a, "cifar10")) != param_count(s.compile(b, "cifar10")));
  // Summation order does not matter; an op on a live path does.
  const std::string c = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|none~0|none~1|skip_connect~2|";
  const std::string d = "|nor_conv_1x1~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|none~1|skip_connect~2|";
  CHECK(s.structural_hash(c) != s.structural_hash(d));
  const std::string e = "|skip_connect~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|none~1|skip_connect~2|";
  const std::string f = "|skip_connect~0|+|skip_connect~0|nor_conv_3x3~1|+|none~0|none~1|skip_connect~2|";
  CHECK(s.structural_hash(e) == s.structural_hash(f));
}

TEST_CASE("nb201 sample, mutate and neighbours", "[spaces][nb201]") {
  const Space& s = get_space("nb201");
  Rng r1(42), r2(42);
  std::set<std::string> seen;
  for (int i = 0; i < 3000; ++i) {
    const auto a = s.sample(r1);
    REQUIRE(a == s.sample(r2));  // same seed, same stream
    REQUIRE(s.canonical(a) == a);
    seen.insert(a);
  }
  CHECK(seen.size() > 2500);  // 3,000 uniform draws from 15,625 repeat ~270 times
  // every edge takes every op value across the sample
  std::array<std::set<int>, 6> values;
  for (const auto& a : seen) {
    const auto ops = nb201::parse(a);
    for (int e = 0; e < 6; ++e) values[e].insert(ops[e]);
  }
  for (const auto& v : values) CHECK(v.size() == 5);

  Rng rng(7);
  const auto base = nb201::parse("432323");
  for (int i = 0; i < 500; ++i) {
    const auto m = s.mutate(nb201::arch_str(base), rng);
    CHECK(edges_differing(nb201::parse(m), base) == 1);
  }
  const auto nb = s.neighbours(nb201::arch_str(base));
  CHECK(nb.size() == 24);
  CHECK(std::set<std::string>(nb.begin(), nb.end()).size() == 24);
  for (const auto& n : nb) CHECK(edges_differing(nb201::parse(n), base) == 1);
}

TEST_CASE("nb201 params and FLOPs equal NASLib's for every Suite-Zero entry", "[spaces][nb201][acceptance]") {
  const auto j = testing::read_naslib_json(benchdata("naslib_zc/zc_nasbench201.json"));
  const Space& s = get_space("nb201");
  for (const auto& ds : nb201::datasets()) {
    REQUIRE(j.contains(ds));
    std::size_t n = 0, params_ok = 0, flops_ok = 0;
    for (const auto& [key, rec] : j.at(ds).items()) {
      const auto g = s.compile(s.canonical(key), ds);
      const double params = static_cast<double>(param_count(g)) / 1e6;
      const double flops = flops_naslib(g) / 1e6;
      const double want_p = rec.at("params").at("score").get<double>();
      const double want_f = rec.at("flops").at("score").get<double>();
      INFO(ds << " " << key << " params " << params << " vs " << want_p << ", flops " << flops << " vs " << want_f);
      CHECK(testing::rel_close(params, want_p));
      CHECK(testing::rel_close(flops, want_f));
      params_ok += testing::rel_close(params, want_p);
      flops_ok += testing::rel_close(flops, want_f);
      ++n;
    }
    INFO(ds);
    CHECK(n >= 724);
    CHECK(params_ok == n);
    CHECK(flops_ok == n);
  }
}

TEST_CASE("nb201 IR parameter count equals the built module's, sample and all archs", "[spaces][nb201][params]") {
  const Space& s = get_space("nb201");
  // Built modules for a seeded sample on every data set (torch modules are the slow part).
  Rng rng(2024);
  std::vector<std::string> sample{s.canonical("432323"), s.canonical("000000"), s.canonical("111111"),
                                  s.canonical("222222")};
  for (int i = 0; i < 8; ++i) sample.push_back(s.sample(rng));
  for (const auto& ds : nb201::datasets())
    for (const auto& a : sample) {
      INFO(ds << " " << a);
      TorchNet net(s.compile(a, ds), 1);
      CHECK(testing::module_numel(net) == param_count(net->graph()));
    }

  // Every arch from the IR, against an independent closed form: the cell-free network
  // (all skip) plus, per stage with C channels and 5 cells, 9C^2+2C per conv3x3 edge and
  // C^2+2C per conv1x1 edge (ReLU-conv-BN with affine BN).
  for (const auto& ds : nb201::datasets()) {
    const auto cfg = nb201::config_for(ds);
    const auto base = param_count(nb201::build(nb201::parse("000000"), cfg));
    std::size_t checked = 0;
    s.enumerate([&](const std::string& a) {
      const auto ops = nb201::parse(a);
      std::int64_t want = base;
      for (std::int64_t c : {16, 32, 64})
        for (int op : ops) want += 5 * (op == 2 ? 9 * c * c + 2 * c : op == 3 ? c * c + 2 * c : 0);
      const auto got = param_count(nb201::build(ops, cfg));
      if (got != want) FAIL_CHECK(ds << " " << a << ": IR " << got << " vs closed form " << want);
      ++checked;
    });
    CHECK(checked == 15625);
  }
}

TEST_CASE("nb201 IR count equals the built module for all 15,625 archs", "[spaces][nb201][params][slow]") {
  const Space& s = get_space("nb201");
  std::size_t n = 0;
  s.enumerate([&](const std::string& a) {
    TorchNet net(s.compile(a, "cifar10"), 0);
    if (testing::module_numel(net) != param_count(net->graph())) FAIL_CHECK(a);
    ++n;
  });
  CHECK(n == 15625);
}

TEST_CASE("nb201 networks run forward and backward on every data set", "[spaces][nb201][torch]") {
  const Space& s = get_space("nb201");
  // Uses every op: conv3x3, conv1x1, avg pool, skip, none.
  const auto arch = s.canonical("(4, 3, 2, 0, 1, 3)");
  for (const auto& ds : nb201::datasets()) {
    INFO(ds);
    auto g = s.compile(arch, ds);
    const auto cfg = nb201::config_for(ds);
    TorchNet net(std::move(g), 3);
    auto x = torch::randn({2, 3, cfg.resolution, cfg.resolution});
    auto y = net->forward(x);
    REQUIRE(y.sizes().vec() == std::vector<std::int64_t>{2, cfg.num_classes});
    torch::nn::functional::cross_entropy(y, torch::tensor({0, 1})).backward();
    for (NodeId id : net->weighted_nodes()) {
      auto w = net->node_weight(id);
      REQUIRE(w.grad().defined());
      REQUIRE(torch::isfinite(w.grad()).all().item<bool>());
    }
    // Parameter names follow TinyNetwork's state_dict.
    auto named = net->named_parameters();
    CHECK(named.contains("stem.0.weight"));
    CHECK(named.contains("cells.0.layers.1.op.1.weight"));  // edge (1->3): nor_conv_1x1
    CHECK(named.contains("cells.5.conv_a.op.1.weight"));
    CHECK(named.contains("cells.5.downsample.1.weight"));
    CHECK(named.contains("lastact.0.bias"));
    CHECK(named.contains("classifier.weight"));
  }
}

TEST_CASE("both cell spaces are registered by name", "[spaces][registry]") {
  const auto names = space_names();
  CHECK(std::find(names.begin(), names.end(), "nb201") != names.end());
  CHECK(std::find(names.begin(), names.end(), "tnb101_micro") != names.end());
  try {
    get_space("nb999");
    FAIL("unknown space accepted");
  } catch (const zcnas::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("nb201"));
  }
}
