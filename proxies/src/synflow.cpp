// synflow (Tanaka et al. 2020) as NASLib computes it
// (naslib/predictors/utils/pruners/measures/synflow.py, zerocost.py):
//  - a copy of the network with batchnorm turned into identity (measure bn=False),
//  - in float64 (net.double()), every parameter replaced by its absolute value,
//  - one all-ones input of batch size 1, backward of sum(output),
//  - sum over Conv2d/Linear weights of |w * dR/dw|,
//  - reported as log(score) (ZeroCost.query; 0 stays 0), which is what
//    zc_nasbench201.json stores.
// Overflow-safe: the log is taken as log-sum-exp of log|w| + log|g| over all
// elements, so a sum beyond the double range still gives its (finite) log.
#include <cmath>

#include "simple_proxy.hpp"
#include "zcnas/proxies/passes.hpp"

namespace zcnas::proxies {
ProxyPtr make_synflow(const nlohmann::json& s) {
  check_settings("synflow", s, {"bn"});
  const bool keep_bn = setting<bool>("synflow", s, "bn", false);
  nlohmann::json settings = nlohmann::json::object();
  if (keep_bn) settings["bn"] = true;
  return std::make_shared<SimpleProxy>(
      ProxyInfo{.name = "synflow", .version = 1,
                .description = "log of sum |w * dR/dw|, R = sum of outputs for an all-ones input, |weights|, float64, no BN",
                .needs_data = false, .needs_grad = true, .float64 = true},
      [keep_bn](ProxyContext& ctx) {
        torch::AutoGradMode grad_on(true);
        auto net = keep_bn ? ctx.fresh_net(torch::kFloat64) : ctx.fresh_net_without_batchnorm(torch::kFloat64);
        {
          torch::NoGradGuard no_grad;
          for (auto& p : net->parameters()) p.abs_();
        }
        auto x = torch::ones(spaces::batched(ctx.graph().input_shape(), 1), torch::TensorOptions(torch::kFloat64).device(ctx.device()));
        net->forward(x).sum().backward();
        std::vector<torch::Tensor> logs;
        for (auto id : metric_layers(ctx.graph())) {
          auto w = net->node_weight(id);
          if (!w.grad().defined()) continue;
          logs.push_back(w.detach().abs().log() + w.grad().detach().abs().log());
        }
        const double l = log_sum_exp(logs);
        if (std::isinf(l) && l < 0) return 0.0;  // score 0: NASLib returns 0, not log 0
        return l;
      },
      settings);
}
}  // namespace zcnas::proxies
