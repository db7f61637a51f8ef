// The built-in proxies, one factory per file in proxies/src/<name>.cpp. Listed
// explicitly so a static link never drops one.
#include "zcnas/proxies/registry.hpp"

namespace zcnas::proxies {

// NAS-Bench-Suite-Zero set (NASLib definitions; see docs/proxies.md).
ProxyPtr make_params(const nlohmann::json&);
ProxyPtr make_params_nonembedding(const nlohmann::json&);  // params_nonembedding.cpp (LiteTransformerSearch)
ProxyPtr make_flops(const nlohmann::json&);
ProxyPtr make_synflow(const nlohmann::json&);
ProxyPtr make_snip(const nlohmann::json&);
ProxyPtr make_grasp(const nlohmann::json&);
ProxyPtr make_fisher(const nlohmann::json&);
ProxyPtr make_grad_norm(const nlohmann::json&);
ProxyPtr make_jacov(const nlohmann::json&);
ProxyPtr make_nwot(const nlohmann::json&);
ProxyPtr make_plain(const nlohmann::json&);
ProxyPtr make_l2_norm(const nlohmann::json&);
ProxyPtr make_epe_nas(const nlohmann::json&);
// Label-free proxies (dextr.cpp, meco.cpp, zen.cpp).
ProxyPtr make_dextr(const nlohmann::json& settings);
ProxyPtr make_meco(const nlohmann::json& settings);
ProxyPtr make_zen(const nlohmann::json& settings);
// Transformer proxies (wpca.cpp, nasbench_bert.cpp).
ProxyPtr make_pca(const nlohmann::json& settings);
ProxyPtr make_wpca(const nlohmann::json& settings);
ProxyPtr make_head_confidence(const nlohmann::json& settings);
ProxyPtr make_head_softmax_confidence(const nlohmann::json& settings);
ProxyPtr make_activation_distance(const nlohmann::json& settings);
ProxyPtr make_synaptic_diversity(const nlohmann::json& settings);

std::vector<BuiltinProxy> builtin_proxies() {
  return {
      {"params", make_params},
      {"params_nonembedding", make_params_nonembedding},
      {"flops", make_flops},
      {"synflow", make_synflow},
      {"snip", make_snip},
      {"grasp", make_grasp},
      {"fisher", make_fisher},
      {"grad_norm", make_grad_norm},
      {"jacov", make_jacov},
      {"nwot", make_nwot},
      {"plain", make_plain},
      {"l2_norm", make_l2_norm},
      {"epe_nas", make_epe_nas},
      {"dextr", make_dextr},
      {"meco", make_meco},
      {"zen", make_zen},
      {"pca", make_pca},
      {"wpca", make_wpca},
      {"head_confidence", make_head_confidence},
      {"head_softmax_confidence", make_head_softmax_confidence},
      {"activation_distance", make_activation_distance},
      {"synaptic_diversity", make_synaptic_diversity},
  };
}

}  // namespace zcnas::proxies
