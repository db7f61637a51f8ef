// jacov (Mellor et al. 2021, v1) as NASLib (measures/jacov.py): J = gradient of
// the summed outputs with respect to each input sample (shared input-Jacobian
// pass), C = corrcoef of the rows of J (N x N, float64 like numpy), eigenvalues
// v of C, score = -sum(log(v + k) + 1/(v + k)), k = 1e-5.
// A zero-variance row makes C undefined: NASLib catches the error and returns
// NaN; here the score is NaN and the Scorer reports status "nan".
#include <limits>

#include "simple_proxy.hpp"
#include "zcnas/proxies/passes.hpp"

namespace zcnas::proxies {

// numpy.corrcoef of the rows of x (float64), with its clip to [-1, 1].
torch::Tensor corrcoef_rows(const torch::Tensor& x) {
  auto d = x.to(torch::kFloat64);
  auto c = d - d.mean(1, true);
  auto cov = c.matmul(c.t()) / static_cast<double>(std::max<std::int64_t>(d.size(1) - 1, 1));
  auto sd = cov.diagonal().sqrt();
  auto r = cov / sd.unsqueeze(1) / sd.unsqueeze(0);
  return r.clamp(-1.0, 1.0);  // NaN stays NaN
}

ProxyPtr make_jacov(const nlohmann::json& s) {
  check_settings("jacov", s, {});
  return std::make_shared<SimpleProxy>(
      ProxyInfo{.name = "jacov", .version = 1, .description = "-sum(log(v+k) + 1/(v+k)), v eigenvalues of the input-Jacobian correlations",
                .needs_grad = true},
      [](ProxyContext& ctx) {
        const auto& j = input_jacobian(ctx);
        auto corr = corrcoef_rows(j.jacobian);
        if (!torch::isfinite(corr).all().item<bool>()) return std::numeric_limits<double>::quiet_NaN();
        auto v = torch::linalg_eigvalsh(corr);
        const double k = 1e-5;
        return -((v + k).log() + (v + k).reciprocal()).sum().item<double>();
      });
}
}  // namespace zcnas::proxies
