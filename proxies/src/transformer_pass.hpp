#pragma once
// Internal: the two passes the transformer proxies share (memoized per network in the
// ProxyContext, like passes.hpp), both on the network cut at its last hidden state
// (TransformerNodes::body_output), so a 50k-vocabulary LM head is never run.
#include <Eigen/Core>

#include <vector>

#include "zcnas/proxies/context.hpp"
#include "zcnas/proxies/transformer.hpp"

namespace zcnas::proxies {

// One forward pass, no gradients, train mode as fresh_net (the executor has no dropout).
struct TransformerForward {
  TransformerNodes nodes;
  std::vector<Eigen::MatrixXf> ffn_first;  // per layer: pre-GELU outputs of the first FFN linear, (N*T) x F
  double head_confidence = 0;              // summed terms (transformer.hpp)
  double softmax_confidence = 0;
  double activation_distance = 0;
};
const TransformerForward& transformer_forward(ProxyContext& ctx);

// Forward + backward of sum(last hidden state) (the harness's output.backward(ones_like)):
// per token-mixing linear, its weight and gradient.
struct TransformerBackward {
  std::vector<torch::Tensor> weights, grads;
};
const TransformerBackward& transformer_backward(ProxyContext& ctx);

}  // namespace zcnas::proxies
