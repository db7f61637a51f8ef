#pragma once
// Rank metrics used to judge proxies and predictors against ground truth, as
// NAS-Bench-Suite-Zero and the Dextr/ParZC papers report them. All are
// O(n log n). Inputs are paired samples (x[i], y[i]); they must be finite and of
// equal length (zcnas::Error otherwise). A metric that is undefined (n < 2, or a
// constant input) returns NaN.
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <vector>

namespace zcnas::predictors {

// Ranks 1..n, ties get the average of the ranks they span.
std::vector<double> average_ranks(std::span<const double> v);

// Kendall tau-b (ties in x and/or y corrected), Knight's O(n log n) algorithm.
double kendall_tau_b(std::span<const double> x, std::span<const double> y);
// Spearman rho: Pearson r of the average ranks.
double spearman_rho(std::span<const double> x, std::span<const double> y);
// Pearson product-moment r (two-pass, numerically stable).
double pearson_r(std::span<const double> x, std::span<const double> y);

// Top-k% precision: let m = max(1, floor(n * k_percent / 100)). Of the m archs with
// the highest proxy value (ties broken by input order), the fraction whose ground
// truth is among the top m (every arch whose truth >= the m-th largest truth
// counts, so ties at the boundary are not penalised). Higher is better for both.
double top_k_precision(std::span<const double> proxy, std::span<const double> truth, double k_percent);

struct CorrelationSummary {
  std::size_t n = 0;
  double kendall = 0, spearman = 0, pearson = 0;
  std::map<int, double> top_k_precision;  // k (percent) -> precision
};
CorrelationSummary summarize(std::span<const double> proxy, std::span<const double> truth,
                             const std::vector<int>& ks = {1, 5, 10});

// Percentile bootstrap: resamples pairs with replacement `resamples` times
// (std::mt19937_64 seeded with `seed`, so the interval is reproducible) and
// returns the (1-level)/2 and (1+level)/2 quantiles of the metric, plus the
// metric on the full sample. Resamples where the metric is NaN are skipped.
struct ConfidenceInterval {
  double estimate = 0, lo = 0, hi = 0;
  int resamples_used = 0;
};
using PairMetric = std::function<double(std::span<const double>, std::span<const double>)>;
ConfidenceInterval bootstrap_ci(std::span<const double> x, std::span<const double> y, const PairMetric& metric,
                                int resamples = 1000, std::uint64_t seed = 0, double level = 0.95);

}  // namespace zcnas::predictors
