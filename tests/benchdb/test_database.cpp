// Database: schema, migrations, score cache semantics, errors.
#include <SQLiteCpp/SQLiteCpp.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <limits>

#include "zcnas/benchdb/database.hpp"
#include "benchdb/benchdb_test_util.hpp"
#include "zcnas/common/error.hpp"

namespace fs = std::filesystem;
using namespace zcnas::benchdb;

namespace {
using testing::TempDir;
using testing::error_of;

ScoreRow row(const std::string& key, double v, std::uint64_t seed = 0) {
  ScoreRow r;
  r.space = "nb201";
  r.arch_key = key;
  r.dataset = "cifar10";
  r.prov.proxy = "synflow";
  r.prov.seed = seed;
  r.prov.batch_size = 64;
  r.value = v;
  r.seconds = 0.5;
  return r;
}

}  // namespace

TEST_CASE("open creates parent folders, WAL, foreign keys, current schema", "[benchdb]") {
  TempDir t;
  const auto path = (t.path / "a" / "b" / "z.db").string();
  auto db = Database::open(path);
  CHECK(fs::exists(path));
  CHECK(db.schema_version() == Database::kSchemaVersion);
  SQLite::Database raw(path, SQLite::OPEN_READONLY);
  CHECK(raw.execAndGet("PRAGMA journal_mode").getString() == "wal");
  CHECK(raw.tableExists("archs"));
  CHECK(raw.tableExists("scores"));
  CHECK(raw.tableExists("truth"));
  CHECK(raw.tableExists("runs"));
}

TEST_CASE("arch ids are stable and created on demand", "[benchdb]") {
  TempDir t;
  auto db = Database::open((t.path / "z.db").string());
  CHECK(db.arch_id("nb201", "012345") == 0);
  const auto id = db.arch_id("nb201", "012345", true);
  CHECK(id > 0);
  CHECK(db.arch_id("nb201", "012345") == id);
  CHECK(db.arch_id("tnb101_micro", "012345", true) != id);
  db.set_arch_forms("nb201", "012345", {"|x~0|", "h1"});
  auto a = db.arch("nb201", "012345");
  REQUIRE(a);
  CHECK(a->canonical == "|x~0|");
  CHECK(db.arch_by_canonical("nb201", "|x~0|")->key == "012345");
  const auto n = db.fill_canonical("nb201", [](const std::string& k) -> std::optional<ArchForms> {
    return ArchForms{"c" + k, "h" + k};
  });
  CHECK(n == 1);
  CHECK(db.fill_canonical("nb201", [](const std::string& k) -> std::optional<ArchForms> {
    return ArchForms{"c" + k, "h" + k};
  }) == 0);  // nothing changed the second time
  CHECK(db.arch("nb201", "012345")->struct_hash == "h012345");
}

TEST_CASE("score cache: hit only when every provenance field matches", "[benchdb]") {
  TempDir t;
  auto db = Database::open((t.path / "z.db").string());
  auto r = row("000001", 1.5, 7);
  r.prov.settings = R"({"b": 2, "a": 1})";
  CHECK(db.put_scores({r}) == 1);
  CHECK(db.put_scores({r}) == 0);  // identical upsert changes nothing

  Provenance p = r.prov;
  p.settings = R"({ "a":1,"b":2 })";  // same JSON, other order/spacing
  auto hit = db.find_score("nb201", "000001", "cifar10", p);
  REQUIRE(hit);
  CHECK(*hit->value == 1.5);
  CHECK(hit->seconds == 0.5);
  CHECK(hit->prov.seed == 7);

  auto miss = [&](auto mutate) {
    Provenance q = r.prov;
    mutate(q);
    return !db.find_score("nb201", "000001", "cifar10", q).has_value();
  };
  CHECK(miss([](Provenance& q) { q.seed = 8; }));
  CHECK(miss([](Provenance& q) { q.batch_size = 32; }));
  CHECK(miss([](Provenance& q) { q.device = "cuda"; }));
  CHECK(miss([](Provenance& q) { q.proxy_version = 2; }));
  CHECK(miss([](Provenance& q) { q.source = "naslib"; }));
  CHECK(miss([](Provenance& q) { q.settings = R"({"a":1})"; }));
  CHECK(!db.find_score("nb201", "000001", "cifar100", r.prov));

  // Upsert replaces the value for the same provenance.
  r.value = 2.5;
  CHECK(db.put_scores({r}) == 1);
  CHECK(*db.find_score("nb201", "000001", "cifar10", r.prov)->value == 2.5);
  CHECK(db.scores("nb201", "cifar10", "zcnas", "synflow").size() == 1);
}

TEST_CASE("non-finite scores are stored as absent with a status; huge seeds round-trip", "[benchdb]") {
  TempDir t;
  auto db = Database::open((t.path / "z.db").string());
  auto a = row("000001", std::numeric_limits<double>::quiet_NaN());
  auto b = row("000002", -std::numeric_limits<double>::infinity());
  auto c = row("000003", 3.0, std::numeric_limits<std::uint64_t>::max());
  db.put_scores({a, b, c});
  auto ha = db.find_score("nb201", "000001", "cifar10", a.prov);
  REQUIRE(ha);
  CHECK(!ha->value);
  CHECK(ha->status == "nan");
  CHECK(db.find_score("nb201", "000002", "cifar10", b.prov)->status == "inf");
  auto hc = db.find_score("nb201", "000003", "cifar10", c.prov);
  REQUIRE(hc);
  CHECK(hc->prov.seed == std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("put_scores is one transaction: a bad row leaves nothing behind", "[benchdb]") {
  TempDir t;
  auto db = Database::open((t.path / "z.db").string());
  auto good = row("000001", 1.0);
  auto bad = row("000002", 1.0);
  bad.prov.settings = "{not json";
  CHECK_THROWS_AS(db.put_scores({good, bad}), zcnas::Error);
  CHECK(!db.find_score("nb201", "000001", "cifar10", good.prov));
  CHECK(db.arch_count() == 0);
  // The connection stays usable and the arch-id cache was reset.
  CHECK(db.put_scores({good}) == 1);
  CHECK(db.arch_count() == 1);
}

TEST_CASE("ground truth and listings", "[benchdb]") {
  TempDir t;
  auto db = Database::open((t.path / "z.db").string());
  TruthRow tr{"nb201", "000001", "cifar10", "val_acc", "bench", 90.0, true, "ok"};
  TruthRow missing{"nb201", "000002", "cifar10", "val_acc", "bench", std::nullopt, true, "ok"};
  CHECK(db.put_truth({tr, missing}) == 2);
  CHECK(db.put_truth({tr, missing}) == 0);
  auto rows = db.truth("nb201", "cifar10");
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].status == "missing");
  auto series = db.truth_series("nb201");
  REQUIRE(series.size() == 1);
  CHECK(series[0].rows == 2);
  db.put_scores({row("000001", 1.0)});
  auto proxies = db.stored_proxies("nb201", "cifar10");
  REQUIRE(proxies.size() == 1);
  CHECK(proxies[0].source == "zcnas");
  CHECK(db.datasets("nb201") == std::vector<std::string>{"cifar10"});
  CHECK(db.arch_truth("nb201", "000001").size() == 1);
  CHECK(db.arch_scores("nb201", "000001").size() == 1);
}

TEST_CASE("run records", "[benchdb]") {
  TempDir t;
  auto db = Database::open((t.path / "z.db").string());
  const auto id = db.begin_run("search", "zcnas search x", R"({"k": 1})");
  auto r = row("000001", 1.0);
  r.run_id = id;
  db.put_scores({r});
  db.finish_run(id, "ok", R"({"best": "000001"})");
  auto runs = db.runs("search");
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].status == "ok");
  CHECK(!runs[0].finished_at.empty());
  CHECK(runs[0].summary == R"({"best":"000001"})");
  CHECK(db.find_score("nb201", "000001", "cifar10", r.prov)->run_id == id);
  CHECK_THROWS_AS(db.finish_run(id + 100, "ok"), zcnas::Error);
}

TEST_CASE("newer schema, read-only, locked and non-database files are clear errors", "[benchdb]") {
  TempDir t;
  const auto path = (t.path / "z.db").string();
  { auto db = Database::open(path); }

  SECTION("newer schema") {
    { SQLite::Database raw(path, SQLite::OPEN_READWRITE); raw.exec("PRAGMA user_version = 99"); }
    const auto msg = error_of([&] { Database::open(path); });
    CHECK_THAT(msg, Catch::Contains("schema version 99 is newer"));
    CHECK_THAT(msg, Catch::Contains(path));
    CHECK_THAT(error_of([&] { Database::open(path, OpenMode::ReadOnly); }), Catch::Contains("newer"));
  }
  SECTION("read-only file") {
    fs::permissions(path, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    CHECK_THAT(error_of([&] { Database::open(path); }), Catch::Contains("read-only"));
    auto ro = Database::open(path, OpenMode::ReadOnly);  // reading still works
    CHECK(ro.schema_version() == Database::kSchemaVersion);
    CHECK_THAT(error_of([&] { ro.put_scores({row("000001", 1)}); }), Catch::Contains("read-only"));
    fs::permissions(path, fs::perms::owner_all);
  }
  SECTION("locked by another connection") {
    ::setenv("ZCNAS_BUSY_TIMEOUT_MS", "100", 1);
    SQLite::Database other(path, SQLite::OPEN_READWRITE);
    other.exec("BEGIN EXCLUSIVE");
    auto db = Database::open(path);
    CHECK_THAT(error_of([&] { db.put_scores({row("000001", 1)}); }), Catch::Contains("locked"));
    other.exec("ROLLBACK");
    CHECK(db.put_scores({row("000001", 1)}) == 1);
    ::unsetenv("ZCNAS_BUSY_TIMEOUT_MS");
  }
  SECTION("not a database") {
    const auto junk = (t.path / "junk.db").string();
    { std::ofstream(junk) << std::string(4096, 'x'); }
    CHECK_THAT(error_of([&] { Database::open(junk); }), Catch::Contains("not a zcnas database"));
  }
  SECTION("read-only mode needs an existing file") {
    CHECK_THAT(error_of([&] { Database::open((t.path / "none.db").string(), OpenMode::ReadOnly); }),
               Catch::Contains("no such file"));
  }
}
