// nb101: encodings against the 500 NAS-Bench-Suite-Zero keys, pruning and validity, bad
// input, the graph hash (isomorphism invariance), the exhaustive enumeration (423,624),
// edit moves, params/FLOPs against NASLib for all 500 keys, forward/backward.
#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <unordered_set>

#include "spaces/spaces_test_util.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/counting.hpp"
#include "zcnas/spaces/nb101.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas::spaces;
using zcnas::spaces::testing::benchdata;

namespace {

// "(0, 1, 1, ...)" -> "0,1,1,..." (benchdb's key form).
std::string key_of_tuple(const std::string& t) {
  std::string s;
  for (char c : t)
    if (std::isdigit(static_cast<unsigned char>(c))) {
      if (!s.empty()) s.push_back(',');
      s.push_back(c);
    }
  return s;
}

const nlohmann::json& suite_zero() {
  static const auto j = testing::read_naslib_json(benchdata("naslib_zc/zc_nasbench101.json"));
  return j.at("nasbench101").at("cifar10");
}

// The cell with its vertices renumbered along a random topological order of the DAG
// (input stays first, output last): an isomorphic cell.
nb101::Cell relabel(const nb101::Cell& c, Rng& rng) {
  const int n = c.n;
  std::vector<int> order{0}, indeg(n, 0);
  std::vector<bool> placed(n, false);
  placed[0] = true;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) indeg[j] += c.edge(i, j);
  for (int j = 0; j < n; ++j) indeg[j] -= c.edge(0, j);
  while (static_cast<int>(order.size()) < n - 1) {
    std::vector<int> ready;
    for (int v = 1; v < n - 1; ++v)
      if (!placed[v] && indeg[v] == 0) ready.push_back(v);
    REQUIRE(!ready.empty());
    const int v = ready[rng() % ready.size()];
    placed[v] = true;
    order.push_back(v);
    for (int j = 0; j < n; ++j) indeg[j] -= c.edge(v, j);
  }
  order.push_back(n - 1);
  std::vector<int> pos(n);
  for (int k = 0; k < n; ++k) pos[order[k]] = k;
  nb101::Cell r;
  r.n = c.n;
  for (int i = 0; i < n; ++i) {
    r.ops[pos[i]] = c.ops[i];
    for (int j = 0; j < n; ++j)
      if (c.edge(i, j)) r.out[pos[i]] = static_cast<std::uint8_t>(r.out[pos[i]] | (1u << pos[j]));
  }
  return r;
}

int cell_differences(const nb101::Cell& a, const nb101::Cell& b) {
  int d = 0;
  for (int i = 0; i < a.n; ++i) {
    d += a.ops[i] != b.ops[i];
    d += __builtin_popcount(static_cast<unsigned>(a.out[i] ^ b.out[i]));
  }
  return d;
}

// The NAS-Bench-101 README's example cell (google-research/nasbench README.md).
const std::string kReadmeCell =
    R"({"matrix": [[0, 1, 1, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0, 0],
        [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]],
        "ops": ["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "maxpool3x3", "output"]})";

}  // namespace

TEST_CASE("nb101 reads every NAS-Bench-Suite-Zero key and gives it back as benchmark_key", "[spaces][nb101]") {
  const Space& s = get_space("nb101");
  CHECK(s.datasets() == std::vector<std::string>{"cifar10"});
  std::size_t n = 0, unpruned = 0;
  for (const auto& [tuple, rec] : suite_zero().items()) {
    INFO(tuple);
    const auto key = key_of_tuple(tuple);
    const auto c = s.canonical(tuple);
    CHECK(s.canonical(c) == c);                       // canonical round trip
    CHECK(s.benchmark_key(c) == key);                 // key round trip (unpruned)
    CHECK(s.canonical(key) == c);                     // benchdb's "0,1,..." form
    CHECK(s.canonical(std::string("[") + key + "]") == c);         // list form
    const auto cell = nb101::parse(c);
    const auto pruned = nb101::prune(cell);
    REQUIRE(pruned);
    unpruned += pruned->n < cell.n;
    CHECK(s.structural_hash(c) == s.structural_hash(nb101::to_json(*pruned)));  // hash is on the pruned cell
    ++n;
  }
  CHECK(n == 500);
  CHECK(unpruned == 499);  // benchdata README: 499 of 500 keys have vertices off every path

  // The JSON form with spaces and line breaks reads as the compact canonical form.
  const auto c = s.canonical(kReadmeCell);
  CHECK(c == R"({"matrix":[[0,1,1,1,0,1,0],[0,0,0,0,0,0,1],[0,0,0,0,0,0,1],[0,0,0,0,1,0,0],[0,0,0,0,0,0,1],)"
             R"([0,0,0,0,0,0,1],[0,0,0,0,0,0,0]],"ops":["input","conv1x1-bn-relu","conv3x3-bn-relu","conv3x3-bn-relu",)"
             R"("conv3x3-bn-relu","maxpool3x3","output"]})");
  CHECK(s.benchmark_key(c) == "0,1,1,1,0,1,0,0,0,0,0,0,0,1,0,0,0,0,0,0,1,0,0,0,0,1,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,1,"
                              "0,0,0,0,0,0,0,0,3,4,4,4,2,1");
}

TEST_CASE("nb101 pruning, small cells and NASLib's 7x7 padding", "[spaces][nb101]") {
  const Space& s = get_space("nb101");
  // Vertex 2 (conv1x1) has no way to the output, vertex 3 no way from the input.
  const auto cell = nb101::parse(R"({"matrix": [[0,1,1,0,0],[0,0,0,0,1],[0,0,0,0,0],[0,0,0,0,1],[0,0,0,0,0]],
                                     "ops": ["input","conv3x3-bn-relu","conv1x1-bn-relu","maxpool3x3","output"]})");
  const auto p = nb101::prune(cell);
  REQUIRE(p);
  CHECK(nb101::to_json(*p) == R"({"matrix":[[0,1,0],[0,0,1],[0,0,0]],"ops":["input","conv3x3-bn-relu","output"]})");
  // Smallest cell: input -> output only.
  const std::string tiny = R"({"matrix":[[0,1],[0,0]],"ops":["input","output"]})";
  CHECK(s.canonical(tiny) == tiny);
  // Fewer than 7 vertices: the key pads as NASLib's convert_to_cell (output column moves to 6).
  std::string padded = "0,1,0,0,0,0,0,0,0,0,0,0,0,1";  // rows 0 and 1; rows 2..6 empty
  for (int i = 0; i < 35; ++i) padded += ",0";
  padded += ",0,4,4,4,4,4,1";
  CHECK(s.benchmark_key(nb101::to_json(*p)) == padded);
  CHECK(s.structural_hash(s.benchmark_key(nb101::to_json(*p))) == s.structural_hash(nb101::to_json(*p)));
  CHECK(param_count(s.compile(s.benchmark_key(tiny), "cifar10")) == param_count(s.compile(tiny, "cifar10")));
}

TEST_CASE("nb101 rejects bad arch strings with errors naming the input", "[spaces][nb101][errors]") {
  const Space& s = get_space("nb101");
  const std::string ok7 = "0,1,0,0,0,0,0, 0,0,1,0,0,0,0, 0,0,0,1,0,0,0, 0,0,0,0,1,0,0, 0,0,0,0,0,1,0, 0,0,0,0,0,0,1, 0,0,0,0,0,0,0,";
  REQUIRE_NOTHROW(s.canonical(ok7 + " 0,4,4,3,3,2,1"));
  auto first_entry = [&](char c) {  // ok7 with matrix[0][0] replaced
    std::string t = ok7;
    t[0] = c;
    return t;
  };
  // 11 edges on input->output paths: input to every vertex, a chain 1-2-3-4, 4 and 5 to the output.
  const std::string eleven_edges =
      R"({"matrix":[[0,1,1,1,1,1,1],[0,0,1,0,0,0,0],[0,0,0,1,0,0,0],[0,0,0,0,1,0,0],[0,0,0,0,0,0,1],[0,0,0,0,0,0,1],[0,0,0,0,0,0,0]],)"
      R"("ops":["input","conv3x3-bn-relu","conv3x3-bn-relu","conv3x3-bn-relu","conv3x3-bn-relu","maxpool3x3","output"]})";
  const std::vector<std::pair<std::string, std::string>> bad{
      {"", "empty"},
      {"   ", "empty"},
      {"hello", "neither a NASLib key nor a JSON cell"},
      {"(0, 1, 1)", "3 comma-separated entries, expected 56"},
      {ok7 + " 0,4,4,3,3,2", "55 comma-separated entries"},
      {ok7 + " 0,4,4,3,3,2,1,4", "57 comma-separated entries"},
      {std::string("(") + ok7 + " 0,4,4,3,3,2,1", "not closed"},
      {ok7 + " 0,4,4,5,3,2,1", "op 3 has code 5, out of range"},
      {ok7 + " 0,4,4,x,3,2,1", "op 3 is 'x'"},
      {ok7 + " 0,4,4,,3,2,1", "op 3 is empty"},
      {ok7 + " 1,4,4,3,3,2,0", "vertex 0 is 'output', expected 'input'"},
      {ok7 + " 0,4,4,3,3,2,4", "last vertex is 'conv3x3-bn-relu', expected 'output'"},
      {ok7 + " 0,4,1,3,3,2,1", "interior vertex 2 is 'output'"},
      {first_entry('2') + " 0,4,4,3,3,2,1", "matrix entry 0 (row 0, column 0) is 2"},
      {first_entry('1') + " 0,4,4,3,3,2,1", "matrix[0][0] is 1"},
      {"0,0,0,0,0,0,0, 1,0,1,0,0,0,0, 0,0,0,1,0,0,0, 0,0,0,0,1,0,0, 0,0,0,0,0,1,0, 0,0,0,0,0,0,1, 0,0,0,0,0,0,0, 0,4,4,3,3,2,1",
       "matrix[1][0] is 1"},
      {"0,1,0,0,0,0,0, 0,0,1,0,0,0,0, 0,0,0,0,0,0,0, 0,0,0,0,1,0,0, 0,0,0,0,0,1,0, 0,0,0,0,0,0,1, 0,0,0,0,0,0,0, 0,4,4,3,3,2,1",
       "input is not connected to the output"},
      {eleven_edges, "11 edges after pruning, at most 9"},
      {R"({"matrix":[[0,1],[0,0]],"ops":["input","output"])", "not valid JSON"},
      {R"([[0,1],[0,0]])", "entries"},
      {R"({"matrix":[[0,1],[0,0]]})", "lacks the field 'ops'"},
      {R"({"ops":["input","output"]})", "lacks the field 'matrix'"},
      {R"({"matrix":[[0,1],[0,0]],"ops":["input","output"],"hash":"x"})", "unknown field 'hash'"},
      {R"({"matrix":[[0]],"ops":["input"]})", "1 vertex"},
      {R"({"matrix":[[0,1],[0,0]],"ops":["input","conv3x3-bn-relu","output"]})", "array of 2 op names"},
      {R"({"matrix":[[0,1],[0]],"ops":["input","output"]})", "matrix row 1 is not an array of 2"},
      {R"({"matrix":[[0,2],[0,0]],"ops":["input","output"]})", "matrix[0][1] is 2"},
      {R"({"matrix":[[0,true],[0,0]],"ops":["input","output"]})", "matrix[0][1] is true"},
      {R"({"matrix":[[0,1,0],[0,0,1],[0,0,0]],"ops":["input","conv5x5-bn-relu","output"]})", "unknown op 'conv5x5-bn-relu'"},
      {R"({"matrix":[[0,1,0],[0,0,1],[0,0,0]],"ops":["input",3,"output"]})", "op 1 is 3, not a name"},
      {R"({"matrix":[[0,0,0,0,0,0,0,1],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0]],)"
       R"("ops":["input","maxpool3x3","maxpool3x3","maxpool3x3","maxpool3x3","maxpool3x3","maxpool3x3","output"]})",
       "8 vertices, at most 7"},
  };
  zcnas::spaces::testing::check_rejects(s, bad);
  REQUIRE_THROWS_AS(s.compile(s.canonical(kReadmeCell), "cifar100"), zcnas::Error);
  CHECK(s.compile(s.canonical(kReadmeCell), "CIFAR10").input_shape() == Shape{3, 32, 32});
}

TEST_CASE("nb101 graph hash: isomorphic cells agree, different cells differ", "[spaces][nb101][hash]") {
  const Space& s = get_space("nb101");
  Rng rng(101);
  std::set<std::string> hashes;
  for (const auto& [tuple, rec] : suite_zero().items()) {
    const auto p = *nb101::prune(nb101::parse(tuple));
    const auto h = nb101::graph_hash(p);
    hashes.insert(h.hex());
    for (int k = 0; k < 3; ++k) {
      const auto r = relabel(p, rng);
      INFO(nb101::to_json(p) << " vs " << nb101::to_json(r));
      CHECK(nb101::invalid_reason(r).empty());
      CHECK(nb101::graph_hash(r) == h);
    }
    // Changing one op on the pruned cell changes the function and the hash.
    if (p.n > 2) {
      auto q = p;
      q.ops[1] = q.ops[1] == nb101::kConv3x3 ? nb101::kConv1x1 : nb101::kConv3x3;
      CHECK(nb101::graph_hash(q) != h);
    }
  }
  // NASLib's 500 specs are 292 distinct cells: its sampler (random 7x7 matrices) favours small
  // pruned cells. A Python transcription of the authors' MD5 hash_module (graph_util.py) on
  // the same pruned cells also finds 292 classes.
  CHECK(hashes.size() == 292);
  // Two vertices with the same op in parallel (1 and 2 feed the output): swapping them is an
  // isomorphism; swapping the ops of a chain is not.
  const auto par = s.structural_hash(R"({"matrix":[[0,1,1,0],[0,0,0,1],[0,0,0,1],[0,0,0,0]],"ops":["input","conv3x3-bn-relu","conv1x1-bn-relu","output"]})");
  const auto par2 = s.structural_hash(R"({"matrix":[[0,1,1,0],[0,0,0,1],[0,0,0,1],[0,0,0,0]],"ops":["input","conv1x1-bn-relu","conv3x3-bn-relu","output"]})");
  const auto chain = s.structural_hash(R"({"matrix":[[0,1,0,0],[0,0,1,0],[0,0,0,1],[0,0,0,0]],"ops":["input","conv3x3-bn-relu","conv1x1-bn-relu","output"]})");
  const auto chain2 = s.structural_hash(R"({"matrix":[[0,1,0,0],[0,0,1,0],[0,0,0,1],[0,0,0,0]],"ops":["input","conv1x1-bn-relu","conv3x3-bn-relu","output"]})");
  CHECK(par == par2);
  CHECK(chain != chain2);
  CHECK(par != chain);
}

TEST_CASE("nb101 exhaustive enumeration finds NAS-Bench-101's 423,624 unique cells", "[spaces][nb101][enumerate]") {
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t labelled = 0;
  const auto cells = nb101::enumerate_unique(&labelled);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  WARN("nb101::enumerate_unique: " << cells.size() << " unique of " << labelled << " labelled graphs in " << secs << " s");
  CHECK(cells.size() == 423624);  // Ying et al. 2019; generate_graphs.py docstring

  const Space& s = get_space("nb101");
  REQUIRE(s.size() == std::optional<std::uint64_t>(cells.size()));
  std::unordered_set<std::string> hashes;
  std::size_t k = 0;
  bool all_pruned_valid = true;
  s.enumerate([&](const std::string& a) {
    const auto c = nb101::parse(a);  // throws if invalid
    if (!(c == cells[k]) || !(*nb101::prune(c) == c)) all_pruned_valid = false;
    hashes.insert(nb101::graph_hash(c).hex());
    ++k;
  });
  CHECK(k == cells.size());
  CHECK(all_pruned_valid);
  CHECK(hashes.size() == cells.size());
  // Every cell NASLib sampled from the benchmark is one of them.
  std::size_t found = 0;
  for (const auto& [tuple, rec] : suite_zero().items())
    found += hashes.count(nb101::graph_hash(*nb101::prune(nb101::parse(tuple))).hex());
  CHECK(found == 500);
}

TEST_CASE("nb101 sample, mutate and neighbours", "[spaces][nb101]") {
  const Space& s = get_space("nb101");
  Rng r1(7), r2(7);
  std::set<std::string> seen, cells;
  for (int i = 0; i < 2000; ++i) {
    const auto a = s.sample(r1);
    REQUIRE(a == s.sample(r2));
    REQUIRE(s.canonical(a) == a);
    REQUIRE(nb101::parse(a).n == 7);  // NASLib samples 7x7 specs
    seen.insert(a);
    cells.insert(s.structural_hash(a));
  }
  CHECK(seen.size() > 1990);
  CHECK(cells.size() > 700);  // 857 distinct cells with this seed: the sampler favours small pruned cells
  std::array<std::set<int>, 7> ops;
  for (const auto& a : seen) {
    const auto c = nb101::parse(a);
    for (int v = 1; v < 6; ++v) ops[v].insert(c.ops[v]);
  }
  for (int v = 1; v < 6; ++v) CHECK(ops[v].size() == 3);

  Rng rng(11);
  for (const auto& parent : {s.canonical(kReadmeCell), s.canonical(R"({"matrix":[[0,1],[0,0]],"ops":["input","output"]})")}) {
    for (int i = 0; i < 200; ++i) {
      const auto m = s.mutate(parent, rng);
      INFO(parent << " -> " << m);
      CHECK(s.canonical(m) == m);
      CHECK(s.structural_hash(m) != s.structural_hash(parent));
    }
    const auto nb = s.neighbours(parent);
    // input -> output only: no single move is valid and changes the cell (NASLib's get_nbhd
    // gives none either: one added edge cannot put a new vertex on a path).
    CHECK(nb.empty() == (nb101::parse(parent).n == 2));
    CHECK(std::set<std::string>(nb.begin(), nb.end()).size() == nb.size());
    const auto p7 = nb101::parse(s.benchmark_key(parent));
    for (const auto& n : nb) {
      INFO(n);
      CHECK(cell_differences(nb101::parse(n), p7) == 1);
    }
  }
  // The README cell (9 edges, every vertex on a path): 5 interior vertices x 2 other ops;
  // no addition is valid (10 edges) and removals keep only cells whose input reaches the output.
  const auto nb = s.neighbours(s.canonical(kReadmeCell));
  std::size_t op_moves = 0;
  const auto base = nb101::parse(s.canonical(kReadmeCell));
  for (const auto& n : nb) op_moves += nb101::parse(n).out == base.out;
  CHECK(op_moves == 10);
}

TEST_CASE("nb101 params and FLOPs equal NASLib's for all 500 Suite-Zero cells", "[spaces][nb101][acceptance]") {
  const Space& s = get_space("nb101");
  std::size_t n = 0, params_ok = 0, flops_ok = 0;
  for (const auto& [tuple, rec] : suite_zero().items()) {
    const auto g = s.compile(s.canonical(tuple), "cifar10");
    const auto params = param_count(g);
    // NASLib's params are in millions with 6 decimals, i.e. exact integers.
    const auto want_p = static_cast<std::int64_t>(std::llround(rec.at("params").get<double>() * 1e6));
    // The global mean is torch.mean in NASLib's network, which tensorwatch does not count;
    // our node is marked `functional`, so flops_naslib counts it 0 too.
    const double flops = flops_naslib(g) / 1e6;
    const double want_f = rec.at("flops").get<double>();
    INFO(tuple << ": params " << params << " vs " << want_p << ", MFLOPs " << flops << " vs " << want_f);
    CHECK(params == want_p);
    CHECK(testing::rel_close(flops, want_f, 1e-9));
    params_ok += params == want_p;
    flops_ok += testing::rel_close(flops, want_f, 1e-9);
    ++n;
  }
  CHECK(n == 500);
  CHECK(params_ok == 500);
  CHECK(flops_ok == 500);

  // The convention behind it: a `functional` global pool (torch.mean) counts 0, a module one
  // (nn.AdaptiveAvgPool2d) C x (H+1) x (W+1).
  for (bool functional : {true, false}) {
    NetGraph g;
    GlobalPoolAttr a;
    a.keepdims = false;
    a.functional = functional;
    g.set_output(g.add(OpKind::GlobalAvgPool, {g.input({4, 3, 3})}, a, "mean"));
    CHECK(g.output_shape() == Shape{4});
    CHECK(flops_naslib(g) == (functional ? 0.0 : 4.0 * 4 * 4));
  }
}

TEST_CASE("nb101 networks run forward and backward; IR params equal the module's", "[spaces][nb101][torch]") {
  const Space& s = get_space("nb101");
  torch::manual_seed(0);
  // Cells that need the channel split (128 = 43 + 43 + 42 over three output-feeding vertices):
  // 2 -> 3 truncates 43 -> 42 into a conv; then a 43-channel max-pool vertex 3 truncated into
  // vertex 4, so the pool and its producer (vertex 1) are split at 42 too.
  const std::vector<std::string> archs{
      s.canonical(kReadmeCell),
      R"({"matrix":[[0,1,1,1,0],[0,0,0,0,1],[0,0,0,1,1],[0,0,0,0,1],[0,0,0,0,0]],"ops":["input","conv3x3-bn-relu","conv1x1-bn-relu","conv3x3-bn-relu","output"]})",
      R"({"matrix":[[0,1,1,0,0,0],[0,0,0,1,0,0],[0,0,0,0,0,1],[0,0,0,0,1,1],[0,0,0,0,0,1],[0,0,0,0,0,0]],)"
      R"("ops":["input","conv3x3-bn-relu","conv1x1-bn-relu","maxpool3x3","conv3x3-bn-relu","output"]})",
      R"({"matrix":[[0,1],[0,0]],"ops":["input","output"]})",
  };
  for (const auto& a : archs) {
    INFO(a);
    TorchNet net(s.compile(s.canonical(a), "cifar10"), 5);
    CHECK(testing::module_numel(net) == param_count(net->graph()));
    auto x = torch::randn({2, 3, 32, 32});
    auto y = net->forward(x);
    REQUIRE(y.sizes().vec() == std::vector<std::int64_t>{2, 10});
    REQUIRE(torch::isfinite(y).all().item<bool>());
    torch::nn::functional::cross_entropy(y, torch::tensor({0, 1})).backward();
    for (NodeId id : net->weighted_nodes()) {
      auto w = net->node_weight(id);
      INFO(net->graph().node(id).name);
      REQUIRE(w.grad().defined());
      REQUIRE(torch::isfinite(w.grad()).all().item<bool>());
    }
    auto named = net->named_parameters();
    CHECK(named.contains("layers.0.conv_bn_relu.0.weight"));
    CHECK(named.contains("classifier.weight"));
    CHECK(named.contains("classifier.bias"));
  }
  // Names follow NASLib's model.py state_dict.
  TorchNet net(s.compile(s.canonical(kReadmeCell), "cifar10"), 1);
  auto named = net->named_parameters();
  CHECK(named.contains("layers.1.vertex_op.1.conv1x1.conv_bn_relu.0.weight"));
  CHECK(named.contains("layers.11.vertex_op.4.conv3x3.conv_bn_relu.1.bias"));
  CHECK(named.contains("layers.5.input_op.5.conv_bn_relu.0.weight"));
  // The split vertex of the truncation cell: 43 channels as [0, 42) + [42, 43).
  TorchNet split(s.compile(s.canonical(archs[1]), "cifar10"), 1);
  CHECK(split->named_parameters().contains("layers.1.vertex_op.2.conv1x1.conv_bn_relu_ch0_42.0.weight"));
  CHECK(split->named_parameters().contains("layers.1.vertex_op.2.conv1x1.conv_bn_relu_ch42_43.0.weight"));
}
