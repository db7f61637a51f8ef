#pragma once
// What the transformer proxies read from a compiled transformer network, and the
// per-tensor terms of the NAS-Bench-BERT proxies (Serianni & Kalita, "Training-free
// Neural Architecture Search for RNNs and Transformers", ACL 2023; code
// aaronserianni/training-free-nas, BERT_metrics.ipynb). See docs/proxies.md,
// "Transformer proxies".
//
// Node naming (spaces flexibert / gpt / autoformer): per encoder layer i,
// `layers.<i>.ffn.<j>.fc1` the first linear of FFN block j (its output is pre-GELU),
// `layers.<i>.attn.{q,k,v,o}` the attention projections, `layers.<i>.attn.core` the
// parameter-free attention core, embeddings `embed.*`, the head `head.*`.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "zcnas/spaces/netgraph.hpp"

namespace zcnas::proxies {

struct TransformerNodes {
  // W-PCA's matrices: per layer, the first FFN linear (`layers.<i>.ffn.0.fc1`, or the
  // layer's lowest j), in layer order.
  std::vector<spaces::NodeId> ffn_first_linear;
  // Every GELU under `layers.<i>.ffn.` (activation distance reads their outputs).
  std::vector<spaces::NodeId> ffn_gelus;
  // Token-mixing linears whose outputs head confidence reads: the reference hooks
  // query/key/value (SA, DSC), WMA's `weight` and LT's `input` projection -- every Linear
  // under `layers.<i>.attn.` except the output projection `o` and ConvBERT's span-conv
  // linears (DSC's `conv_kernel`, `conv_out`), which the reference does not hook.
  std::vector<spaces::NodeId> head_projections;
  // Every Linear under `layers.<i>.attn.` (the reference's `layer.operation.modules()`,
  // synaptic diversity).
  std::vector<spaces::NodeId> mixing_linears;
  // Attention cores (OpKind::Attention) and linear-transform mixers (OpKind::LinearTransform)
  // under `layers.`: head softmax confidence recomputes their softmax.
  std::vector<spaces::NodeId> attention_cores, linear_transforms;
  // The last hidden state: the node feeding the first `head.*` node (the graph output when
  // there is no head). Proxies that do not need the LM / classifier head stop here.
  spaces::NodeId body_output = -1;
  int layers = 0;  // number of `layers.<i>` blocks
};
// Throws zcnas::Error when the graph has no `layers.<i>` block (not a transformer).
TransformerNodes transformer_nodes(const spaces::NetGraph& g);

// A copy of g whose output is `out` (later nodes become dead: the executor skips them
// but still owns and initialises their parameters, so every weight equals the full
// network's for the same seed).
spaces::NetGraph with_output(const spaces::NetGraph& g, spaces::NodeId out);

// The attention probabilities of an Attention node from its q and k inputs ([N, T, A]):
// [N, heads, T, T], softmax(q_h k_h^T * scale [+ causal mask]) as the executor computes them.
torch::Tensor attention_probabilities(const torch::Tensor& q, const torch::Tensor& k, const spaces::AttentionAttr& a);

// ---- NAS-Bench-BERT terms (each proxy sums its term over the nodes listed above) ----
// head confidence: mean over batch and features of the max over the sequence of a
// projection's output [N, T, D] (torch.mean(torch.max(output, 1)[0])).
double head_confidence_term(const torch::Tensor& projection_out);
// head softmax confidence: mean of the max over dim 1 (the heads) of softmax outputs
// [N, H, ...] (the same expression on the softmax module's output).
double softmax_confidence_term(const torch::Tensor& probabilities);
// activation distance: x = (act > 0) of the FIRST sequence of the batch, [T, F]; the sum
// of all entries of x x^T + (1 - x)(1 - x)^T (T x T agreement counts of the tokens'
// activation patterns), computed as sum_f c_f^2 + (T - c_f)^2, c_f = active tokens of unit f.
double activation_distance_term(const torch::Tensor& act);
// synaptic diversity: |nuclear norm of W x nuclear norm of dR/dW| for one linear weight.
double synaptic_diversity_term(const torch::Tensor& weight, const torch::Tensor& grad);

}  // namespace zcnas::proxies
