#include <catch2/catch.hpp>

#include "zcnas/common/csv.hpp"
#include "zcnas/common/error.hpp"

using zcnas::CsvTable;

TEST_CASE("CSV with quoted fields and escaped quotes", "[common][csv]") {
  auto t = CsvTable::parse("a,b,c\n1,\"x,\"\"y\"\"\",3\r\n4,,6\n", "mem.csv");
  REQUIRE(t.rows() == 2);
  CHECK(t.row(0)[1] == "x,\"y\"");
  CHECK(t.row(1)[1].empty());
  CHECK(t.number(1, 2) == 6.0);
  CHECK(t.line_of(1) == 3);
}

TEST_CASE("CSV errors name the source and line", "[common][csv]") {
  CHECK_THROWS_WITH(CsvTable::parse("a,b\n1,2\n3\n", "bad.csv"), Catch::Contains("bad.csv line 3"));
  CHECK_THROWS_WITH(CsvTable::parse("a,b\n1,\"2\n", "trunc.csv"), Catch::Contains("unterminated"));
  CHECK_THROWS_WITH(CsvTable::parse("", "empty.csv"), Catch::Contains("empty"));
  auto t = CsvTable::parse("a\nfoo\n", "n.csv");
  CHECK_THROWS_WITH(t.number(0, 0), Catch::Contains("n.csv line 2 column 'a'") && Catch::Contains("not a number"));
  CHECK_THROWS_WITH(t.column("zz"), Catch::Contains("missing column 'zz'"));
  CHECK_THROWS_AS(CsvTable::read_file("/nonexistent/x.csv"), zcnas::Error);
}
