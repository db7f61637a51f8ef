#pragma once
// Internal helper of the strategies: "evaluate" an arch either with a ground-truth
// query (the NAS-benchmark simulation, budget.queries) or with the proxy score
// (budget.candidates), as the strategy's `objective` setting says.
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

// Bound on proposals that yield nothing new, so a strategy on a small space whose
// budget exceeds the space size terminates.
constexpr int kMaxStalls = 10000;

}  // namespace zcnas::search::detail
