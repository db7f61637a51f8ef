// bench merge: scores and feature records of another database file join this one with provenance unchanged.
#include <catch2/catch.hpp>

#include <cstdio>

#include "benchdb_test_util.hpp"
#include "zcnas/benchdb/merge.hpp"

using namespace zcnas::benchdb;
using testing::error_of;
using testing::TempDir;

namespace {
ScoreRow row(const std::string& key, const std::string& proxy, double v, const std::string& source = "zcnas",
             std::uint64_t seed = 0) {
  ScoreRow r;
  r.space = "nb201";
  r.arch_key = key;
  r.dataset = "cifar10";
  r.prov.source = source;
  r.prov.proxy = proxy;
  r.prov.settings = R"({"b":1})";
  r.prov.seed = seed;
  r.prov.batch_size = 32;
  r.prov.device = "cuda";
  r.value = v;
  r.seconds = 0.5;
  return r;
}
FeatureRow feature(const std::string& key, const std::string& dataset, const std::string& data, std::uint64_t seed = 0) {
  FeatureRow r;
  r.space = "nb201";
  r.arch_key = key;
  r.dataset = dataset;
  r.prov.kind = "node_stats";
  r.prov.settings = "{}";
  r.prov.seed = seed;
  r.prov.batch_size = 32;
  r.prov.device = "cuda";
  r.data = data;
  r.seconds = 0.25;
  return r;
}
}  // namespace

TEST_CASE("merge_cache copies computed scores with their provenance", "[benchdb][merge]") {
  TempDir dir("merge");
  const auto a_path = (dir.path / "a.db").string(), b_path = (dir.path / "b.db").string();
  {
    auto b = Database::open(b_path);
    const auto run = b.begin_run("score", "test");
    auto r1 = row("000000", "synflow", 1.5), r2 = row("432323", "synflow", -2.25), r3 = row("432323", "params", 7.0);
    r1.run_id = run;
    auto imported = row("432323", "synflow", 9.0, "naslib");
    auto other_seed = row("432323", "synflow", 3.0, "zcnas", 7);
    b.put_scores({r1, r2, r3, imported, other_seed});
  }
  auto a = Database::open(a_path);
  a.put_scores({row("432323", "synflow", 100.0)});  // a stale value for the same provenance

  const auto rep = merge_cache(a, b_path);
  CHECK(rep.rows_read == 4);  // the naslib row is not a computed score
  CHECK(rep.rows_changed == 4);
  CHECK(rep.series.at("nb201/cifar10/zcnas:synflow") == 3);

  auto p = row("000000", "synflow", 0).prov;
  auto hit = a.find_score("nb201", "000000", "cifar10", p);
  REQUIRE(hit);
  CHECK(*hit->value == 1.5);
  CHECK(hit->seconds == 0.5);
  CHECK(hit->prov == p);
  CHECK_FALSE(hit->run_id);  // run ids are local to a file
  CHECK(*a.find_score("nb201", "432323", "cifar10", p)->value == -2.25);  // merged value wins
  p.seed = 7;
  CHECK(*a.find_score("nb201", "432323", "cifar10", p)->value == 3.0);
  p.source = "naslib";
  p.seed = 0;
  CHECK_FALSE(a.find_score("nb201", "432323", "cifar10", p));

  SECTION("a second merge changes nothing") { CHECK(merge_cache(a, b_path).rows_changed == 0); }
  SECTION("source filter: empty merges every source") {
    const auto all = merge_cache(a, b_path, "");
    CHECK(all.rows_read == 5);
    CHECK(all.rows_changed == 1);
    CHECK(*a.find_score("nb201", "432323", "cifar10", p)->value == 9.0);
  }
}

TEST_CASE("merge_cache refuses bad inputs with a clear error", "[benchdb][merge]") {
  TempDir dir("merge_err");
  const auto a_path = (dir.path / "a.db").string();
  auto a = Database::open(a_path);
  CHECK_THAT(error_of([&] { merge_cache(a, a_path); }), Catch::Contains("is the target database itself"));
  CHECK_THAT(error_of([&] { merge_cache(a, (dir.path / "missing.db").string()); }), Catch::Contains("missing.db"));
  const auto junk = (dir.path / "junk.db").string();
  { std::FILE* f = std::fopen(junk.c_str(), "w"); std::fputs("this is not a database, just text\n", f); std::fclose(f); }
  CHECK_THAT(error_of([&] { merge_cache(a, junk); }), Catch::Contains("junk.db"));
  CHECK(a.arch_count() == 0);
}

TEST_CASE("merge_cache copies feature records of every provenance", "[benchdb][merge]") {
  TempDir dir("merge_feat");
  const auto a_path = (dir.path / "a.db").string(), b_path = (dir.path / "b.db").string();
  {
    auto b = Database::open(b_path);
    b.put_features({feature("000000", "cifar10", R"({"v":[1]})"), feature("432323", "cifar10", R"({"v":[2]})"),
                    feature("432323", "cifar100", R"({"v":[3]})"), feature("432323", "cifar10", R"({"v":[4]})", 5)});
    const auto sets = b.stored_features("nb201");
    REQUIRE(sets.size() == 3);  // (cifar10, seed 0), (cifar10, seed 5), (cifar100, seed 0)
    CHECK(sets[0].dataset == "cifar10");
    CHECK(sets[0].rows + sets[1].rows == 3);
    CHECK(b.stored_features("nb101").empty());
  }
  auto a = Database::open(a_path);
  a.put_features({feature("432323", "cifar10", R"({"v":[-1]})")});  // stale record, same provenance
  const auto rep = merge_cache(a, b_path);
  CHECK(rep.rows_read == 0);
  CHECK(rep.feature_rows_read == 4);
  CHECK(rep.feature_rows_changed == 4);
  CHECK(rep.feature_series.at("nb201/cifar10/features:node_stats") == 3);
  const auto p = feature("x", "cifar10", "{}").prov;
  const auto hit = a.find_features("nb201", "432323", "cifar10", p);
  REQUIRE(hit);
  CHECK(hit->data == R"({"v":[2]})");  // the merged record wins
  CHECK(hit->seconds == 0.25);
  CHECK_FALSE(hit->run_id);
  CHECK(a.features("nb201", "cifar10", p).size() == 2);
  CHECK(merge_cache(a, b_path).feature_rows_changed == 0);  // idempotent
}
