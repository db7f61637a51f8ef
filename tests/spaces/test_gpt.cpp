// gpt (LiteTransformerSearch GPT-2 decoders): every gpt2_wt103.csv row read, keyed and round-tripped;
// the acceptance check -- non-embedding parameters of the BUILT libtorch module equal the benchmark's
// params_nonembedding for all 200 rows; params_total through the documented head difference; bad
// input; edit moves; forward and backward.
#include <catch2/catch.hpp>

#include <set>

#include "spaces/spaces_test_util.hpp"
#include "spaces/transformer_test_util.hpp"
#include "zcnas/common/csv.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/counting.hpp"
#include "zcnas/spaces/gpt.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas::spaces;
using zcnas::spaces::testing::benchdata;

namespace {

struct Row {
  std::string id, json;
  long long nonembedding = 0, total = 0;
  std::int64_t d_embed = 0;
};

// The row as a JSON object of the CSV's text cells (the form `zcnas bench import` reads).
std::vector<Row> gpt_rows() {
  const auto t = zcnas::CsvTable::read_file(benchdata("gpt2_wt103.csv"));
  std::vector<Row> rows;
  for (std::size_t r = 0; r < t.rows(); ++r) {
    nlohmann::json j;
    for (const char* f : {"n_layer", "d_model", "d_embed", "div_val", "d_inner", "n_head"}) j[f] = t.row(r)[t.column(f)];
    rows.push_back({t.row(r)[t.column("id")], j.dump(), t.integer(r, t.column("params_nonembedding")),
                    t.integer(r, t.column("params_total")), t.integer(r, t.column("d_embed"))});
  }
  return rows;
}

// Sum of numel over the built module's parameters that are neither embedding parameters nor under head.*.
std::int64_t built_nonembedding(const NetGraph& g) {
  TorchNet net(g, 1);
  const auto emb = net->embedding_parameter_names();
  const std::set<std::string> emb_set(emb.begin(), emb.end());
  std::int64_t n = 0;
  for (const auto& p : net->named_parameters()) {
    if (emb_set.count(p.key()) || p.key().rfind("head.", 0) == 0) continue;
    n += p.value().numel();
  }
  return n;
}

}  // namespace

TEST_CASE("gpt reads every gpt2_wt103.csv row; canonical = benchdb encoding form, key = CSV id", "[spaces][gpt]") {
  const Space& s = get_space("gpt");
  CHECK(s.datasets() == std::vector<std::string>{"wt103"});
  const auto rows = gpt_rows();
  REQUIRE(rows.size() == 200);
  std::set<std::string> hashes;
  for (const auto& row : rows) {
    INFO(row.id);
    const auto c = s.canonical(row.json);
    REQUIRE(s.canonical(c) == c);
    REQUIRE(s.benchmark_key(c) == row.id);
    REQUIRE(s.canonical(row.id) == c);  // the id is an accepted encoding
    hashes.insert(s.structural_hash(c));
  }
  CHECK(hashes.size() == 200);
  // First row by hand: {"n_layer":5,"d_model":128,"d_embed":256,"div_val":4,...}, keys sorted.
  CHECK(s.canonical(rows[0].json) ==
        R"({"d_embed":256,"d_inner":[1071,640,1286,800,1871],"d_model":128,"div_val":4,"n_head":[2,4,4,8,8],"n_layer":5})");
  // Whitespace, JSON numbers and arrays, a missing n_layer, and the constant fields are all accepted.
  CHECK(s.canonical(R"( { "d_model" : 128, "d_embed": 256, "div_val": 4, "d_inner": [1071, 640, 1286, 800, 1871],
                          "n_head": "2 4 4 8 8", "n_token": 50264, "tgt_len": "192" } )") == s.canonical(rows[0].json));
  // An arch outside the benchmark is keyed by its canonical string.
  const auto other = s.canonical(R"({"d_model":64,"d_embed":128,"div_val":1,"d_inner":[512,512],"n_head":[2,2]})");
  CHECK(s.benchmark_key(other) == other);
}

TEST_CASE("gpt: non-embedding params of the built module == params_nonembedding for all 200 rows", "[spaces][gpt]") {
  const Space& s = get_space("gpt");
  int checked = 0;
  for (const auto& row : gpt_rows()) {
    INFO(row.id);
    const auto body = s.compile(s.canonical(row.json), "wt103:no-lm-head");
    // Built module (libtorch numel), and the IR count, both exact.
    REQUIRE(built_nonembedding(body) == row.nonembedding);
    REQUIRE(param_count(body) - embedding_param_count(body) == row.nonembedding);
    // params_total: the built head's output weight stands for the tied one (counted twice) and the
    // adaptive softmax's 2 cluster logits are absent (gpt.hpp): total = built - V*d_embed + 2*d_embed + 2.
    const auto full = s.compile(s.canonical(row.json), "wt103");
    REQUIRE(param_count(full) - gpt::kVocab * row.d_embed + 2 * row.d_embed + 2 == row.total);
    ++checked;
  }
  CHECK(checked == 200);
}

TEST_CASE("gpt rejects malformed archs with a message naming the problem", "[spaces][gpt]") {
  const Space& s = get_space("gpt");
  const std::string ok_tail = R"("d_inner":[600,700],"n_head":[2,4]})";
  zcnas::spaces::testing::check_rejects(
      s, {{"", "neither a JSON arch nor an id"},
          {"config_999_j9", "neither a JSON arch nor an id"},
          {"{", "not valid JSON"},
          {"[1,2]", "neither a JSON arch nor an id"},
          {R"({"d_model":128,"d_embed":256,"div_val":4,"d_inner":[600,700]})", "lacks the field \"n_head\""},
          {R"({"d_model":100,"d_embed":256,"div_val":4,)" + ok_tail, "d_model is 100, not a value of the space"},
          {R"({"d_model":128,"d_embed":256,"div_val":3,)" + ok_tail, "div_val is 3"},
          {R"({"d_model":128,"d_embed":256,"div_val":4,"d_inner":[600,700],"n_head":[2]})", "d_inner has 2 values but n_head has 1"},
          {R"({"n_layer":3,"d_model":128,"d_embed":256,"div_val":4,)" + ok_tail, "n_layer is 3"},
          {R"({"d_model":128,"d_embed":256,"div_val":4,"d_inner":[600,9000],"n_head":[2,4]})", "d_inner of layer 1 is 9000"},
          {R"({"d_model":128,"d_embed":256,"div_val":4,"d_inner":[600,700],"n_head":[2,3]})", "n_head of layer 1 is 3"},
          {R"({"d_model":128,"d_embed":256,"div_val":4,"d_inner":[600],"n_head":[2]})", "n_layer is 1, outside the space"},
          {R"({"d_model":"x","d_embed":256,"div_val":4,)" + ok_tail, "d_model is \"x\", not an integer"},
          {R"({"d_model":128,"d_embed":256,"div_val":4,"d_inner":"600 seven","n_head":[2,4]})", "not an integer"},
          {R"({"d_model":128,"d_embed":256,"div_val":4,"n_token":30000,)" + ok_tail, "n_token is 30000"},
          {R"({"d_model":128,"d_embed":256,"div_val":4,"dmodel":5,)" + ok_tail, "unknown field \"dmodel\""}});
  Rng rng(1);
  CHECK_THROWS_AS(s.compile(s.sample(rng), "wikitext"), zcnas::Error);
}

TEST_CASE("gpt sample / mutate / neighbours stay in the space and are seeded", "[spaces][gpt]") {
  const Space& s = get_space("gpt");
  CHECK(zcnas::spaces::testing::check_edit_moves(s, 7, 200) == 200);
  // Neighbours: distinct, valid, each one move away. A 2-layer arch cannot shrink; a 16-layer one cannot grow.
  const auto two = gpt::to_json({128, 256, 2, {512, 2048}, {2, 8}});
  const auto n = s.neighbours(two);
  CHECK(std::set<std::string>(n.begin(), n.end()).size() == n.size());
  // +1 layer, 3 d_model, 2 d_embed, 2 div_val, per layer 2 heads + d_inner one step (at the range ends)
  CHECK(n.size() == 1 + 3 + 2 + 2 + 2 * (2 + 1));
  for (const auto& x : n) REQUIRE(s.canonical(x) == x);
}

TEST_CASE("gpt networks run forward and backward on token ids", "[spaces][gpt]") {
  const auto a = gpt::parse(R"({"d_model":64,"d_embed":128,"div_val":2,"d_inner":[512,700],"n_head":[2,8]})");
  for (bool head : {true, false}) {
    gpt::NetConfig cfg;
    cfg.seq_len = 16;
    cfg.lm_head = head;
    const auto g = gpt::build(a, cfg);
    CHECK(g.has_token_input());
    // Node names H3's proxies rely on (docs/spaces.md).
    int fc1 = 0, cores = 0;
    for (const auto& nd : g.nodes()) {
      fc1 += nd.name == "layers.0.ffn.0.fc1" || nd.name == "layers.1.ffn.0.fc1";
      cores += nd.name.size() > 9 && nd.name.substr(nd.name.size() - 9) == "attn.core";
    }
    CHECK(fc1 == 2);
    CHECK(cores == 2);
    TorchNet net(g, 3);
    torch::manual_seed(0);
    const auto ids = torch::randint(0, gpt::kVocab, {2, 16}, torch::kLong);
    const auto out = net->forward(ids);
    CHECK(out.sizes() == torch::IntArrayRef({2, 16, head ? gpt::kVocab : 64}));
    out.pow(2).mean().backward();
    for (const auto& p : net->parameters())
      if (p.grad().defined()) REQUIRE(torch::isfinite(p.grad()).all().item<bool>());
    CHECK(net->named_parameters()["layers.0.ffn.0.fc1.weight"].grad().abs().sum().item<double>() > 0);
  }
  // Causal: changing the last token leaves the outputs at earlier positions unchanged.
  gpt::NetConfig cfg;
  cfg.seq_len = 8;
  cfg.lm_head = false;
  TorchNet net(gpt::build(a, cfg), 5);
  torch::NoGradGuard no_grad;
  auto ids = torch::arange(100, 108, torch::kLong).unsqueeze(0);
  const auto y1 = net->forward(ids);
  ids[0][7] = 40000;
  const auto y2 = net->forward(ids);
  CHECK(torch::allclose(y1.slice(1, 0, 7), y2.slice(1, 0, 7)));
  CHECK_FALSE(torch::allclose(y1.slice(1, 7, 8), y2.slice(1, 7, 8)));
}
