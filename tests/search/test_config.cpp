#include <catch2/catch.hpp>

#include <filesystem>

#include "zcnas/common/error.hpp"
#include "zcnas/search/config.hpp"
#include "zcnas/search/strategy.hpp"

using namespace zcnas::search;

TEST_CASE("a full config parses with every section", "[search][config]") {
  auto c = parse_config(R"(
name: quick
space: nb201
dataset: cifar10
proxies: [synflow]
strategy: {name: rea, population_size: 20, sample_size: 5}
budget: {candidates: 100, seconds: 60, queries: 50}
constraints: {max_params: 1.0e6}
limits: {candidate_seconds: 30}
seed: 3
threads: 2
batch_size: 16
top_k: 5
)", "mem.yaml");
  CHECK(c.space == "nb201");
  CHECK(c.proxies.size() == 1);
  CHECK(c.strategy == "rea");
  CHECK(c.strategy_settings["population_size"] == 20);
  CHECK(*c.budget.queries == 50);
  CHECK(*c.constraints.max_params == 1.0e6);
  CHECK(c.seed == 3);
  CHECK_NOTHROW(make_strategy(c.strategy, c.strategy_settings));
}

TEST_CASE("config hash ignores threads, database and output", "[search][config]") {
  auto a = parse_config("space: nb201\ndataset: cifar10\nthreads: 1\noutput: a\n", "a.yaml");
  auto b = parse_config("space: nb201\ndataset: cifar10\nthreads: 2\noutput: b\ndatabase: x.db\n", "b.yaml");
  auto c = parse_config("space: nb201\ndataset: cifar10\nseed: 1\n", "c.yaml");
  CHECK(a.config_hash() == b.config_hash());
  CHECK(a.config_hash() != c.config_hash());
}

TEST_CASE("bad configs name the file, line and key", "[search][config]") {
  CHECK_THROWS_WITH(parse_config("space: nb201\ndataset: cifar10\nbudgte: {queries: 3}\n", "t.yaml"),
                    Catch::Contains("t.yaml line 3 key 'budgte'") && Catch::Contains("unknown key"));
  CHECK_THROWS_WITH(parse_config("space: nb201\ndataset: cifar10\nbudget: {queries: many}\n", "t.yaml"),
                    Catch::Contains("budget.queries") && Catch::Contains("expected an integer"));
  CHECK_THROWS_WITH(parse_config("space: nb201\n", "t.yaml"), Catch::Contains("missing required key 'dataset'"));
  CHECK_THROWS_WITH(parse_config("space: [nb201\n", "t.yaml"), Catch::Contains("invalid YAML"));
  CHECK_THROWS_WITH(parse_config("", "t.yaml"), Catch::Contains("empty config"));
  CHECK_THROWS_WITH(parse_config("space: nb201\ndataset: c\nbatch_size: -1\n", "t.yaml"), Catch::Contains("must be positive"));
  CHECK_THROWS_WITH(parse_config("space: nb201\ndataset: c\nproxies: [a, b]\n", "t.yaml"), Catch::Contains("rank_average"));
  CHECK_THROWS_WITH(load_config("/nonexistent/c.yaml"), Catch::Contains("cannot open"));
}

TEST_CASE("strategy settings are checked", "[search][config]") {
  CHECK_THROWS_WITH(make_strategy("rea", {{"populaton_size", 3}}), Catch::Contains("unknown setting"));
  CHECK_THROWS_WITH(make_strategy("rea", {{"population_size", "x"}}), Catch::Contains("expected an integer"));
  CHECK_THROWS_WITH(make_strategy("simulated_annealing", nlohmann::json::object()), Catch::Contains("unknown search strategy"));
  CHECK_THROWS_WITH(make_strategy("random", {{"objective", "accuracy"}}), Catch::Contains("allowed: truth, proxy"));
}

TEST_CASE("every shipped config parses", "[search][config]") {
  namespace fs = std::filesystem;
  int n = 0;
  for (const auto& e : fs::directory_iterator("configs")) {
    if (e.path().extension() != ".yaml") continue;
    INFO(e.path());
    auto c = load_config(e.path().string());
    CHECK_NOTHROW(make_strategy(c.strategy, c.strategy_settings));
    ++n;
  }
  CHECK(n >= 1);
}

TEST_CASE("dedup and in_flight keys", "[search][config]") {
  auto off = parse_config("space: nb101\ndataset: cifar10\n", "a.yaml");
  CHECK_FALSE(off.dedup.structural);
  CHECK(off.in_flight == 0);
  auto on = parse_config("space: nb101\ndataset: cifar10\ndedup: {structural: true}\nin_flight: 6\n", "b.yaml");
  CHECK(on.dedup.structural);
  CHECK(on.in_flight == 6);
  // Structural sharing changes which rows are stored: part of the config's identity;
  // the number of tokens in flight is not, and an explicit `false` is the default.
  CHECK(on.config_hash() != off.config_hash());
  CHECK(parse_config("space: nb101\ndataset: cifar10\nin_flight: 6\n", "c.yaml").config_hash() == off.config_hash());
  CHECK(parse_config("space: nb101\ndataset: cifar10\ndedup: {structural: false}\n", "d.yaml").config_hash() ==
        off.config_hash());
  CHECK_THROWS_WITH(parse_config("space: nb101\ndataset: c\ndedup: {structural: maybe}\n", "t.yaml"),
                    Catch::Contains("t.yaml line 3 key 'dedup.structural'") && Catch::Contains("expected true or false"));
  CHECK_THROWS_WITH(parse_config("space: nb101\ndataset: c\ndedup: {structrual: true}\n", "t.yaml"),
                    Catch::Contains("dedup.structrual") && Catch::Contains("unknown key"));
  CHECK_THROWS_WITH(parse_config("space: nb101\ndataset: c\nin_flight: -1\n", "t.yaml"), Catch::Contains("must be >= 0"));
}
