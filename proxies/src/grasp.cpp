// grasp (Wang et al. 2020) as NASLib (measures/grasp.py, T = 1, one iteration):
// g = dL/dW for the Conv2d/Linear weights, Hg = d(sum g.detach() * g)/dW (a
// Hessian-gradient product by double backward), score = sum of -W * Hg.
// NASLib takes g from a first forward and Hg from a second one; with train-mode
// batchnorm both forwards compute the same values, so one forward serves both.
#include "simple_proxy.hpp"
#include "zcnas/proxies/batch.hpp"
#include "zcnas/proxies/passes.hpp"

namespace zcnas::proxies {
ProxyPtr make_grasp(const nlohmann::json& s) {
  check_settings("grasp", s, {});
  return std::make_shared<SimpleProxy>(
      ProxyInfo{.name = "grasp", .version = 1, .description = "sum of -W * (H g) over conv/linear weights (labelled batch)",
                .needs_labels = true, .needs_grad = true},
      [](ProxyContext& ctx) {
        torch::AutoGradMode grad_on(true);
        auto net = ctx.fresh_net(torch::kFloat32);
        std::vector<torch::Tensor> ws;
        for (auto id : metric_layers(ctx.graph())) ws.push_back(net->node_weight(id));
        auto loss = batch_loss(net->forward(ctx.batch().inputs), ctx.batch());
        auto g = torch::autograd::grad({loss}, ws, {}, /*retain_graph=*/true, /*create_graph=*/true, /*allow_unused=*/true);
        torch::Tensor z;
        for (const auto& gi : g) {
          if (!gi.defined()) continue;
          auto t = (gi.detach() * gi).sum();
          z = z.defined() ? z + t : t;
        }
        if (!z.defined() || !z.requires_grad()) return 0.0;
        auto hg = torch::autograd::grad({z}, ws, {}, false, false, /*allow_unused=*/true);
        double score = 0;
        for (std::size_t i = 0; i < ws.size(); ++i)
          if (hg[i].defined()) score += (-ws[i].detach() * hg[i]).sum(torch::kFloat64).item<double>();
        return score;
      });
}
}  // namespace zcnas::proxies
