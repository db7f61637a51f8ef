// Local search (as in White et al., "Local search is state of the art for NAS
// benchmarks", 2020, and NASLib's ls optimizer): from the best of `num_init`
// random archs, evaluate neighbours in random order and move to the first that
// improves; at a local optimum, restart from a random arch.
#include <algorithm>

#include "objective.hpp"

namespace zcnas::search {
namespace {
class LocalSearch final : public Strategy {
 public:
  LocalSearch(detail::Objective o, std::int64_t init) : obj_(o), init_(init) {}
  std::string name() const override { return "local_search"; }
  void run(SearchContext& ctx) const override {
    int stalls = 0;
    while (obj_.left(ctx) && stalls < detail::kMaxStalls) {
      std::string best;
      double best_f = 0;
      for (std::int64_t i = 0; i < init_ && obj_.left(ctx); ++i) {
        auto a = ctx.space().sample(ctx.rng());
        if (auto f = obj_.eval(ctx, a); f && (best.empty() || *f > best_f)) best = a, best_f = *f;
      }
      if (best.empty()) {
        ++stalls;
        continue;
      }
      bool improved = true;
      while (improved && obj_.left(ctx)) {
        improved = false;
        auto nbrs = ctx.space().neighbours(best);
        std::shuffle(nbrs.begin(), nbrs.end(), ctx.rng());
        for (const auto& n : nbrs) {
          if (!obj_.left(ctx)) break;
          auto f = obj_.eval(ctx, n);
          if (f && *f > best_f) {
            best = n, best_f = *f, improved = true;
            break;
          }
        }
      }
      ++stalls;  // each restart counts; reset never needed: budget ends the loop
      if (stalls >= detail::kMaxStalls) break;
    }
  }

 private:
  detail::Objective obj_;
  std::int64_t init_;
};
}  // namespace

StrategyPtr make_local_search(const nlohmann::json& j) {
  Settings s("strategy local_search", j);
  auto obj = detail::read_objective(s, "truth");
  auto init = s.integer("num_init", 10, 1);
  s.done();
  return std::make_unique<LocalSearch>(obj, init);
}
}  // namespace zcnas::search
