#pragma once
// The input protocol: which images and labels a network of a given space and
// data set is scored on (documented in docs/proxies.md).
//
// Images are CIFAR-10 (the only image data shipped with the benchmarks), resized
// to the network's input resolution; targets take the shape of the network's
// output (the compiled graph says what the head is):
//   output {K}      -> class ids; the true CIFAR-10 labels when K == 10 and the
//                      data set is cifar10, otherwise drawn uniformly from K
//                      classes with the batch seed (cifar100, ImageNet16-120, TNB
//                      classification heads);
//   output {3,H,W}  -> the input image resized to H x W (autoencoder-style target);
//   output {C,H,W}  -> per-pixel class ids drawn from C classes (dense labelling).
// Selection is seeded: batch_size distinct images from the pool (torch::randperm
// with a private generator), optionally augmented as NASLib's training loader
// does (random crop with zero padding of 1/8 of the side, horizontal flip).
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "zcnas/proxies/cifar10.hpp"
#include "zcnas/proxies/context.hpp"
#include "zcnas/spaces/netgraph.hpp"

namespace zcnas::proxies {

struct BatchOptions {
  std::string dataset = "cifar10";  // selects normalisation and how labels are made
  std::int64_t batch_size = 32;     // NASLib's default (one batch of 32)
  std::uint64_t seed = 0;
  bool augment = true;              // NASLib samples from its augmented training loader
};

// Per-channel mean/std NASLib normalises with for `dataset` (naslib/utils/dataset.py):
// cifar10 for cifar10 and unknown names, cifar100's own, ImageNet16-120's own.
struct Normalisation {
  double mean[3];
  double std[3];
};
Normalisation normalisation_for(const std::string& dataset);

// Builds the batch for `graph` (reads its input and output shapes). A network whose
// input is token ids (NetGraph::has_token_input) gets a token batch of real text instead
// (tokens.hpp: batch_size windows of its sequence length, seeded; `pool` unused). Throws
// zcnas::Error when the graph's input is not an image {3,H,W}, when the pool has
// fewer images than batch_size, or batch_size < 1.
Batch make_batch(const ImageSet& pool, const spaces::NetGraph& graph, const BatchOptions& opt);

// The loss every labelled proxy uses, chosen by the target: cross-entropy for
// class ids (N, or N x H x W per pixel), L1 for float targets (TNB-101's loss for
// its autoencoder / normal heads). Throws zcnas::Error on a shape mismatch.
torch::Tensor batch_loss(const torch::Tensor& output, const Batch& batch);

}  // namespace zcnas::proxies
