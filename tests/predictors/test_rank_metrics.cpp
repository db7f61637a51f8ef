// Rank metrics: hand-computed cases and O(n^2) references on random data with ties.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "zcnas/common/error.hpp"
#include "zcnas/predictors/rank_metrics.hpp"

using namespace zcnas::predictors;

namespace {
// Textbook O(n^2) tau-b: concordant minus discordant over sqrt((n0-n1)(n0-n2)).
double kendall_reference(const std::vector<double>& x, const std::vector<double>& y) {
  double conc = 0, disc = 0, tx = 0, ty = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t j = i + 1; j < x.size(); ++j) {
      const double dx = x[i] - x[j], dy = y[i] - y[j];
      if (dx == 0 && dy == 0) continue;
      if (dx == 0) { tx += 1; continue; }
      if (dy == 0) { ty += 1; continue; }
      (dx * dy > 0 ? conc : disc) += 1;
    }
  return (conc - disc) / std::sqrt((conc + disc + tx) * (conc + disc + ty));
}
// O(n^2) average ranks: rank = 1 + #smaller + (#equal - 1) / 2.
std::vector<double> ranks_reference(const std::vector<double>& v) {
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    double less = 0, eq = 0;
    for (double w : v) less += w < v[i], eq += w == v[i];
    r[i] = 1 + less + (eq - 1) / 2;
  }
  return r;
}
double pearson_reference(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    sx += x[i], sy += y[i], sxx += x[i] * x[i], syy += y[i] * y[i], sxy += x[i] * y[i];
  return (n * sxy - sx * sy) / std::sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
}
}  // namespace

TEST_CASE("hand-computed rank metrics", "[rank]") {
  // x = 1..5, y = 1 3 2 5 4: pairs 10, discordant (3,2) and (5,4) -> tau = (8-2)/10.
  std::vector<double> x{1, 2, 3, 4, 5}, y{1, 3, 2, 5, 4};
  CHECK(kendall_tau_b(x, y) == Approx(0.6));
  // d = 0,1,1,1,1 -> rho = 1 - 6*4/(5*24) = 0.8
  CHECK(spearman_rho(x, y) == Approx(0.8));
  CHECK(pearson_r(x, y) == Approx(0.8));
  CHECK(kendall_tau_b(x, std::vector<double>{5, 4, 3, 2, 1}) == Approx(-1.0));

  // Ties: x = 1 1 2 3, y = 1 2 2 3. n0 = 6, x-ties n1 = 1, y-ties n2 = 1.
  // Pairs: (1,2): x tie; (1,3) C; (1,4) C; (2,3): y tie; (2,4) C; (3,4) C -> C=4, D=0.
  // tau_b = 4 / sqrt(5*5) = 0.8
  std::vector<double> tx{1, 1, 2, 3}, ty{1, 2, 2, 3};
  CHECK(kendall_tau_b(tx, ty) == Approx(0.8));
  CHECK(average_ranks(tx) == std::vector<double>{1.5, 1.5, 3, 4});

  // Constant input: undefined.
  CHECK(std::isnan(kendall_tau_b(std::vector<double>{1, 1, 1}, std::vector<double>{1, 2, 3})));
  CHECK(std::isnan(pearson_r(std::vector<double>{1, 1, 1}, std::vector<double>{1, 2, 3})));
  CHECK(std::isnan(kendall_tau_b(std::vector<double>{1}, std::vector<double>{2})));
}

TEST_CASE("top-k precision", "[rank]") {
  // 20 archs; truth = index; proxy equals truth except the two best swapped with the two worst.
  std::vector<double> truth(20), proxy(20);
  for (int i = 0; i < 20; ++i) truth[i] = proxy[i] = i;
  std::swap(proxy[19], proxy[0]);
  std::swap(proxy[18], proxy[1]);
  // k=10%: m = 2; proxy's top 2 are indices 0 and 1 (truth 0, 1) -> 0 hits.
  CHECK(top_k_precision(proxy, truth, 10) == Approx(0.0));
  // k=25%: m = 5; proxy's top 5: idx 0,1,17,16,15; truth top 5: 15..19 -> 3 of 5.
  CHECK(top_k_precision(proxy, truth, 25) == Approx(0.6));
  CHECK(top_k_precision(truth, truth, 5) == Approx(1.0));
  // m is at least one: k=1% of 20 archs -> the single best by proxy.
  CHECK(top_k_precision(truth, truth, 1) == Approx(1.0));
  // Ground-truth ties at the boundary count as hits.
  std::vector<double> tt{5, 5, 1, 0}, pp{0, 3, 2, 1};
  CHECK(top_k_precision(pp, tt, 25) == Approx(1.0));  // m=1: proxy picks idx 1 (truth 5 = boundary)
  CHECK_THROWS_AS(top_k_precision(pp, tt, 0), zcnas::Error);
}

TEST_CASE("rank metrics match O(n^2) references on random data with ties", "[rank]") {
  std::mt19937_64 rng(12345);
  for (int trial = 0; trial < 40; ++trial) {
    const std::size_t n = 2 + rng() % 300;
    const int levels = 2 + static_cast<int>(rng() % 12);  // few levels -> many ties in both
    std::uniform_int_distribution<int> lv(0, levels - 1);
    std::normal_distribution<double> noise(0, 1);
    std::vector<double> x(n), y(n);
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = lv(rng);
      y[i] = trial % 2 ? std::round(x[i] + 2 * noise(rng)) : lv(rng);
    }
    const double ref = kendall_reference(x, y);
    if (std::isnan(ref)) {
      CHECK(std::isnan(kendall_tau_b(x, y)));
      continue;
    }
    CHECK(kendall_tau_b(x, y) == Approx(ref).margin(1e-12));
    CHECK(average_ranks(x) == ranks_reference(x));
    CHECK(spearman_rho(x, y) == Approx(pearson_reference(ranks_reference(x), ranks_reference(y))).margin(1e-9));
    CHECK(pearson_r(x, y) == Approx(pearson_reference(x, y)).margin(1e-9));
  }
}

TEST_CASE("metrics reject unpaired or non-finite input", "[rank]") {
  std::vector<double> a{1, 2, 3}, b{1, 2};
  CHECK_THROWS_AS(kendall_tau_b(a, b), zcnas::Error);
  std::vector<double> c{1, NAN, 3};
  CHECK_THROWS_AS(spearman_rho(a, c), zcnas::Error);
}

TEST_CASE("bootstrap CI is seeded and brackets the estimate", "[rank]") {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> x(200), y(200);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = g(rng), y[i] = x[i] + g(rng);
  const auto a = bootstrap_ci(x, y, kendall_tau_b, 300, 42);
  const auto b = bootstrap_ci(x, y, kendall_tau_b, 300, 42);
  const auto c = bootstrap_ci(x, y, kendall_tau_b, 300, 43);
  CHECK(a.lo == b.lo);
  CHECK(a.hi == b.hi);
  CHECK((a.lo != c.lo || a.hi != c.hi));
  CHECK(a.lo < a.estimate);
  CHECK(a.estimate < a.hi);
  CHECK(a.resamples_used == 300);
  // With y = x + N(0,1) the population tau is 2/pi*asin(1/sqrt 2) = 0.5; the CI should cover it.
  CHECK(a.lo < 0.5);
  CHECK(a.hi > 0.5);
  CHECK(a.hi - a.lo < 0.25);
}
