// Exhaustive: score every architecture of an enumerable space with the proxies
// (in chunks, so progress, budgets and the database advance together), then, if
// a query budget is set, query the ground truth of the best-scored ones.
#include <algorithm>
#include <numeric>

#include "objective.hpp"

namespace zcnas::search {
namespace {
class Exhaustive final : public Strategy {
 public:
  explicit Exhaustive(std::size_t chunk) : chunk_(chunk) {}
  std::string name() const override { return "exhaustive"; }
  void run(SearchContext& ctx) const override {
    std::vector<std::string> all;
    ctx.space().enumerate([&](const std::string& a) { all.push_back(a); });
    std::vector<std::pair<double, std::size_t>> ranked;
    for (std::size_t i = 0; i < all.size() && ctx.candidates_left(); i += chunk_) {
      std::vector<std::string> batch(all.begin() + i, all.begin() + std::min(all.size(), i + chunk_));
      auto r = ctx.score(batch);
      for (std::size_t k = 0; k < r.size(); ++k)
        if (r[k]) ranked.push_back({*r[k], i + k});
    }
    if (!ctx.has_query_budget()) return;
    // Best score first; ties by enumeration order, so the result is deterministic.
    std::stable_sort(ranked.begin(), ranked.end(), [](auto& a, auto& b) { return a.first > b.first; });
    for (const auto& [score, idx] : ranked) {
      if (!ctx.queries_left()) break;
      ctx.query(all[idx]);
    }
  }

 private:
  std::size_t chunk_;
};
}  // namespace

StrategyPtr make_exhaustive(const nlohmann::json& j) {
  Settings s("strategy exhaustive", j);
  auto chunk = static_cast<std::size_t>(s.integer("chunk", 256, 1));
  s.done();
  return std::make_unique<Exhaustive>(chunk);
}
}  // namespace zcnas::search
