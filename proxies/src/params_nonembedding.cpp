// params_nonembedding: LiteTransformerSearch's proxy (Javaheripi et al. 2022) -- the number of
// parameters outside the embeddings and the output head, counted on the BUILT module: sum of
// numel() over its parameters, less those of embedding nodes (Node::is_embedding(): token /
// adaptive / position tables and the adaptive embedding's projections) and of nodes named
// "head.*" (the LM / classification head, docs/spaces.md). A raw count (not millions), the unit
// of gpt2_wt103.csv's `params_nonembedding`, which it equals for all 200 archs (tests/spaces/test_gpt.cpp).
#include <set>

#include "simple_proxy.hpp"
#include "zcnas/spaces/executor.hpp"

namespace zcnas::proxies {
ProxyPtr make_params_nonembedding(const nlohmann::json& s) {
  check_settings("params_nonembedding", s, {});
  return std::make_shared<SimpleProxy>(
      ProxyInfo{.name = "params_nonembedding", .version = 1,
                .description = "parameters outside embeddings and the head (count), from the built module",
                .needs_data = false, .function_invariant = false},
      [](ProxyContext& ctx) {
        auto net = ctx.fresh_net();
        const auto emb = net->embedding_parameter_names();
        const std::set<std::string> skip(emb.begin(), emb.end());
        double n = 0;
        for (const auto& p : net->named_parameters())
          if (!skip.count(p.key()) && p.key().rfind("head.", 0) != 0) n += static_cast<double>(p.value().numel());
        return n;
      });
}
}  // namespace zcnas::proxies
