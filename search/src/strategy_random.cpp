// Random search: sample uniformly, evaluate, keep the best (the driver records
// everything). With objective: truth it spends budget.queries; with objective:
// proxy it scores `chunk` samples at a time in parallel until budget.candidates.
#include "objective.hpp"
#include "zcnas/common/error.hpp"

namespace zcnas::search {
namespace {
class RandomSearch final : public Strategy {
 public:
  RandomSearch(detail::Objective o, std::int64_t chunk) : obj_(o), chunk_(chunk) {}
  std::string name() const override { return "random"; }
  void run(SearchContext& ctx) const override {
    int stalls = 0;
    while (obj_.left(ctx) && stalls < detail::kMaxStalls) {
      std::vector<std::string> batch;
      for (std::int64_t i = 0; i < (obj_.truth ? 1 : chunk_); ++i) batch.push_back(ctx.space().sample(ctx.rng()));
      auto r = obj_.eval(ctx, batch);
      bool any = false;
      for (auto& v : r) any = any || v.has_value();
      stalls = any ? 0 : stalls + 1;
    }
  }

 private:
  detail::Objective obj_;
  std::int64_t chunk_;
};
}  // namespace

StrategyPtr make_random(const nlohmann::json& j) {
  Settings s("strategy random", j);
  auto obj = detail::read_objective(s, "truth");
  auto chunk = s.integer("chunk", 64, 1);
  s.done();
  return std::make_unique<RandomSearch>(obj, chunk);
}
}  // namespace zcnas::search
