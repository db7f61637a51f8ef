// plain as NASLib (measures/plain.py): sum over Conv2d/Linear weights of
// w * dL/dw (signed), from the shared labelled pass.
#include "simple_proxy.hpp"
#include "zcnas/proxies/passes.hpp"

namespace zcnas::proxies {
ProxyPtr make_plain(const nlohmann::json& s) {
  check_settings("plain", s, {});
  return std::make_shared<SimpleProxy>(
      ProxyInfo{.name = "plain", .version = 1, .description = "sum of w * dL/dw over conv/linear weights (signed)",
                .needs_labels = true, .needs_grad = true},
      [](ProxyContext& ctx) {
        const auto& p = labelled_pass(ctx);
        double s = 0;
        for (std::size_t i = 0; i < p.layers.size(); ++i)
          s += (p.weights[i] * p.grads[i]).sum(torch::kFloat64).item<double>();
        return s;
      });
}
}  // namespace zcnas::proxies
