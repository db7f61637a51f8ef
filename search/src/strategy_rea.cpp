// Regularized evolution (Real et al., AAAI 2019, Algorithm 1): a FIFO population;
// each cycle samples `sample_size` members, mutates the best of them, evaluates
// the child, appends it and drops the oldest member. Defaults follow NASLib's
// NB201 REA config (population 30, sample 10) -- naslib/optimizers/discrete/re.
#include <deque>

#include "objective.hpp"

namespace zcnas::search {
namespace {
class Rea final : public Strategy {
 public:
  Rea(detail::Objective o, std::int64_t pop, std::int64_t sample) : obj_(o), pop_(pop), sample_(sample) {}
  std::string name() const override { return "rea"; }
  void run(SearchContext& ctx) const override {
    struct Member {
      std::string arch;
      double fitness;
    };
    std::deque<Member> population;
    int stalls = 0;
    while (static_cast<std::int64_t>(population.size()) < pop_ && obj_.left(ctx) && stalls < detail::kMaxStalls) {
      auto a = ctx.space().sample(ctx.rng());
      if (auto f = obj_.eval(ctx, a)) {
        population.push_back({a, *f});
        stalls = 0;
      } else {
        ++stalls;
      }
    }
    if (population.empty()) return;
    while (obj_.left(ctx) && stalls < detail::kMaxStalls) {
      const Member* parent = nullptr;
      std::uniform_int_distribution<std::size_t> pick(0, population.size() - 1);
      for (std::int64_t i = 0; i < sample_; ++i) {
        const Member& m = population[pick(ctx.rng())];
        if (!parent || m.fitness > parent->fitness) parent = &m;
      }
      auto child = ctx.space().mutate(parent->arch, ctx.rng());
      auto f = obj_.eval(ctx, child);
      if (!f) {
        ++stalls;
        continue;
      }
      stalls = 0;
      population.push_back({child, *f});
      population.pop_front();
    }
  }

 private:
  detail::Objective obj_;
  std::int64_t pop_, sample_;
};
}  // namespace

StrategyPtr make_rea(const nlohmann::json& j) {
  Settings s("strategy rea", j);
  auto obj = detail::read_objective(s, "truth");
  auto pop = s.integer("population_size", 30, 1);
  auto sample = s.integer("sample_size", 10, 1);
  s.done();
  return std::make_unique<Rea>(obj, pop, sample);
}
}  // namespace zcnas::search
