#pragma once
// Internal helper of the strategies: "evaluate" an arch either with a ground-truth
// query (the NAS-benchmark simulation, budget.queries) or with the proxy score
// (budget.candidates), as the strategy's `objective` setting says.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "zcnas/search/strategy.hpp"

namespace zcnas::search::detail {

struct Objective {
  bool truth = true;  // true: ground-truth queries; false: proxy scores

  std::vector<std::optional<double>> eval(SearchContext& ctx, const std::vector<std::string>& archs) const {
    if (!truth) return ctx.score(archs);
    std::vector<std::optional<double>> out;
    for (const auto& a : archs) out.push_back(ctx.query(a));
    return out;
  }
  std::optional<double> eval(SearchContext& ctx, const std::string& arch) const { return eval(ctx, std::vector{arch})[0]; }
  bool left(const SearchContext& ctx) const { return truth ? ctx.queries_left() : ctx.candidates_left(); }
};

// Reads the common `objective` setting; the default is ground truth when a query
// budget is configured (can't know here) -> callers pass their default.
inline Objective read_objective(Settings& s, const std::string& def) {
  return Objective{s.text("objective", def, {"truth", "proxy"}) == "truth"};
}

// Scores `cands` with the proxies in chunks of `chunk` (so progress, budgets and
// the database advance together), then, while the query budget lasts, queries the
// best-scored ones in rank order (ties by position in `cands`: deterministic).
// Shared by the exhaustive and zero-cost warm-start strategies.
inline void score_then_query_best(SearchContext& ctx, const std::vector<std::string>& cands, std::size_t chunk) {
  std::vector<std::pair<double, std::size_t>> ranked;
  for (std::size_t i = 0; i < cands.size() && ctx.candidates_left(); i += chunk) {
    std::vector<std::string> batch(cands.begin() + i, cands.begin() + std::min(cands.size(), i + chunk));
    auto r = ctx.score(batch);
    for (std::size_t k = 0; k < r.size(); ++k)
      if (r[k]) ranked.push_back({*r[k], i + k});
  }
  if (!ctx.has_query_budget()) return;
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [score, idx] : ranked) {
    if (!ctx.queries_left()) break;
    ctx.query(cands[idx]);
  }
}

// Bound on proposals that yield nothing new, so a strategy on a small space whose
// budget exceeds the space size terminates.
constexpr int kMaxStalls = 10000;

}  // namespace zcnas::search::detail
