#include <catch2/catch.hpp>

#include "zcnas/common/text_hash.hpp"

using zcnas::normalize_whitespace;
using zcnas::normalized_hash;

TEST_CASE("whitespace normalization equates layout-only differences", "[common][dedup]") {
  CHECK(normalize_whitespace("[1, 2]") == "[1,2]");
  CHECK(normalized_hash("[1, 2]") == normalized_hash("[1,2]"));
  CHECK(normalize_whitespace("  |nor_conv_3x3~0|+| none~0 |  ") == "|nor_conv_3x3~0|+|none~0|");
  CHECK(normalize_whitespace("a \t\n b") == "a b");
  CHECK(normalize_whitespace("{\"k\" : 1 }") == "{\"k\":1}");
  CHECK(normalize_whitespace("") == "");
  CHECK(normalize_whitespace(" \n\t ") == "");
}

TEST_CASE("whitespace normalization never merges different candidates", "[common][dedup]") {
  CHECK(normalize_whitespace("12 3") == "12 3");
  CHECK(normalize_whitespace("1 23") == "1 23");
  CHECK(normalized_hash("12 3") != normalized_hash("1 23"));
  CHECK(normalized_hash("123") != normalized_hash("12 3"));
}

TEST_CASE("hash128 hex is 32 lowercase hex digits and stable", "[common]") {
  auto h = zcnas::hash128("abc");
  auto hex = h.hex();
  CHECK(hex.size() == 32);
  CHECK(hex.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(zcnas::hash128("abc") == h);
  CHECK(zcnas::hash128("abd") != h);
}
