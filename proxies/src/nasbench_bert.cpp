// The NAS-Bench-BERT proxies (Serianni & Kalita, ACL 2023; aaronserianni/training-free-nas,
// BERT_metrics.ipynb), each the reference's un-normalized sum of its term (transformer.hpp)
// over the nodes TransformerNodes lists:
//   head_confidence          q/k/v (and WMA/LT input) projections: mean_{n,d} max_t  (tau 0.478 published)
//   head_softmax_confidence  attention probabilities (and LT's softmax): mean of the max over heads
//   activation_distance      FFN GELUs, first sequence: sum of the tokens' sign-agreement kernel
//   synaptic_diversity       token-mixing linears: |nuc(W) nuc(dR/dW)|, R = sum of the last hidden state
// The first three share one forward pass with W-PCA; synaptic diversity one backward.
#include "simple_proxy.hpp"
#include "transformer_pass.hpp"

namespace zcnas::proxies {

namespace {
// The three forward-pass proxies differ only in which summed term they read.
ProxyPtr forward_proxy(const char* name, const char* description, double TransformerForward::*term,
                       const nlohmann::json& s) {
  check_settings(name, s, {});
  return std::make_shared<SimpleProxy>(ProxyInfo{.name = name, .version = 1, .description = description},
                                       [term](ProxyContext& ctx) { return transformer_forward(ctx).*term; });
}
}  // namespace

ProxyPtr make_head_confidence(const nlohmann::json& s) {
  return forward_proxy("head_confidence",
                       "NAS-Bench-BERT head confidence: sum over q/k/v projections of mean max-over-tokens output",
                       &TransformerForward::head_confidence, s);
}

ProxyPtr make_head_softmax_confidence(const nlohmann::json& s) {
  return forward_proxy("head_softmax_confidence",
                       "NAS-Bench-BERT head softmax confidence: sum over attention softmaxes of mean max-over-heads",
                       &TransformerForward::softmax_confidence, s);
}

ProxyPtr make_activation_distance(const nlohmann::json& s) {
  return forward_proxy("activation_distance",
                       "NAS-Bench-BERT activation distance: FFN GELU sign-agreement kernel of the first sequence, summed",
                       &TransformerForward::activation_distance, s);
}

ProxyPtr make_synaptic_diversity(const nlohmann::json& s) {
  check_settings("synaptic_diversity", s, {});
  return std::make_shared<SimpleProxy>(
      ProxyInfo{.name = "synaptic_diversity", .version = 1,
                .description = "NAS-Bench-BERT synaptic diversity: sum over token-mixing linears of |nuc(W) nuc(dR/dW)|",
                .needs_grad = true},
      [](ProxyContext& ctx) {
        const auto& b = transformer_backward(ctx);
        double sum = 0;
        for (std::size_t i = 0; i < b.weights.size(); ++i) sum += synaptic_diversity_term(b.weights[i], b.grads[i]);
        return sum;
      });
}

}  // namespace zcnas::proxies
