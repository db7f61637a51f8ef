// params: trainable parameters in millions (NASLib's find_measures: model_stats.parameters / 1e6).
#include "simple_proxy.hpp"
#include "zcnas/spaces/counting.hpp"

namespace zcnas::proxies {
ProxyPtr make_params(const nlohmann::json& s) {
  check_settings("params", s, {});
  return std::make_shared<SimpleProxy>(
      ProxyInfo{.name = "params", .version = 1, .description = "trainable parameters (millions), counted from the graph",
                .needs_data = false, .function_invariant = false},
      [](ProxyContext& ctx) { return static_cast<double>(spaces::param_count(ctx.graph())) / 1e6; });
}
}  // namespace zcnas::proxies
