#include "zcnas/predictors/rank_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>

#include "zcnas/common/error.hpp"

namespace zcnas::predictors {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_pairs(std::span<const double> x, std::span<const double> y, const char* what) {
  if (x.size() != y.size())
    throw Error(what, "inputs differ in length (" + std::to_string(x.size()) + " vs " + std::to_string(y.size()) + ")",
                "pass paired samples");
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i]) || !std::isfinite(y[i]))
      throw Error(what, "input " + std::to_string(i) + " is not finite", "drop missing/failed values first");
}

// Number of pairs within runs of equal values of a sorted sequence: sum t(t-1)/2.
template <class Eq>
std::int64_t tied_pairs(std::size_t n, Eq eq) {
  std::int64_t ties = 0, run = 1;
  for (std::size_t i = 1; i <= n; ++i) {
    if (i < n && eq(i - 1, i)) {
      ++run;
    } else {
      ties += run * (run - 1) / 2;
      run = 1;
    }
  }
  return ties;
}
}  // namespace

std::vector<double> average_ranks(std::span<const double> v) {
  const std::size_t n = v.size();
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return v[a] < v[b]; });
  std::vector<double> r(n);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j + 1 < n && v[idx[j + 1]] == v[idx[i]]) ++j;
    const double avg = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (std::size_t k = i; k <= j; ++k) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

double kendall_tau_b(std::span<const double> x, std::span<const double> y) {
  check_pairs(x, y, "kendall_tau_b");
  const std::size_t n = x.size();
  if (n < 2) return kNaN;
  // Knight (1966): sort by (x, y); count x ties and joint ties; then merge-sort by y
  // counting the swaps (discordant pairs) and finally the y ties.
  std::vector<std::size_t> p(n);
  std::iota(p.begin(), p.end(), 0);
  std::sort(p.begin(), p.end(), [&](auto a, auto b) { return x[a] < x[b] || (x[a] == x[b] && y[a] < y[b]); });
  const std::int64_t n1 = tied_pairs(n, [&](auto i, auto j) { return x[p[i]] == x[p[j]]; });
  const std::int64_t n3 = tied_pairs(n, [&](auto i, auto j) { return x[p[i]] == x[p[j]] && y[p[i]] == y[p[j]]; });
  std::vector<double> a(n), buf(n);
  for (std::size_t i = 0; i < n; ++i) a[i] = y[p[i]];
  std::int64_t swaps = 0;
  for (std::size_t width = 1; width < n; width *= 2) {
    for (std::size_t lo = 0; lo < n; lo += 2 * width) {
      const std::size_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
      std::size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        if (a[j] < a[i]) {
          buf[k++] = a[j++];
          swaps += static_cast<std::int64_t>(mid - i);
        } else {
          buf[k++] = a[i++];
        }
      }
      while (i < mid) buf[k++] = a[i++];
      while (j < hi) buf[k++] = a[j++];
    }
    std::swap(a, buf);
  }
  const std::int64_t n2 = tied_pairs(n, [&](auto i, auto j) { return a[i] == a[j]; });
  const std::int64_t n0 = static_cast<std::int64_t>(n) * static_cast<std::int64_t>(n - 1) / 2;
  const double denom = std::sqrt(static_cast<double>(n0 - n1)) * std::sqrt(static_cast<double>(n0 - n2));
  if (denom == 0) return kNaN;
  const double num = static_cast<double>(n0 - n1 - n2 + n3) - 2.0 * static_cast<double>(swaps);
  return num / denom;
}

double pearson_r(std::span<const double> x, std::span<const double> y) {
  check_pairs(x, y, "pearson_r");
  const std::size_t n = x.size();
  if (n < 2) return kNaN;
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < n; ++i) mx += x[i], my += y[i];
  mx /= static_cast<double>(n), my /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy, sxx += dx * dx, syy += dy * dy;
  }
  if (sxx == 0 || syy == 0) return kNaN;
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

double spearman_rho(std::span<const double> x, std::span<const double> y) {
  check_pairs(x, y, "spearman_rho");
  const auto rx = average_ranks(x), ry = average_ranks(y);
  return pearson_r(rx, ry);
}

double top_k_precision(std::span<const double> proxy, std::span<const double> truth, double k_percent) {
  check_pairs(proxy, truth, "top_k_precision");
  if (!(k_percent > 0 && k_percent <= 100))
    throw Error("top-k percent " + std::to_string(k_percent), "must be in (0, 100]", "use e.g. 1, 5 or 10");
  const std::size_t n = proxy.size();
  if (n == 0) return kNaN;
  const std::size_t m = std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(static_cast<double>(n) * k_percent / 100.0)));
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return proxy[a] > proxy[b]; });
  std::vector<double> t(truth.begin(), truth.end());
  std::nth_element(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(m - 1), t.end(), std::greater<double>());
  const double threshold = t[m - 1];
  std::size_t hits = 0;
  for (std::size_t i = 0; i < m; ++i) hits += truth[idx[i]] >= threshold;
  return static_cast<double>(hits) / static_cast<double>(m);
}

CorrelationSummary summarize(std::span<const double> proxy, std::span<const double> truth, const std::vector<int>& ks) {
  CorrelationSummary s;
  s.n = proxy.size();
  s.kendall = kendall_tau_b(proxy, truth);
  s.spearman = spearman_rho(proxy, truth);
  s.pearson = pearson_r(proxy, truth);
  for (int k : ks) s.top_k_precision[k] = top_k_precision(proxy, truth, k);
  return s;
}

ConfidenceInterval bootstrap_ci(std::span<const double> x, std::span<const double> y, const PairMetric& metric,
                                int resamples, std::uint64_t seed, double level) {
  check_pairs(x, y, "bootstrap_ci");
  if (resamples < 1) throw Error("bootstrap resamples " + std::to_string(resamples), "must be >= 1", "use e.g. 1000");
  if (!(level > 0 && level < 1)) throw Error("bootstrap level " + std::to_string(level), "must be in (0, 1)", "use 0.95");
  ConfidenceInterval ci;
  ci.estimate = metric(x, y);
  const std::size_t n = x.size();
  if (n == 0) return {kNaN, kNaN, kNaN, 0};
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, n - 1);
  std::vector<double> bx(n), by(n), stats;
  stats.reserve(static_cast<std::size_t>(resamples));
  for (int r = 0; r < resamples; ++r) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t j = pick(rng);
      bx[i] = x[j], by[i] = y[j];
    }
    const double v = metric(bx, by);
    if (!std::isnan(v)) stats.push_back(v);
  }
  ci.resamples_used = static_cast<int>(stats.size());
  if (stats.empty()) return {ci.estimate, kNaN, kNaN, 0};
  std::sort(stats.begin(), stats.end());
  // Linear interpolation between order statistics (type 7, as numpy's default).
  auto quantile = [&](double q) {
    const double pos = q * static_cast<double>(stats.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, stats.size() - 1);
    return stats[lo] + (pos - static_cast<double>(lo)) * (stats[hi] - stats[lo]);
  };
  ci.lo = quantile((1 - level) / 2);
  ci.hi = quantile((1 + level) / 2);
  return ci;
}

}  // namespace zcnas::predictors
