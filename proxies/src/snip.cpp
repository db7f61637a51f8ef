// snip (Lee et al. 2019) as NASLib (measures/snip.py): the gradient of the loss
// with respect to a multiplicative mask of ones on every Conv2d/Linear weight is
// w * dL/dw, so the score is sum |w * dL/dw| over those layers, from the shared
// labelled pass (cross-entropy, train-mode batchnorm).
#include "simple_proxy.hpp"
#include "zcnas/proxies/passes.hpp"

namespace zcnas::proxies {
ProxyPtr make_snip(const nlohmann::json& s) {
  check_settings("snip", s, {});
  return std::make_shared<SimpleProxy>(
      ProxyInfo{.name = "snip", .version = 1, .description = "sum |w * dL/dw| over conv/linear weights (labelled batch)",
                .needs_labels = true, .needs_grad = true},
      [](ProxyContext& ctx) {
        const auto& p = labelled_pass(ctx);
        double s = 0;
        for (std::size_t i = 0; i < p.layers.size(); ++i)
          s += (p.weights[i] * p.grads[i]).abs().sum(torch::kFloat64).item<double>();
        return s;
      });
}
}  // namespace zcnas::proxies
