// darts (DARTS / NAS-Bench-301): encodings against the NB301 sample table, bad input,
// structural hash, edit moves, params/FLOPs against NASLib's for all 725 genotypes, and
// networks running forward and backward.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "spaces/spaces_test_util.hpp"
#include "zcnas/common/csv.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/common/text_hash.hpp"
#include "zcnas/spaces/counting.hpp"
#include "zcnas/spaces/darts.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas::spaces;
using zcnas::spaces::testing::benchdata;

namespace {

// The DARTS paper's cell (quark0/darts cnn/genotypes.py, DARTS_V2), as printed there.
const std::string kDartsV2 =
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

struct Row {
  std::string genotype;
  double params_m, flops_m;
};

std::vector<Row> nb301_rows() {
  const auto csv = zcnas::CsvTable::read_file(benchdata("nasbench301_sample.csv"));
  const auto c_g = csv.column("genotype"), c_p = csv.column("params_M"), c_f = csv.column("flops_M");
  std::vector<Row> rows;
  for (std::size_t r = 0; r < csv.rows(); ++r)
    rows.push_back({csv.row(r)[c_g], std::stod(csv.row(r)[c_p]), std::stod(csv.row(r)[c_f])});
  return rows;
}

int fields_differing(const darts::Genotype& a, const darts::Genotype& b) {
  int n = 0;
  for (int p = 0; p < 8; ++p) {
    n += (a.normal[p].input != b.normal[p].input) + (a.normal[p].op != b.normal[p].op);
    n += (a.reduce[p].input != b.reduce[p].input) + (a.reduce[p].op != b.reduce[p].op);
  }
  return n;
}

}  // namespace

TEST_CASE("darts reads every NB301 sample genotype; canonical = benchmark key = normalized CSV text", "[spaces][darts]") {
  const Space& s = get_space("darts");
  CHECK(s.datasets() == std::vector<std::string>{"cifar10"});
  CHECK_FALSE(s.size().has_value());
  const auto rows = nb301_rows();
  REQUIRE(rows.size() == 725);
  for (const auto& row : rows) {
    const auto canon = s.canonical(row.genotype);
    REQUIRE(canon == zcnas::normalize_whitespace(row.genotype));
    REQUIRE(s.benchmark_key(canon) == canon);
    REQUIRE(s.canonical(canon) == canon);
    // The DARTS Genotype(...) form carries the same genotype.
    const auto g = darts::parse(canon);
    REQUIRE(darts::parse(darts::genotype_str(g)) == g);
    REQUIRE(s.canonical(darts::genotype_str(g)) == canon);
  }
  // First row, read by hand from the CSV: node 2 of the normal cell = max_pool(0) + dil_conv_3x3(1).
  const auto g = darts::parse(rows[0].genotype);
  CHECK(g.normal[0] == darts::Edge{0, 0});
  CHECK(g.normal[1] == darts::Edge{1, 5});
  CHECK(g.reduce[7] == darts::Edge{3, 6});

  // The DARTS paper's genotype, in its own form, with range() concat, op names in pairs, tuples.
  const auto v2 = darts::parse(kDartsV2);
  CHECK(v2.normal[7] == darts::Edge{2, 5});
  CHECK(v2.reduce[2] == darts::Edge{2, 2});
  CHECK(darts::genotype_str(v2) == kDartsV2);
  std::string ranged = kDartsV2;
  for (auto pos = ranged.find("[2, 3, 4, 5]"); pos != std::string::npos; pos = ranged.find("[2, 3, 4, 5]"))
    ranged.replace(pos, 12, "range(2, 6)");
  CHECK(darts::parse(ranged) == v2);
  // Keyword order free, spaces free, concat as range().
  CHECK(darts::parse(" Genotype(reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), "
                     "('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), "
                     "('max_pool_3x3', 1)], normal_concat=range(2, 6), reduce_concat=[2,3,4,5], "
                     "normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
                     "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)]) ") == v2);
  const auto compact = darts::compact_str(v2);
  CHECK(compact == "[[(0,3),(1,3),(0,3),(1,3),(1,3),(0,2),(0,2),(2,5)],[(0,0),(1,0),(2,2),(1,0),(0,0),(2,2),(2,2),(1,0)]]");
  CHECK(s.canonical("[[(0, 'sep_conv_3x3'), (1, 3), ('sep_conv_3x3', 0), [1, 3], (1, 3), (0, 2), (0, 2), (2, 5)], "
                    "((0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0))]") == compact);
  CHECK(s.canonical("(((0,3),(1,3),(0,3),(1,3),(1,3),(0,2),(0,2),(2,5)),((0,0),(1,0),(2,2),(1,0),(0,0),(2,2),(2,2),(1,0)),)") ==
        compact);
}

TEST_CASE("darts rejects malformed genotypes with errors naming the input", "[spaces][darts][errors]") {
  const Space& s = get_space("darts");
  const std::string n = "[(0, 0), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)]";
  const std::string r = "[(1, 0), (0, 2), (1, 3), (0, 3), (3, 0), (0, 1), (2, 0), (3, 6)]";
  REQUIRE_NOTHROW(s.canonical("[" + n + ", " + r + "]"));
  const std::vector<std::pair<std::string, std::string>> bad{
      {"", "empty genotype"},
      {"  ", "empty genotype"},
      // brackets
      {"[" + n + ", " + r, "is not closed with ']'"},
      {"[" + n + ", " + r + "]]", "after the end of the genotype"},
      {"[" + n + ", " + r + ")", "expected ',' or ']'"},
      {"[[(0, 0), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2]], " + r + "]", "expected ',' or ')'"},
      {"[" + n + " " + r + "]", "expected ',' or ']'"},
      {"{" + n + "}", "unexpected character '{'"},
      {"[" + n + ", " + r + ", " + r + "]", "3 cell(s), expected 2"},
      {"[" + n + "]", "1 cell(s), expected 2"},
      // number of edges
      {"[[(0, 0), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3)], " + r + "]", "normal cell has 7 pair(s), expected 8"},
      {"[" + n + ", [(1, 0), (0, 2), (1, 3), (0, 3), (3, 0), (0, 1), (2, 0), (3, 6), (0, 1)]]",
       "reduce cell has 9 pair(s), expected 8"},
      {"[[(0, 0, 1), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], " + r + "]", "normal pair 1 (node 2) is not a pair"},
      {"[3, " + r + "]", "normal cell is not a list of pairs"},
      // node index out of range / repeated
      {"[[(0, 0), (2, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], " + r + "]",
       "normal pair 2 (node 2) reads node 2, out of range"},
      {"[" + n + ", [(1, 0), (0, 2), (1, 3), (0, 3), (3, 0), (0, 1), (2, 0), (5, 6)]]",
       "reduce pair 8 (node 5) reads node 5, out of range"},
      {"[[(0, 0), (-1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], " + r + "]", "reads node -1, out of range"},
      {"[[(0, 0), (0, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], " + r + "]", "normal node 2 reads node 0 twice"},
      // ops
      {"[[(0, 7), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], " + r + "]", "op code 7, out of range 0..6"},
      {"[[(0, 'conv_7x7'), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], " + r + "]", "unknown op 'conv_7x7'"},
      {"[[(0, 'none'), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], " + r + "]", "op 'none' is not in the NAS-Bench-301"},
      {"[[(0, 'sep_conv_3x3), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], " + r + "]", "is not closed"},
      {"[[('a', 'b'), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], " + r + "]", "is not (input node, op)"},
      // DARTS Genotype(...) form
      {"Genotype(normal=" + n + ", normal_concat=[2, 3, 4, 5], reduce=" + r + ")", "lacks 'reduce_concat'"},
      {"Genotype(normal=" + n + ", normal_concat=[2, 3, 4], reduce=" + r + ", reduce_concat=[2, 3, 4, 5])",
       "normal_concat must be the nodes 2, 3, 4, 5"},
      {"Genotype(normal=" + n + ", normal_concat=[2, 3, 4, 5], reduce=" + r + ", reduce_concat=range(2, 5))",
       "reduce_concat must be the nodes 2, 3, 4, 5"},
      {"Genotype(normal=" + n + ", normal_concat=[2, 3, 4, 5], reduce=" + r + ", reduce_concat=[2, 3, 4, 5], extra=1)",
       "unknown field 'extra'"},
      {"Genotype(normal=" + n + ", normal=" + n + ", reduce=" + r + ", reduce_concat=[2, 3, 4, 5])", "gives 'normal' twice"},
      {"Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
       "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 5)], normal_concat=[2, 3, 4, 5], "
       "reduce=" + r + ", reduce_concat=[2, 3, 4, 5])",
       "normal pair 8 (node 5) reads node 5, out of range"},
      {"Genotype(normal=" + n + ", normal_concat=[2, 3, 4, 5], reduce=" + r + ", reduce_concat=[2, 3, 4, 5]",
       "is not closed with ')'"},
      {"Genome(normal=" + n + ")", "'Genome(...)' is not a genotype"},
      {"432323", "is not a genotype"},
  };
  zcnas::spaces::testing::check_rejects(s, bad);
  REQUIRE_THROWS_AS(s.compile(s.canonical("[" + n + ", " + r + "]"), "cifar100"), zcnas::Error);
}

TEST_CASE("darts params and FLOPs equal NASLib's for all 725 NB301 sample genotypes", "[spaces][darts][acceptance]") {
  const Space& s = get_space("darts");
  std::size_t n = 0, params_ok = 0, flops_ok = 0;
  double worst_p = 0, worst_f = 0;
  for (const auto& row : nb301_rows()) {
    const auto g = s.compile(s.canonical(row.genotype), "cifar10");
    const double params = static_cast<double>(param_count(g)) / 1e6;
    const double flops = flops_naslib(g) / 1e6;
    const bool p_ok = testing::rel_close(params, row.params_m), f_ok = testing::rel_close(flops, row.flops_m);
    if (!p_ok || !f_ok)
      FAIL_CHECK(row.genotype << ": params " << params << " vs " << row.params_m << ", flops " << flops << " vs "
                              << row.flops_m);
    worst_p = std::max(worst_p, std::abs(params - row.params_m) / row.params_m);
    worst_f = std::max(worst_f, std::abs(flops - row.flops_m) / row.flops_m);
    params_ok += p_ok;
    flops_ok += f_ok;
    ++n;
  }
  // Independent of NASLib: the DARTS paper's evaluation network (C=36, 20 cells, no auxiliary
  // head) for its own cell has "3.3 M" parameters (Liu et al. 2019, Table 1), i.e. 3.25..3.35 M.
  darts::NetConfig paper;
  paper.channels = 36;
  paper.layers = 20;
  const double v2_params = static_cast<double>(param_count(darts::build(darts::parse(kDartsV2), paper))) / 1e6;
  CHECK(v2_params >= 3.25);
  CHECK(v2_params < 3.35);
  INFO("worst relative difference: params " << worst_p << ", flops " << worst_f);
  CHECK(n == 725);
  CHECK(params_ok == n);
  CHECK(flops_ok == n);
}

TEST_CASE("darts networks: IR params equal the module's; forward and backward run", "[spaces][darts][torch]") {
  const Space& s = get_space("darts");
  Rng rng(301);
  std::vector<std::string> archs{s.canonical(kDartsV2)};
  for (int i = 0; i < 3; ++i) archs.push_back(s.sample(rng));
  // Every op in both cells somewhere: op k on every edge of the normal and reduce cell.
  for (int op = 0; op < darts::kNumOps; ++op) {
    auto g = darts::parse(archs[0]);
    for (auto& e : g.normal) e.op = op;
    for (auto& e : g.reduce) e.op = (op + 2) % darts::kNumOps;
    archs.push_back(darts::compact_str(g));
  }
  torch::manual_seed(0);
  for (const auto& a : archs) {
    INFO(a);
    TorchNet net(s.compile(a, "cifar10"), 7);
    CHECK(testing::module_numel(net) == param_count(net->graph()));
    auto x = torch::randn({2, 3, 32, 32});
    auto y = net->forward(x);
    REQUIRE(y.sizes().vec() == std::vector<std::int64_t>{2, 10});
    REQUIRE(torch::isfinite(y).all().item<bool>());
    (y * y).mean().backward();
    for (NodeId id : net->weighted_nodes()) {
      auto w = net->node_weight(id);
      INFO(net->graph().node(id).name);
      REQUIRE(w.grad().defined());
      REQUIRE(torch::isfinite(w.grad()).all().item<bool>());
    }
  }
  // Parameter names follow DARTS NetworkCIFAR's state_dict.
  TorchNet v2(s.compile(s.canonical(kDartsV2), "cifar10"), 1);
  auto named = v2->named_parameters();
  CHECK(named.contains("stem.0.weight"));
  CHECK(named["stem.0.weight"].sizes().vec() == std::vector<std::int64_t>{96, 3, 3, 3});
  CHECK(named.contains("cells.0.preprocess0.op.1.weight"));
  CHECK(named.contains("cells.3.preprocess0.conv_1.weight"));  // factorized reduce after the first reduction cell
  CHECK(named["cells.3.preprocess0.conv_1.weight"].sizes().vec() == std::vector<std::int64_t>{32, 128, 1, 1});
  // Reduction cell with skip_connect everywhere: factorized reduce (non-affine BN) on the edges
  // reading the cell inputs, identity (nothing) on the edge reading node 2.
  TorchNet skips(s.compile(archs[4], "cifar10"), 1);  // op 0 variant: reduce cell all skip_connect
  auto skip_named = skips->named_parameters();
  REQUIRE(skip_named.contains("cells.2._ops.0.conv_1.weight"));
  CHECK(skip_named["cells.2._ops.0.conv_1.weight"].sizes().vec() == std::vector<std::int64_t>{32, 64, 1, 1});
  CHECK_FALSE(skip_named.contains("cells.2._ops.0.bn.weight"));
  CHECK_FALSE(skip_named.contains("cells.2._ops.2.conv_1.weight"));
  CHECK(named.contains("cells.0._ops.0.op.1.weight"));  // sep_conv depthwise
  CHECK(named["cells.0._ops.0.op.1.weight"].sizes().vec() == std::vector<std::int64_t>{32, 1, 3, 3});
  CHECK(named["classifier.weight"].sizes().vec() == std::vector<std::int64_t>{10, 512});
  CHECK_FALSE(named.contains("cells.0._ops.0.op.3.weight"));  // cell-op BNs are not affine
}

TEST_CASE("darts structural hash: node input order and node relabelling", "[spaces][darts][hash]") {
  const Space& s = get_space("darts");
  const std::string r = "[(1,0),(0,2),(1,3),(0,3),(3,0),(0,1),(2,0),(3,6)]";
  auto with_normal = [&](const std::string& normal) { return s.canonical("[" + normal + "," + r + "]"); };
  const auto a = with_normal("[(0,0),(1,5),(1,1),(0,1),(1,3),(0,3),(1,3),(3,2)]");
  // Swapping the two pairs of a node: same sum.
  const auto b = with_normal("[(1,5),(0,0),(1,1),(0,1),(0,3),(1,3),(1,3),(3,2)]");
  CHECK(a != b);
  CHECK(s.structural_hash(a) == s.structural_hash(b));
  // Nodes 2 and 3 read only the cell inputs, so they can trade places (node 5 reads node 3 ->
  // reads node 2 after the swap).
  const auto c = with_normal("[(1,1),(0,1),(0,0),(1,5),(1,3),(0,3),(1,3),(2,2)]");
  CHECK(s.structural_hash(a) == s.structural_hash(c));
  // A different op, a different input, or the same change in the other cell: different.
  CHECK(s.structural_hash(a) != s.structural_hash(with_normal("[(0,0),(1,6),(1,1),(0,1),(1,3),(0,3),(1,3),(3,2)]")));
  CHECK(s.structural_hash(a) != s.structural_hash(with_normal("[(0,0),(1,5),(1,1),(0,1),(1,3),(0,3),(1,3),(2,2)]")));
  const auto swapped_cells = s.canonical("[" + r + ",[(0,0),(1,5),(1,1),(0,1),(1,3),(0,3),(1,3),(3,2)]]");
  CHECK(s.structural_hash(a) != s.structural_hash(swapped_cells));
  // Equal hashes really are the same network up to parameter order: equal params and FLOPs.
  CHECK(param_count(s.compile(a, "cifar10")) == param_count(s.compile(c, "cifar10")));
  CHECK(flops_naslib(s.compile(a, "cifar10")) == flops_naslib(s.compile(c, "cifar10")));
  // The 725 sampled genotypes are structurally distinct.
  std::set<std::string> hashes;
  for (const auto& row : nb301_rows()) hashes.insert(s.structural_hash(s.canonical(row.genotype)));
  CHECK(hashes.size() == 725);
}

TEST_CASE("darts sample, mutate and neighbours", "[spaces][darts]") {
  const Space& s = get_space("darts");
  Rng r1(5), r2(5);
  std::set<std::string> seen;
  std::map<int, std::set<int>> inputs_of_node;  // node -> inputs seen
  std::set<int> ops_seen;
  for (int i = 0; i < 2000; ++i) {
    const auto a = s.sample(r1);
    REQUIRE(a == s.sample(r2));
    REQUIRE(s.canonical(a) == a);  // valid and canonical
    seen.insert(a);
    const auto g = darts::parse(a);
    for (int p = 0; p < 8; ++p) {
      inputs_of_node[p / 2 + 2].insert(g.normal[p].input);
      inputs_of_node[p / 2 + 2].insert(g.reduce[p].input);
      ops_seen.insert(g.normal[p].op);
    }
  }
  CHECK(seen.size() == 2000);
  CHECK(ops_seen.size() == 7);
  for (int node = 2; node <= 5; ++node) CHECK(inputs_of_node[node].size() == static_cast<std::size_t>(node));

  Rng rng(8);
  for (int i = 0; i < 300; ++i) {
    const auto base_s = s.sample(rng);
    const auto base = darts::parse(base_s);
    const auto m = s.mutate(base_s, rng);
    REQUIRE(s.canonical(m) == m);
    CHECK(fields_differing(darts::parse(m), base) == 1);
  }
  const auto base_s = s.canonical(kDartsV2);
  const auto nb = s.neighbours(base_s);
  CHECK(nb.size() == 120);  // per cell 8 edges x 6 other ops + (0+1+2+3) x 2 other inputs
  CHECK(std::set<std::string>(nb.begin(), nb.end()).size() == 120);
  for (const auto& x : nb) {
    REQUIRE(s.canonical(x) == x);
    CHECK(fields_differing(darts::parse(x), darts::parse(base_s)) == 1);
  }
}
