#pragma once
// Shared by test_gpt / test_flexibert / test_autoformer: the edit-move contract of a space.
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "zcnas/spaces/space.hpp"

namespace zcnas::spaces::testing {

// `n` seeded samples: the same seed gives the same archs, every sample and mutation is canonical
// (so valid), a mutation differs from its parent and is seeded too, every neighbour is canonical
// and distinct. Samples and mutations draw from separate generators, so the two sample streams
// stay in step. Returns the number of distinct samples.
inline std::size_t check_edit_moves(const Space& s, std::uint64_t seed, int n) {
  Rng a(seed), b(seed), ma(seed + 1), mb(seed + 1);
  std::set<std::string> seen;
  for (int i = 0; i < n; ++i) {
    const auto x = s.sample(a);
    REQUIRE(x == s.sample(b));
    REQUIRE(s.canonical(x) == x);
    seen.insert(x);
    const auto m = s.mutate(x, ma);
    REQUIRE(m == s.mutate(x, mb));
    REQUIRE(s.canonical(m) == m);
    REQUIRE(m != x);
    const auto nb = s.neighbours(x);
    REQUIRE(std::set<std::string>(nb.begin(), nb.end()).size() == nb.size());
    for (const auto& y : nb) REQUIRE(s.canonical(y) == y);
  }
  return seen.size();
}

}  // namespace zcnas::spaces::testing
