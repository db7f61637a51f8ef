#pragma once
// libtorch executor: a torch::nn::Module built from a NetGraph.
//
// Parameters are registered in nested modules that follow the node names, so
// a conv node "cells.3.edge_2_1.conv" owns "cells.3.edge_2_1.conv.weight". They are
// raw tensors on plain modules, applied with the functional ops the torch::nn modules
// call (torch::conv2d, batch_norm, linear, embedding, layer_norm, ...): the nn
// modules' constructors would fill every weight from the global generator -- one lock
// shared by all worker threads -- before reset_parameters() overwrote it.
// forward() runs live nodes in topological order; an optional observer sees
// every node's output tensor (proxies use it to read activations, call
// retain_grad(), or replace nothing -- observers must not modify tensors).
//
// Determinism: reset_parameters(seed) initialises every parameter from a
// private generator (PyTorch's default schemes), so scoring in parallel
// workers never touches the global torch RNG.
//
// Token models (NetGraph::has_token_input()): forward() takes int64 ids [N, T] (int32 is
// converted); ids outside an embedding's vocabulary are a zcnas::Error, not a crash.
// Transformer ops and their torch forms (spaces/src/executor.cpp): Embedding nn.Embedding;
// AdaptiveEmbedding archai's AdaptiveEmbedding; LayerNorm nn.LayerNorm; GELU F.gelu;
// Attention the scaled dot-product core of nn.MultiheadAttention (no projections); Conv1d
// nn.Conv1d on the sequence; PatchEmbed nn.Conv2d + flatten(2).transpose(1, 2).
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "zcnas/spaces/netgraph.hpp"

namespace zcnas::spaces {

class TorchNetImpl : public torch::nn::Module {
 public:
  explicit TorchNetImpl(NetGraph graph, std::uint64_t seed = 0);

  using Observer = std::function<void(NodeId, const Node&, const torch::Tensor& output)>;
  torch::Tensor forward(const torch::Tensor& x) { return forward(x, nullptr); }
  torch::Tensor forward(const torch::Tensor& x, const Observer& observe);

  const NetGraph& graph() const { return graph_; }

  // PyTorch default initialisation from a private generator: conv/linear weights
  // kaiming_uniform(a=sqrt(5)) (bound 1/sqrt(fan_in)), biases U(-1/sqrt(fan_in), ..),
  // batchnorm weight 1, bias 0, running stats reset.
  void reset_parameters(std::uint64_t seed);

  // Batchnorm bypass: while set, forward() passes every BatchNorm2d node's input through
  // unchanged (its parameters and running statistics are neither read nor updated), the same
  // outputs as a graph with those nodes replaced by identity (NASLib's get_prunable_copy(bn=False)).
  void set_batchnorm_bypass(bool on) { bypass_bn_ = on; }
  bool batchnorm_bypass() const { return bypass_bn_; }

  // The module owning a node's parameters (conv, linear, batchnorm), or nullptr.
  torch::nn::Module* node_module(NodeId id) const { return node_modules_[id].get(); }
  // Weight tensor of a conv/linear node, undefined tensor otherwise.
  torch::Tensor node_weight(NodeId id) const;
  // Ids of nodes that own a weight (conv, conv-transpose, linear, conv1d, patch-embed conv), in order.
  const std::vector<NodeId>& weighted_nodes() const { return weighted_; }

  // Full names ("<node>.weight", "<node>.emb_projs.0", ...) of the parameters owned by embedding
  // nodes (Node::is_embedding()), and the number of elements of all other parameters: the
  // "non-embedding" parameter count of the built module (archai / LiteTransformerSearch).
  std::vector<std::string> embedding_parameter_names() const;
  std::int64_t nonembedding_numel() const;

 private:
  NetGraph graph_;
  std::vector<bool> live_;
  std::vector<std::shared_ptr<torch::nn::Module>> node_modules_;
  std::vector<NodeId> weighted_;
  // Parameters as raw tensors (registered on plain modules named after the node, so names and
  // order are those of the torch::nn modules they stand for: "<node>.weight", "<node>.bias",
  // batchnorm's running_mean / running_var / num_batches_tracked buffers).
  struct Typed {
    torch::Tensor weight, bias;                      // conv, conv-transpose, linear, conv1d, patch-embed,
                                                     // embedding, layer norm, batchnorm (affine)
    torch::Tensor running_mean, running_var, batches;  // batchnorm with running statistics
    std::vector<torch::Tensor> tables;               // AdaptiveEmbedding clusters
    std::vector<torch::Tensor> projs;                // AdaptiveEmbedding projections (undefined: none)
    torch::Tensor param;                             // PositionalEmbedding table, ClsToken token
  };
  torch::Tensor batchnorm(NodeId id, const Node& n, const torch::Tensor& x);
  std::vector<Typed> typed_;
  bool bypass_bn_ = false;
};
TORCH_MODULE(TorchNet);

// The output of a node whose op is linear and acts on each sample of the batch alone
// (Identity, Add, Concat, Flatten, Pad2d, Slice2d, Upsample2d, Fold/UnfoldTiles,
// ChannelShuffle, ChannelSlice, AvgPool2d, GlobalAvgPool, Zero, SelectToken, MeanTokens), from
// its inputs in(k);
// an undefined tensor for any other op. TorchNetImpl::forward uses it, and so does the jet
// engine (proxies/src/jet.cpp): for these ops a stack of Taylor coefficients along the
// batch dimension propagates through the very same expression.
torch::Tensor per_sample_linear(const Node& n, const std::function<const torch::Tensor&(std::size_t)>& in);

// The table a PositionalEmbedding node adds to its input x [N, T, D] (broadcastable to it):
// rows [0, T) of the learned table `weight`, its row 0, or the sinusoidal table.
torch::Tensor positional_table(const Node& n, const torch::Tensor& weight, const torch::Tensor& x);
// Input shape with a batch dimension in front.
std::vector<std::int64_t> batched(const Shape& s, std::int64_t batch);

}  // namespace zcnas::spaces
