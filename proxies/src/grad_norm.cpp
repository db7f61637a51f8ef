// grad_norm as NASLib (measures/grad_norm.py): sum over Conv2d/Linear layers of
// the L2 norm of the layer's weight gradient (labelled pass, cross-entropy).
#include "simple_proxy.hpp"
#include "zcnas/proxies/passes.hpp"

namespace zcnas::proxies {
ProxyPtr make_grad_norm(const nlohmann::json& s) {
  check_settings("grad_norm", s, {});
  return std::make_shared<SimpleProxy>(
      ProxyInfo{.name = "grad_norm", .version = 1, .description = "sum over conv/linear layers of ||dL/dW||_2",
                .needs_labels = true, .needs_grad = true},
      [](ProxyContext& ctx) {
        const auto& p = labelled_pass(ctx);
        double s = 0;
        for (const auto& g : p.grads) s += g.to(torch::kFloat64).norm().item<double>();
        return s;
      });
}
}  // namespace zcnas::proxies
