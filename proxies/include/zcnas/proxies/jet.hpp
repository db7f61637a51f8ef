#pragma once
// Second-order Taylor-mode ("jet") propagation through a TorchNet's NetGraph.
//
// Given an input that depends on one scalar t, x(t), and its first two
// derivatives at a point, (x, x', x''), one forward sweep returns the network
// output's (y, y', y'') at that point, exactly (no finite differences): every
// op has a rule for value, first and second derivative (rules and their
// derivation: proxies/src/jet.cpp). Dextr's curvature (label_free.hpp) uses it
// instead of 2 reverse passes per output coordinate and point.
//
// Batching: a jet carries P independent points at once (rows of the batch).
// The semantics is that of running each point as its OWN batch through the
// autograd executor: train-mode batchnorm normalises each point with that
// point's statistics (over its `fold` rows and H*W), never across points.
// Everything runs on the net's device and dtype with tensor ops only.
//
// Differences from a forward through TorchNetImpl::forward: batchnorm running
// statistics are not updated (the jet reads the network, it does not train it),
// and no autograd graph is built (it runs under NoGradGuard).
#include <torch/torch.h>

#include "zcnas/spaces/executor.hpp"

namespace zcnas::proxies::jet {

// Value, first and second derivative of a tensor with respect to one scalar.
struct Jet2 {
  torch::Tensor value, d1, d2;
};

// The first live node of `g` whose op has no jet rule, or -1 when every live
// node has one (then forward() can run the graph).
spaces::NodeId unsupported_node(const spaces::NetGraph& g);
inline bool supported(const spaces::NetGraph& g) { return unsupported_node(g) < 0; }

// Propagates a jet of P points (tensors of shape [P, <input shape>], same dtype
// and device as the net's parameters) to the output ([P, <output shape>]).
// Throws zcnas::Error for an unsupported graph, mismatched shapes, or a
// train-mode batchnorm over a single value per channel (as PyTorch does).
Jet2 forward(spaces::TorchNet& net, const Jet2& input);

}  // namespace zcnas::proxies::jet
