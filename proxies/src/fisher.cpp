// fisher (Theis et al. 2018; Turner et al. 2020) as NASLib (measures/fisher.py):
// per output channel k of every Conv2d/Linear layer, 0.5 * mean over samples of
// (sum over positions of activation * its gradient)^2, broadcast over the
// channel's weights and summed (see LabelledPass::fisher).
#include "simple_proxy.hpp"
#include "zcnas/proxies/passes.hpp"

namespace zcnas::proxies {
ProxyPtr make_fisher(const nlohmann::json& s) {
  check_settings("fisher", s, {});
  return std::make_shared<SimpleProxy>(
      ProxyInfo{.name = "fisher", .version = 1, .description = "channel Fisher information of conv/linear outputs (labelled batch)",
                .needs_labels = true, .needs_grad = true},
      [](ProxyContext& ctx) {
        double s = 0;
        for (double f : labelled_pass(ctx).fisher) s += f;
        return s;
      });
}
}  // namespace zcnas::proxies
