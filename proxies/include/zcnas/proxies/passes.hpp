#pragma once
// Forward/backward passes several proxies share, memoized in the ProxyContext
// (one per network): the first proxy that asks pays for the pass, the others
// read its result. Each pass runs on its own fresh_net() (same seed, same
// weights), so a proxy's value does not depend on which proxies ran before.
//
// "Layers" follow NASLib's get_layer_metric_array (naslib/predictors/utils/
// pruners/p_utils.py): modules that are nn.Conv2d or nn.Linear. ConvTranspose2d
// is not an nn.Conv2d subclass in PyTorch, so NASLib skips it and so do we.
#include <torch/torch.h>

#include <vector>

#include "zcnas/proxies/context.hpp"

namespace zcnas::proxies {

// Conv2d and Linear nodes of the graph, in graph order (dead ones included: the
// built module owns their weights, as NASLib's modules() lists them).
std::vector<spaces::NodeId> metric_layers(const spaces::NetGraph& g);

// One labelled forward + backward (train-mode batchnorm, batch_loss) on fresh_net():
// the data of snip, grad_norm, plain and fisher.
struct LabelledPass {
  std::vector<spaces::NodeId> layers;
  std::vector<torch::Tensor> weights;  // detached copies, float32
  std::vector<torch::Tensor> grads;    // dLoss/dW (zeros where no gradient reached the weight)
  // Fisher per layer as NASLib's fisher.py: act = the layer's output, g = dLoss/dact,
  // g_nk = sum over spatial positions of act*g, del_k = 0.5 * mean_n g_nk^2, and the
  // per-channel value broadcast over the weight's fan-in (reshape_elements), so the
  // layer sum is sum_k del_k * numel(W[k]).
  std::vector<double> fisher;
  double loss = 0;
};
const LabelledPass& labelled_pass(ProxyContext& ctx);

// Gradient of the sum of the network outputs with respect to the input batch
// (NASLib's get_batch_jacobian: y.backward(ones_like(y)), x.grad), train-mode
// batchnorm: the data of jacov and epe_nas.
struct InputJacobian {
  torch::Tensor jacobian;   // float32, N x (input numel)
  std::int64_t n_outputs;   // y.shape[-1], NASLib's n_classes for epe_nas
};
const InputJacobian& input_jacobian(ProxyContext& ctx);

// synflow's pass (synflow.cpp, NASLib measures/synflow.py): a float64 copy of
// the network (batchnorm removed unless keep_bn), every parameter replaced by its
// absolute value, one all-ones input of batch 1, backward of sum(output). Per
// Conv2d/Linear layer: log of sum |w * dR/dw| over its weights (log-sum-exp of
// log|w| + log|g|, so no overflow; -inf when the layer got no gradient or all zero)
// and its weight count. Memoized per keep_bn; shared by synflow and node_stats.
struct SynflowPass {
  std::vector<spaces::NodeId> layers;
  std::vector<double> log_sum;       // per layer log sum |w * dR/dw|
  std::vector<std::int64_t> numel;   // weights per layer
};
const SynflowPass& synflow_pass(ProxyContext& ctx, bool keep_bn = false);

// log(sum_i exp(x_i)) over plain numbers (-inf when empty or all -inf).
double log_sum_exp(const std::vector<double>& xs);

// log(sum_i exp(x_i)) over all elements of the tensors, in double, without
// overflow; -inf when every element is -inf (or there are none).
double log_sum_exp(const std::vector<torch::Tensor>& xs);

}  // namespace zcnas::proxies
