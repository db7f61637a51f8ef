// W-PCA and its PCA part (wpca.hpp for the definition and the paper/code differences):
//   pca  = V(X): PCA_dim(eta) of each layer's first-FFN-linear outputs, combined over layers;
//   wpca = #params x V(X) (Wang, ICLR 2025, arXiv 2504.15983; ra225/W-PCA spos.py proxy_type 2).
// Gradient-free: one forward pass (shared with the NAS-Bench-BERT proxies), then the layers'
// eigenproblems in parallel (oneTBB, one layer per task: 2-12 layers of d x d, d <= 3072,
// each ~0.1-1 s, so no grain tuning is needed). #params is the compiled network's count
// (the `params` proxy x 1e6).
#include <tbb/parallel_for.h>

#include "simple_proxy.hpp"
#include "transformer_pass.hpp"
#include "zcnas/proxies/wpca.hpp"
#include "zcnas/spaces/counting.hpp"

namespace zcnas::proxies {
namespace {

struct PcaSettings {
  double eta = 0.99;
  PcaCombine combine = PcaCombine::Sum;
  nlohmann::json json;
};

PcaSettings pca_settings(const char* proxy, const nlohmann::json& s) {
  check_settings(proxy, s, {"eta", "combine"});
  PcaSettings p;
  p.eta = setting<double>(proxy, s, "eta", 0.99);
  if (!(p.eta > 0 && p.eta < 1))
    throw Error(std::string("proxy ") + proxy, "eta must lie strictly between 0 and 1", "the paper uses 0.99");
  const auto c = setting<std::string>(proxy, s, "combine", "sum");
  if (c == "mean") p.combine = PcaCombine::Mean;
  else if (c != "sum")
    throw Error(std::string("proxy ") + proxy, "combine must be \"sum\" (the paper) or \"mean\" (the reference code)");
  p.json = {{"eta", p.eta}, {"combine", c}};
  return p;
}

double pca_value(ProxyContext& ctx, const PcaSettings& p) {
  const auto& f = transformer_forward(ctx);
  std::vector<int> dims(f.ffn_first.size());
  tbb::parallel_for(std::size_t{0}, dims.size(), [&](std::size_t i) { dims[i] = pca_dim(f.ffn_first[i], p.eta); });
  return combine_pca_dims(dims, p.combine);
}

}  // namespace

ProxyPtr make_pca(const nlohmann::json& s) {
  const auto p = pca_settings("pca", s);
  return std::make_shared<SimpleProxy>(
      ProxyInfo{.name = "pca", .version = 1,
                .description = "W-PCA's V: principal components for eta of variance of each layer's first FFN linear, summed"},
      [p](ProxyContext& ctx) { return pca_value(ctx, p); }, p.json);
}

ProxyPtr make_wpca(const nlohmann::json& s) {
  const auto p = pca_settings("wpca", s);
  return std::make_shared<SimpleProxy>(
      ProxyInfo{.name = "wpca", .version = 1,
                .description = "W-PCA (Wang 2025): #params x sum over layers of the FFN's PCA dimension at eta (gradient-free)"},
      [p](ProxyContext& ctx) { return static_cast<double>(spaces::param_count(ctx.graph())) * pca_value(ctx, p); }, p.json);
}

}  // namespace zcnas::proxies
