// flops: FLOPs of one sample in millions, NASLib's convention (tensorwatch
// ModelStats, model_stats.Flops / 1e6 in naslib/predictors/utils/pruners/predictive.py),
// counted from the graph by spaces::flops_naslib.
#include "simple_proxy.hpp"
#include "zcnas/spaces/counting.hpp"

namespace zcnas::proxies {
ProxyPtr make_flops(const nlohmann::json& s) {
  check_settings("flops", s, {});
  return std::make_shared<SimpleProxy>(
      ProxyInfo{.name = "flops", .version = 1, .description = "FLOPs per sample (millions, NASLib/tensorwatch convention)",
                .needs_data = false},
      [](ProxyContext& ctx) { return spaces::flops_naslib(ctx.graph()) / 1e6; });
}
}  // namespace zcnas::proxies
