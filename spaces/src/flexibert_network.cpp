// The FlexiBERT / NAS-Bench-BERT encoder as a NetGraph (structure and references: flexibert.hpp;
// the classes named below are those of aaronserianni/training-free-nas modeling_electra.py).
// Node names follow docs/spaces.md ("Transformer node names").
#include <algorithm>

#include "zcnas/common/error.hpp"
#include "zcnas/spaces/flexibert.hpp"

namespace zcnas::spaces::flexibert {
namespace {

constexpr double kEps = 1e-12;  // ElectraConfig layer_norm_eps

// ElectraSelfOutput: Linear(H, H), residual with the layer input, LayerNorm.
NodeId self_output(NetGraph& g, NodeId ctx, NodeId residual, std::int64_t hidden, const std::string& p) {
  const NodeId o = g.linear(ctx, {hidden, true}, p + "attn.o");
  const NodeId s = g.add_n({o, residual}, p + "attn.residual");
  return g.layer_norm(s, {kEps, true}, p + "attn.norm");
}

// ElectraScaledDotProductAttention / ElectraWeightedMultiplcativeAttention + ElectraSelfOutput.
NodeId self_attention(NetGraph& g, NodeId x, const Layer& l, std::int64_t hidden, const std::string& p) {
  NodeId q = g.linear(x, {hidden, true}, p + "attn.q");
  const NodeId k = g.linear(x, {hidden, true}, p + "attn.k");
  const NodeId v = g.linear(x, {hidden, true}, p + "attn.v");
  if (l.param == "WMA") q = g.linear(q, {hidden, false}, p + "attn.wma");  // self.weight(query)
  const NodeId core = g.attention(q, k, v, {l.heads, false, 0.0}, p + "attn.core");
  return self_output(g, core, x, hidden, p);
}

// ElectraLinearTransform (DFT / DCT): Linear(H, H) then the per-head 2-D transform; its output is
// the layer's "attention output" (no projection, residual or norm).
NodeId linear_transform(NodeId x, NetGraph& g, const Layer& l, std::int64_t hidden, const std::string& p) {
  const NodeId in = g.linear(x, {hidden, true}, p + "attn.input");
  const auto kind = l.param == "DFT" ? TransformKind::DFT : TransformKind::DCT;
  return g.linear_transform(in, {kind, l.heads}, p + "attn.core");
}

// ElectraConvSelfAttention (ConvBERT mixed attention, conv_head_ratio 2) + ElectraSelfOutput.
NodeId conv_self_attention(NetGraph& g, NodeId x, const Layer& l, std::int64_t hidden, const std::string& p) {
  const std::int64_t heads = std::max<std::int64_t>(1, l.heads / 2);
  const std::int64_t head_size = hidden / l.heads;
  const std::int64_t all = heads * head_size;
  const std::int64_t kernel = std::stoll(l.param);
  const NodeId q = g.linear(x, {all, true}, p + "attn.q");
  const NodeId k = g.linear(x, {all, true}, p + "attn.k");
  const NodeId v = g.linear(x, {all, true}, p + "attn.v");
  // SeparableConv1D(H -> all, kernel): depthwise (bias-free) then pointwise; its bias {all} is the pointwise bias here.
  const NodeId dw = g.conv1d(x, {hidden, kernel, kernel / 2, hidden, false}, p + "attn.conv.depthwise");
  const NodeId pw = g.conv1d(dw, {all, 1, 0, 1, true}, p + "attn.conv.pointwise");
  const NodeId prod = g.mul(pw, q, p + "attn.conv.mul");
  const NodeId logits = g.linear(prod, {heads * kernel, true}, p + "attn.conv.kernel");
  const NodeId values = g.linear(x, {all, true}, p + "attn.conv.out");
  const NodeId conv = g.dynamic_conv(values, logits, {heads, kernel}, p + "attn.conv.core");
  const NodeId sa = g.attention(q, k, v, {heads, false, 0.0}, p + "attn.core");
  const NodeId ctx = g.concat({sa, conv}, ConcatAttr{1}, p + "attn.concat");  // [attention heads, conv heads]
  return self_output(g, ctx, x, hidden, p);
}

}  // namespace

std::vector<std::string> datasets() { return {"glue", "cola", "mnli", "mrpc", "qnli", "qqp", "rte", "sst", "sts"}; }

NetConfig config_for(std::string_view dataset) {
  NetConfig cfg;
  if (dataset == "mnli") cfg.num_labels = 3;
  else if (dataset == "sts") cfg.num_labels = 1;  // STS-B is a regression
  else cfg.num_labels = 2;  // "glue" (the mean score): a binary head; only the last layer's width depends on it
  return cfg;
}

NetGraph build(const Arch& a, const NetConfig& cfg) {
  validate(a, "flexibert arch");
  if (cfg.seq_len < 1 || cfg.seq_len > kMaxPositions)
    throw Error("flexibert sequence length " + std::to_string(cfg.seq_len), "outside 1..512",
                "ELECTRA's position table has 512 rows");
  const std::int64_t hidden = cfg.harness ? 256 : a.hidden;
  NetGraph g;
  NodeId x = g.token_input(cfg.seq_len);
  // ElectraEmbeddings: word + token type (all ids 0) + position, LayerNorm; then embeddings_project.
  x = g.embedding(x, {kVocab, kEmbeddingSize}, "embed.tokens");
  x = g.positional_embedding(x, {2, PositionalKind::Row0}, "embed.token_types");
  x = g.positional_embedding(x, {kMaxPositions, PositionalKind::Learned}, "embed.positions");
  x = g.layer_norm(x, {kEps, true}, "embed.norm");
  if (hidden != kEmbeddingSize) x = g.linear(x, {hidden, true}, "embed.project");
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    const Layer& l = a.layers[i];
    const std::string p = "layers." + std::to_string(i) + ".";
    NodeId att = 0;
    switch (l.type) {
      case OpType::SA: att = self_attention(g, x, l, hidden, p); break;
      case OpType::LT: att = linear_transform(x, g, l, hidden, p); break;
      case OpType::DSC: att = conv_self_attention(g, x, l, hidden, p); break;
    }
    // ElectraIntermediate (dense_in, dense_list) and ElectraOutput; hidden_act "gelu" (erf form).
    // Stacked hidden layer j is ffn.<j>.fc1; the down-projection is the last block's fc2.
    const std::int64_t width = cfg.harness ? 1024 : l.ffn_dim;
    NodeId f = att;
    for (std::int64_t j = 0; j < l.n_ffn; ++j) {
      const std::string fj = p + "ffn." + std::to_string(j) + ".";
      f = g.gelu(g.linear(f, {width, true}, fj + "fc1"), fj + "act");
    }
    f = g.linear(f, {hidden, true}, p + "ffn." + std::to_string(l.n_ffn - 1) + ".fc2");
    x = g.layer_norm(g.add_n({f, att}, p + "ffn.residual"), {kEps, true}, p + "ffn.norm");
  }
  if (!cfg.harness && cfg.num_labels > 0) {
    // ElectraClassificationHead: token 0, dense, GELU, out_proj.
    x = g.select_token(x, {0}, "head.cls");
    x = g.gelu(g.linear(x, {hidden, true}, "head.dense"), "head.act");
    x = g.linear(x, {cfg.num_labels, true}, "head.out");
  }
  g.set_output(x);
  return g;
}

}  // namespace zcnas::spaces::flexibert
