// Import of the shipped benchmark data: quirks counted, idempotent, atomic on errors.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>

#include "zcnas/benchdb/encoding.hpp"
#include "zcnas/benchdb/import.hpp"
#include "benchdb/benchdb_test_util.hpp"
#include "zcnas/common/error.hpp"

namespace fs = std::filesystem;
using namespace zcnas::benchdb;

namespace {
using testing::TempDir;
using testing::error_of;

// A writable copy of the shipped data that a test may damage.
fs::path copy_benchdata(const fs::path& to) {
  const fs::path dst = to / "benchdata";
  fs::create_directories(dst / "naslib_zc");
  for (const auto& f : benchdata_files()) {
    fs::copy_file(fs::path(ZCNAS_BENCHDATA_DIR) / f, dst / f);
    fs::permissions(dst / f, fs::perms::owner_read | fs::perms::owner_write);
  }
  return dst;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
void spit(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary | std::ios::trunc) << text; }

// Content fingerprint of a database: row counts and value sums per table.
std::string fingerprint(const std::string& db_path) {
  SQLite::Database raw(db_path, SQLite::OPEN_READONLY);
  std::ostringstream s;
  s << raw.execAndGet("SELECT count(*) FROM archs").getInt64() << "/"
    << raw.execAndGet("SELECT count(*) || ':' || total(value) FROM scores").getString() << "/"
    << raw.execAndGet("SELECT count(*) || ':' || total(value) FROM truth").getString() << "/"
    << raw.execAndGet("SELECT count(*) FROM archs WHERE encoding IS NOT NULL").getInt64();
  return s.str();
}

std::int64_t quirk(const ImportReport& r, const std::string& needle) {
  std::int64_t n = 0;
  for (const auto& [k, v] : r.quirks)
    if (k.find(needle) != std::string::npos) n += v;
  return n;
}

}  // namespace

TEST_CASE("sanitize_json_literals replaces bare literals outside strings only", "[import]") {
  std::map<std::string, std::int64_t> counts;
  const auto out = sanitize_json_literals(R"({"a": -Infinity, "NaN": "x -Infinity", "b": [NaN, Infinity]})", counts);
  auto j = nlohmann::json::parse(out);
  CHECK(j["a"].is_null());
  CHECK(j["NaN"] == "x -Infinity");
  CHECK(j["b"][0].is_null());
  CHECK(j["b"][1].is_null());
  CHECK(counts.size() == 3);
}

TEST_CASE("encodings: tuple keys and transformer JSON", "[import]") {
  CHECK(digits_from_tuple("(4, 3, 3, 3, 2, 3)", 6, 4, "t") == "433323");
  CHECK_THROWS_AS(digits_from_tuple("(4, 3, 3)", 6, 4, "t"), zcnas::Error);
  CHECK_THROWS_AS(digits_from_tuple("(5, 3, 3, 3, 2, 3)", 6, 4, "t"), zcnas::Error);
  // CSV text form and JSON array form of the same GPT arch normalise to the same text.
  const auto a = transformer_encoding(
      "gpt", R"({"n_layer":"2","d_model":"128","d_embed":"256","div_val":"4","d_inner":"10 20","n_head":"2 4"})", "t");
  const auto b = transformer_encoding(
      "gpt", R"({"n_head":[2,4],"d_inner":[10,20],"div_val":4,"d_embed":256,"d_model":128,"n_layer":2})", "t");
  CHECK(a == b);
  CHECK_THAT(error_of([] { transformer_encoding("autoformer", R"({"depth":12})", "arg"); }),
             Catch::Contains("missing field"));
}

TEST_CASE("full import: every file, quirks counted, idempotent", "[import]") {
  TempDir t("full");
  const auto path = (t.path / "z.db").string();
  auto db = Database::open(path);
  std::size_t progress_calls = 0;
  const auto r = import_benchdata(db, ZCNAS_BENCHDATA_DIR, [&](const std::string&, std::size_t, std::size_t) { ++progress_calls; });
  CHECK(progress_calls == benchdata_files().size() + 1);
  CHECK(r.files.size() == benchdata_files().size());
  CHECK(r.changed > 0);
  // Documented in benchdata/README.md.
  CHECK(db.arch_count("nb201") == 15625);
  CHECK(db.arch_count("tnb101_micro") == 4096);
  CHECK(db.arch_count("nb101") == 500);
  // Independent counts from the raw text (benchdata/README.md says "one" -Infinity and
  // 4,731 TNB epe_nas sentinels; the files hold 3 -Infinity literals and 4,731 sentinels
  // split over epe_nas and jacov).
  std::int64_t literal = 0, sentinels = 0;
  for (const char* f : {"naslib_zc/zc_nasbench201.json", "naslib_zc/zc_nasbench101.json", "naslib_zc/zc_transbench101_micro.json"}) {
    const auto text = slurp(fs::path(ZCNAS_BENCHDATA_DIR) / f);
    for (auto p = text.find("-Infinity"); p != std::string::npos; p = text.find("-Infinity", p + 1)) ++literal;
    for (auto p = text.find(": -100000000.0"); p != std::string::npos; p = text.find(": -100000000.0", p + 1)) ++sentinels;
  }
  for (const char* f : {"nasbench201.csv", "transnas101_micro.csv"}) {  // CSV spelling of the sentinel (Zen columns)
    const auto text = slurp(fs::path(ZCNAS_BENCHDATA_DIR) / f);
    for (auto p = text.find(",-1e+08"); p != std::string::npos; p = text.find(",-1e+08", p + 1)) ++sentinels;
  }
  CHECK(literal >= 1);
  CHECK(sentinels >= 4731);
  CHECK(quirk(r, "-Infinity") == literal);
  CHECK(quirk(r, "sentinel") == sentinels);
  CHECK(quirk(r, "missing value") >= 1);
  CHECK(quirk(r, "not pruned") == 499);
  CHECK(quirk(r, "both CSV and Suite-Zero") > 0);
  CHECK(quirk(r, "proxy nwot absent") == 500);
  CHECK(quirk(r, "proxy synflow absent") > 0);

  // The -Infinity value and the missing synflow are stored as rows without a value.
  SQLite::Database raw(path, SQLite::OPEN_READONLY);
  CHECK(raw.execAndGet("SELECT count(*) FROM scores WHERE status = 'inf'").getInt() == literal);
  CHECK(raw.execAndGet("SELECT count(*) FROM scores WHERE status = 'sentinel'").getInt() == sentinels);
  CHECK(raw.execAndGet("SELECT count(*) FROM scores s JOIN archs a ON a.id = s.arch_id WHERE a.space = 'nb201' AND "
                       "s.proxy = 'synflow' AND s.dataset = 'cifar10' AND s.status = 'missing'").getInt() == 1);
  // NASLib stored seconds come along; the NB201 table was computed with batch 32.
  CHECK(raw.execAndGet("SELECT min(seconds) > 0 FROM scores WHERE source = 'naslib' AND proxy = 'snip' AND "
                       "batch_size = 32").getInt() == 1);
  // Two TNB sources are kept apart.
  CHECK(db.truth("tnb101_micro", "jigsaw", "val", "bench").size() == 4096);
  CHECK(!db.truth("tnb101_micro", "jigsaw", "val_accuracy", "naslib").empty());
  // Encodings are stored: NB201 arch_str finds its op-index key.
  CHECK(db.arch_by_encoding("nb201", "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|")->key == "000000");

  const auto before = fingerprint(path);
  const auto again = import_benchdata(db, ZCNAS_BENCHDATA_DIR);
  CHECK(again.changed == 0);
  CHECK(fingerprint(path) == before);
}

TEST_CASE("bad benchmark data: one-line error naming the file, database unchanged", "[import]") {
  TempDir t("bad");
  const auto path = (t.path / "z.db").string();
  auto db = Database::open(path);
  // Start from a populated database: a failed re-import must not touch it.
  import_benchdata(db, ZCNAS_BENCHDATA_DIR);
  const auto before = fingerprint(path);
  const fs::path data = copy_benchdata(t.path);

  SECTION("missing folder") {
    const auto msg = error_of([&] { import_benchdata(db, (t.path / "nowhere").string()); });
    CHECK_THAT(msg, Catch::Contains("nowhere") && Catch::Contains("no such folder"));
  }
  SECTION("missing file") {
    fs::remove(data / "gpt2_wt103.csv");
    CHECK_THAT(error_of([&] { import_benchdata(db, data.string()); }), Catch::Contains("gpt2_wt103.csv"));
  }
  SECTION("truncated CSV (last row cut mid-way)") {
    const auto text = slurp(data / "nasbench201.csv");
    spit(data / "nasbench201.csv", text.substr(0, text.size() / 2));
    const auto msg = error_of([&] { import_benchdata(db, data.string()); });
    CHECK_THAT(msg, Catch::Contains("nasbench201.csv") && Catch::Contains("line"));
  }
  SECTION("a CSV cell that is not a number and not a documented quirk") {
    auto text = slurp(data / "transnas101_micro.csv");
    const auto pos = text.find("\n000010,");
    REQUIRE(pos != std::string::npos);
    const auto comma = text.find(',', text.find(',', pos + 1) + 1);  // third column of that row
    text[comma + 1] = 'x';  // "7.48408" -> "x.48408"
    spit(data / "transnas101_micro.csv", text);
    const auto msg = error_of([&] { import_benchdata(db, data.string()); });
    CHECK_THAT(msg, Catch::Contains("transnas101_micro.csv line") && Catch::Contains("not a number"));
  }
  SECTION("a bad op index in a CSV key") {
    auto text = slurp(data / "nasbench201.csv");
    text.replace(text.find("\n000001,") + 1, 6, "000009");
    spit(data / "nasbench201.csv", text);
    CHECK_THAT(error_of([&] { import_benchdata(db, data.string()); }),
               Catch::Contains("nasbench201.csv line 3") && Catch::Contains("000009"));
  }
  SECTION("truncated JSON") {
    const auto text = slurp(data / "naslib_zc/zc_nasbench201.json");
    spit(data / "naslib_zc/zc_nasbench201.json", text.substr(0, text.size() - 1000));
    const auto msg = error_of([&] { import_benchdata(db, data.string()); });
    CHECK_THAT(msg, Catch::Contains("zc_nasbench201.json line") && Catch::Contains("malformed JSON"));
  }
  SECTION("JSON with a proxy value of the wrong type") {
    auto text = slurp(data / "naslib_zc/zc_nasbench101.json");
    const auto pos = text.find("\"snip\": ");
    REQUIRE(pos != std::string::npos);
    text.insert(pos + 8, "\"oops\", \"snip2\": ");
    spit(data / "naslib_zc/zc_nasbench101.json", text);
    const auto msg = error_of([&] { import_benchdata(db, data.string()); });
    CHECK_THAT(msg, Catch::Contains("zc_nasbench101.json") && Catch::Contains("snip") && Catch::Contains("expected a number"));
  }
  CHECK(fingerprint(path) == before);
}
