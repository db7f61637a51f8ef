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
    detail::score_then_query_best(ctx, all, chunk_);
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
