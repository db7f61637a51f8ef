// synflow (Tanaka et al. 2020) as NASLib computes it
// (naslib/predictors/utils/pruners/measures/synflow.py, zerocost.py):
//  - a copy of the network with batchnorm turned into identity (measure bn=False),
//  - in float64 (net.double()), every parameter replaced by its absolute value,
//  - one all-ones input of batch size 1, backward of sum(output),
//  - sum over Conv2d/Linear weights of |w * dR/dw|,
//  - reported as log(score) (ZeroCost.query; 0 stays 0), which is what
//    zc_nasbench201.json stores.
// Overflow-safe: the log is taken as log-sum-exp of log|w| + log|g| over all
// elements (per layer in synflow_pass, then over layers), so a sum beyond the
// double range still gives its (finite) log.
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
        // The pass (passes.cpp) keeps one log-sum per layer; their log-sum-exp is the
        // log of the sum over all weights.
        const double l = log_sum_exp(synflow_pass(ctx, keep_bn).log_sum);
        if (std::isinf(l) && l < 0) return 0.0;  // score 0: NASLib returns 0, not log 0
        return l;
      },
      settings);
}
}  // namespace zcnas::proxies
