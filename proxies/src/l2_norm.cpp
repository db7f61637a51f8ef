// l2_norm as NASLib (measures/l2_norm.py): sum over Conv2d/Linear layers of the
// L2 norm of the weight at initialisation. No data.
#include "simple_proxy.hpp"
#include "zcnas/proxies/passes.hpp"

namespace zcnas::proxies {
ProxyPtr make_l2_norm(const nlohmann::json& s) {
  check_settings("l2_norm", s, {});
  return std::make_shared<SimpleProxy>(
      ProxyInfo{.name = "l2_norm", .version = 1, .description = "sum over conv/linear layers of ||W||_2 at initialisation",
                .needs_data = false},
      [](ProxyContext& ctx) {
        auto net = ctx.fresh_net(torch::kFloat32);
        double s = 0;
        for (auto id : metric_layers(ctx.graph())) s += net->node_weight(id).detach().to(torch::kFloat64).norm().item<double>();
        return s;
      });
}
}  // namespace zcnas::proxies
