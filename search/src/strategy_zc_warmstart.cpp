// Zero-cost warm start: rank `pool` candidates (seeded uniform samples, or the
// whole space with pool: 0 on an enumerable space) with the proxies computed by
// zcnas, then spend the ground-truth query budget on the best-ranked ones, in
// rank order. Proxy scoring time is charged to the wall-clock budget by the driver.
// (As in Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR 2021, Sec. 5 warmup.)
#include <algorithm>
#include <set>

#include "objective.hpp"
#include "zcnas/common/error.hpp"

namespace zcnas::search {
namespace {
class ZcWarmstart final : public Strategy {
 public:
  ZcWarmstart(std::int64_t pool, std::int64_t chunk) : pool_(pool), chunk_(chunk) {}
  std::string name() const override { return "zc_warmstart"; }
  void run(SearchContext& ctx) const override {
    std::vector<std::string> cands;
    if (pool_ == 0) {
      ctx.space().enumerate([&](const std::string& a) { cands.push_back(a); });
    } else {
      int stalls = 0;
      std::set<std::string> seen;
      while (static_cast<std::int64_t>(cands.size()) < pool_ && stalls < detail::kMaxStalls) {
        auto a = ctx.space().sample(ctx.rng());
        if (seen.insert(a).second) {
          cands.push_back(std::move(a));
          stalls = 0;
        } else {
          ++stalls;
        }
      }
    }
    detail::score_then_query_best(ctx, cands, chunk_);
  }

 private:
  std::int64_t pool_;
  std::size_t chunk_;
};
}  // namespace

StrategyPtr make_zc_warmstart(const nlohmann::json& j) {
  Settings s("strategy zc_warmstart", j);
  auto pool = s.integer("pool", 1000, 0);
  auto chunk = s.integer("chunk", 128, 1);
  // ucb: beta for `predictor:<file>` proxies, which then score mean + beta * std of
  // their prediction (the driver passes it to them; see docs/config.md). Read here so
  // the setting is validated; ranking itself is unchanged.
  const double ucb = s.number("ucb", 0.0);
  if (ucb < 0) throw Error("strategy zc_warmstart", "setting 'ucb' must be >= 0", "use e.g. ucb: 1.0");
  s.done();
  return std::make_unique<ZcWarmstart>(pool, chunk);
}
}  // namespace zcnas::search
