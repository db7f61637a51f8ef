// nwot (Mellor et al. 2021, v2 "NASWOT") as NASLib (measures/nwot.py): for every
// ReLU, the binary code c = (input > 0) of each sample; K = sum over ReLUs of
// c c^T + (1 - c)(1 - c)^T (N x N, float64 like NASLib's numpy accumulator);
// score = log|det K| (slogdet). One train-mode forward, no gradients.
// (input > 0) == (output > 0) for a ReLU, so the observer reads the ReLU output;
// with s = 2c - 1, c c^T + (1 - c)(1 - c)^T = (s s^T + D) / 2, D the code length.
#include "simple_proxy.hpp"
#include "zcnas/proxies/passes.hpp"

namespace zcnas::proxies {
ProxyPtr make_nwot(const nlohmann::json& s) {
  check_settings("nwot", s, {});
  return std::make_shared<SimpleProxy>(
      ProxyInfo{.name = "nwot", .version = 1, .description = "log|det K|, K the ReLU-code agreement kernel of the batch (NASWOT)"},
      [](ProxyContext& ctx) {
        torch::NoGradGuard no_grad;
        auto net = ctx.fresh_net(torch::kFloat32);
        const auto n = ctx.batch().size();
        auto K = torch::zeros({n, n}, torch::TensorOptions(torch::kFloat64).device(ctx.device()));
        net->forward(ctx.batch().inputs, [&](spaces::NodeId, const spaces::Node& node, const torch::Tensor& y) {
          // ReLU codes; in transformers (no ReLU) the GELUs' (GELU(x) > 0 iff x > 0), codes over all tokens.
          if (node.op != spaces::OpKind::ReLU && node.op != spaces::OpKind::GELU) return;
          auto sgn = (y.reshape({n, -1}) > 0).to(torch::kFloat64).mul(2.0).sub(1.0);
          K.add_(sgn.matmul(sgn.t()).add(static_cast<double>(sgn.size(1))).mul(0.5));
        });
        return std::get<1>(torch::linalg_slogdet(K)).item<double>();
      });
}
}  // namespace zcnas::proxies
