// Parameter and FLOP counts from the IR alone.
//
// FLOPs follow NASLib: NAS-Bench-Suite-Zero's `flops` are tensorwatch ModelStats(model,
// [1, *input]).Flops / 1e6 (NASLib naslib/predictors/utils/pruners/predictive.py,
// find_measures). tensorwatch (microsoft/tensorwatch, model_graph/torchstat/analyzer.py and
// compute_flops.py) hooks every *leaf* module, records the stats of its last call in forward
// and counts per module type:
//   nn.Conv2d            k_h*k_w*in_c*(out_c/groups)*out_h*out_w (+ out_c*out_h*out_w with bias)
//   nn.BatchNorm2d       numel(input), x2 when affine
//   nn.ReLU/LeakyReLU    numel(input)
//   nn.AvgPool2d/Max     C*out_h*out_w*k*k
//   nn.AdaptiveAvgPool2d sum over output cells of C*(rows+1)*(cols+1); for output 1x1: C*(H+1)*(W+1)
//                        (a GlobalAvgPool marked `functional`, torch.mean in the reference: 0)
//   nn.Linear            in*out (no bias term)
//   nn.Upsample          numel(output)
//   anything else        0 -- including nn.ConvTranspose2d (not an nn.Conv2d subclass), Tanh,
//                        Sigmoid, padding, and functional ops (adds, cat, x*0, reshapes).
//                        The ops added for ONNX import (Mul, HardSwish, HardSigmoid, Clip, Softmax)
//                        are counted as 0 too (our choice: they are not in the list above).
//                        Transformer ops (issue 10): PatchEmbed is an nn.Conv2d in the reference
//                        (AutoFormer's patch_embed.proj) and counted as that conv; Linear on {T, D}
//                        is T*D*out (numel(input) * out, tensorwatch's formula); everything else --
//                        embeddings, LayerNorm, GELU, nn.Conv1d (not a Conv2d), the attention
//                        matmuls, the linear transforms, dynamic convolution, token pooling -- is 0.
// Because only a module's last call counts, a weight-shared tower run n times (the
// TransNAS-Bench-101 jigsaw Siamese encoder over 9 tiles) is counted once: we count the
// nodes between FoldTiles/UnfoldTiles per tile, which reproduces NASLib's numbers.
#include "zcnas/spaces/counting.hpp"

#include "zcnas/common/error.hpp"

namespace zcnas::spaces {
namespace {

std::int64_t numel(const Shape& s) {
  std::int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

std::int64_t node_param_count(const NetGraph& g, const Node& n) {
  std::int64_t total = 0;
  {
    switch (n.op) {
      case OpKind::Conv2d:
      case OpKind::ConvTranspose2d: {
        const auto& a = n.as<Conv2dAttr>();
        const auto in_c = g.node(n.inputs[0]).shape[0];
        total += in_c / a.groups * a.out_channels * a.kernel * a.kernel + (a.bias ? a.out_channels : 0);
        break;
      }
      case OpKind::Linear: {
        const auto& a = n.as<LinearAttr>();
        const auto in_f = g.node(n.inputs[0]).shape.back();
        total += in_f * a.out_features + (a.bias ? a.out_features : 0);
        break;
      }
      case OpKind::BatchNorm2d:
        if (n.as<BatchNormAttr>().affine) total += 2 * n.shape[0];
        break;
      case OpKind::Embedding: {
        const auto& a = n.as<EmbeddingAttr>();
        total += a.num_embeddings * a.dim;
        break;
      }
      case OpKind::AdaptiveEmbedding: {
        const auto& a = n.as<AdaptiveEmbeddingAttr>();
        if (a.div_val == 1) {
          total += a.n_token * a.d_embed + (a.d_proj != a.d_embed ? a.d_proj * a.d_embed : 0);
        } else {
          std::int64_t lo = 0, div = 1;
          for (auto hi : a.cutoffs) {
            const auto d = a.d_embed / div;
            total += (hi - lo) * d + a.d_proj * d;
            lo = hi;
            div *= a.div_val;
          }
        }
        break;
      }
      case OpKind::PositionalEmbedding:
        if (n.as<PositionalEmbeddingAttr>().kind != PositionalKind::Sinusoidal)
          total += n.as<PositionalEmbeddingAttr>().rows * n.shape.back();
        break;
      case OpKind::PatchEmbed: {
        const auto& a = n.as<PatchEmbedAttr>();
        total += a.dim * g.node(n.inputs[0]).shape[0] * a.patch * a.patch + (a.bias ? a.dim : 0);
        break;
      }
      case OpKind::ClsToken:
        total += n.shape.back();
        break;
      case OpKind::LayerNorm:
        if (n.as<LayerNormAttr>().affine) total += 2 * n.shape.back();
        break;
      case OpKind::Conv1d: {
        const auto& a = n.as<Conv1dAttr>();
        total += g.node(n.inputs[0]).shape.back() / a.groups * a.out_channels * a.kernel + (a.bias ? a.out_channels : 0);
        break;
      }
      default:
        break;
    }
  }
  return total;
}

}  // namespace

std::int64_t param_count(const NetGraph& g) {
  std::int64_t total = 0;
  for (const Node& n : g.nodes()) total += node_param_count(g, n);
  return total;
}

std::int64_t embedding_param_count(const NetGraph& g) {
  std::int64_t total = 0;
  for (const Node& n : g.nodes())
    if (n.is_embedding()) total += node_param_count(g, n);
  return total;
}

double flops_naslib(const NetGraph& g) {
  const auto live = g.live_nodes();  // the executor never runs dead nodes, so no hook fires for them
  double total = 0;
  for (NodeId id = 0; id < static_cast<NodeId>(g.size()); ++id) {
    if (!live[id]) continue;
    const Node& n = g.node(id);
    const Shape& in = n.inputs.empty() ? n.shape : g.node(n.inputs[0]).shape;
    switch (n.op) {
      case OpKind::Conv2d: {
        const auto& a = n.as<Conv2dAttr>();
        const double positions = static_cast<double>(n.shape[1] * n.shape[2]);
        total += static_cast<double>(a.kernel * a.kernel * in[0] * (a.out_channels / a.groups)) * positions;
        if (a.bias) total += static_cast<double>(a.out_channels) * positions;
        break;
      }
      case OpKind::BatchNorm2d:
        total += static_cast<double>(numel(in)) * (n.as<BatchNormAttr>().affine ? 2.0 : 1.0);
        break;
      case OpKind::ReLU:
      case OpKind::LeakyReLU:
        total += static_cast<double>(numel(in));
        break;
      case OpKind::AvgPool2d:
      case OpKind::MaxPool2d: {
        const auto& a = n.as<PoolAttr>();
        total += static_cast<double>(numel(n.shape) * a.kernel * a.kernel);
        break;
      }
      case OpKind::GlobalAvgPool:
        if (const auto* a = std::get_if<GlobalPoolAttr>(&n.attr); a && a->functional) break;  // torch.mean: no hook
        total += static_cast<double>(in[0] * (in[1] + 1) * (in[2] + 1));
        break;
      case OpKind::Linear:
        total += static_cast<double>(numel(in)) * static_cast<double>(n.as<LinearAttr>().out_features);
        break;
      case OpKind::Upsample2d:
        total += static_cast<double>(numel(n.shape));
        break;
      case OpKind::PatchEmbed: {  // nn.Conv2d(C, dim, p, stride p) on {C,H,W}
        const auto& a = n.as<PatchEmbedAttr>();
        const double positions = static_cast<double>(n.shape[0]);
        total += static_cast<double>(a.patch * a.patch * in[0] * a.dim) * positions;
        if (a.bias) total += static_cast<double>(a.dim) * positions;
        break;
      }
      default:
        break;
    }
  }
  return total;
}

}  // namespace zcnas::spaces
