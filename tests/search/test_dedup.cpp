#include <catch2/catch.hpp>

#include "zcnas/search/dedup.hpp"

using zcnas::search::Deduper;

TEST_CASE("Deduper skips layout-only duplicates and counts them", "[search][dedup]") {
  Deduper d;
  CHECK(d.insert("[1, 2]") == Deduper::Outcome::New);
  CHECK(d.insert("[1,2]") == Deduper::Outcome::Duplicate);
  CHECK(d.insert("  [1 ,\n 2 ]  ") == Deduper::Outcome::Duplicate);
  CHECK(d.insert("12 3") == Deduper::Outcome::New);
  CHECK(d.insert("1 23") == Deduper::Outcome::New);
  CHECK(d.unique() == 3);
  CHECK(d.duplicates() == 2);
  CHECK(d.contains("[1,2]"));
  CHECK_FALSE(d.contains("[1,3]"));
}

TEST_CASE("Deduper keeps NB201 arch strings apart", "[search][dedup]") {
  Deduper d;
  CHECK(d.insert("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|none~2|") == Deduper::Outcome::New);
  CHECK(d.insert("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|nor_conv_1x1~2|") == Deduper::Outcome::New);
  CHECK(d.insert("| nor_conv_3x3~0 | + | none~0 | skip_connect~1 | + | none~0 | none~1 | none~2 |") ==
        Deduper::Outcome::Duplicate);
}
