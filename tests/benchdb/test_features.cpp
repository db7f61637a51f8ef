// The feature cache (schema v2): migration from v1, provenance-exact lookups,
// bulk reads for training sets, bad input.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>

#include "benchdb/benchdb_test_util.hpp"
#include "zcnas/benchdb/database.hpp"
#include "zcnas/common/error.hpp"

using namespace zcnas::benchdb;
using zcnas::benchdb::testing::TempDir;

namespace {
FeatureRow frow(const std::string& key, const std::string& data, std::uint64_t seed = 0) {
  FeatureRow r;
  r.space = "nb201";
  r.arch_key = key;
  r.dataset = "cifar10";
  r.prov.kind = "node_stats";
  r.prov.settings = R"({"fisher": false})";
  r.prov.seed = seed;
  r.prov.batch_size = 32;
  r.data = data;
  r.seconds = 1.5;
  return r;
}
}  // namespace

TEST_CASE("features: a v1 database migrates to v2 and keeps its rows", "[benchdb][features]") {
  TempDir t;
  const auto path = (t.path / "old.db").string();
  {
    auto db = Database::open(path);
    ScoreRow s;
    s.space = "nb201", s.arch_key = "000000", s.dataset = "cifar10", s.prov.proxy = "snip", s.value = 1.0;
    db.put_scores({s});
  }
  {  // make it a v1 file: no features table
    SQLite::Database raw(path, SQLite::OPEN_READWRITE);
    raw.exec("DROP TABLE features; PRAGMA user_version = 1");
  }
  auto db = Database::open(path);
  CHECK(db.schema_version() == 2);
  CHECK(db.scores("nb201", "cifar10", "zcnas", "snip").size() == 1);
  CHECK(db.put_features({frow("000000", R"({"numel":[1]})")}) == 1);
}

TEST_CASE("features: cache hits need the full provenance; bulk read; upsert", "[benchdb][features]") {
  TempDir t;
  auto db = Database::open((t.path / "f.db").string());
  CHECK(db.put_features({frow("111111", R"({"numel":[3,4]})"), frow("222222", R"({"numel":[5]})"),
                         frow("111111", R"({"numel":[9]})", 7)}) == 3);
  auto p = frow("", "").prov;
  p.settings = R"({ "fisher":false })";  // normalised before comparing
  const auto hit = db.find_features("nb201", "111111", "cifar10", p);
  REQUIRE(hit);
  CHECK(hit->data == R"({"numel":[3,4]})");
  CHECK(hit->seconds == 1.5);
  auto other = p;
  other.device = "cuda:0";
  CHECK_FALSE(db.find_features("nb201", "111111", "cifar10", other));
  other = p;
  other.version = 2;
  CHECK_FALSE(db.find_features("nb201", "111111", "cifar10", other));
  CHECK_FALSE(db.find_features("nb201", "111111", "cifar100", p));
  const auto all = db.features("nb201", "cifar10", p);
  REQUIRE(all.size() == 2);
  CHECK(all[0].arch_key == "111111");
  CHECK(all[1].arch_key == "222222");
  // Same row again: nothing changes; new data: updated in place.
  CHECK(db.put_features({frow("222222", R"({"numel":[5]})")}) == 0);
  CHECK(db.put_features({frow("222222", R"({"numel":[6]})")}) == 1);
  CHECK(db.features("nb201", "cifar10", p).size() == 2);
}

TEST_CASE("features: bad rows are errors naming the row", "[benchdb][features]") {
  TempDir t;
  auto db = Database::open((t.path / "f.db").string());
  CHECK_THROWS_AS(db.put_features({frow("111111", "{not json")}), zcnas::Error);
  auto r = frow("111111", "{}");
  r.prov.kind = "";
  CHECK_THROWS_AS(db.put_features({r}), zcnas::Error);
  CHECK(db.features("nb201", "cifar10", frow("", "").prov).empty());  // the failed transaction stored nothing
}
