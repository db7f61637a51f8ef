// The LiteTransformerSearch GPT-2 decoder as a NetGraph (structure and references: gpt.hpp).
// Node names follow docs/spaces.md ("Transformer node names"): embed.*, layers.<i>.*, head.*.
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/gpt.hpp"

namespace zcnas::spaces::gpt {

std::vector<std::string> datasets() { return {"wt103"}; }

NetConfig config_for(std::string_view dataset) {
  NetConfig cfg;
  if (dataset == "wt103") return cfg;
  if (dataset == "wt103:no-lm-head") {
    cfg.lm_head = false;
    return cfg;
  }
  throw Error("dataset '" + std::string(dataset) + "'", "unknown data set for space gpt",
              "valid: wt103 (with the LM head) or wt103:no-lm-head (the decoder only)");
}

NetGraph build(const Arch& a, const NetConfig& cfg) {
  validate(a, "gpt arch");
  if (cfg.seq_len < 1 || cfg.seq_len > kContext)
    throw Error("gpt sequence length " + std::to_string(cfg.seq_len), "outside 1..192",
                "the position table has 192 rows (the benchmark's tgt_len)");
  const std::int64_t d = a.d_model;
  NetGraph g;
  NodeId x = g.token_input(cfg.seq_len);
  // GPT2ModelFlex: wte = AdaptiveEmbedding(vocab, d_embed, d_model, cutoffs, div_val), wpe = Embedding(192, d_model).
  x = g.adaptive_embedding(x, {kVocab, a.d_embed, d, adaptive_cutoffs(kVocab), a.div_val}, "embed.tokens");
  x = g.positional_embedding(x, {kContext, PositionalKind::Learned}, "embed.positions");
  for (std::size_t i = 0; i < a.n_layer(); ++i) {
    // GPT2BlockFlex: x + attn(ln_1(x)), then x + mlp(ln_2(x)); layer_norm_epsilon 1e-5 (GPT2Config default).
    const std::string p = "layers." + std::to_string(i) + ".";
    const NodeId h = g.layer_norm(x, {1e-5, true}, p + "ln_1");
    const NodeId q = g.linear(h, {d, true}, p + "attn.q");
    const NodeId k = g.linear(h, {d, true}, p + "attn.k");
    const NodeId v = g.linear(h, {d, true}, p + "attn.v");
    const NodeId core = g.attention(q, k, v, {a.n_head[i], true, 0.0}, p + "attn.core");
    const NodeId o = g.linear(core, {d, true}, p + "attn.o");
    x = g.add_n({x, o}, p + "attn.residual");
    const NodeId h2 = g.layer_norm(x, {1e-5, true}, p + "ln_2");
    // GPT2MLPFlex: c_fc -> gelu_new (GPT2Config activation_function, tanh form) -> c_proj.
    const NodeId f1 = g.linear(h2, {a.d_inner[i], true}, p + "ffn.0.fc1");
    const NodeId act = g.gelu(f1, p + "ffn.0.act", {true});
    const NodeId f2 = g.linear(act, {d, true}, p + "ffn.0.fc2");
    x = g.add_n({x, f2}, p + "ffn.residual");
  }
  x = g.layer_norm(x, {1e-5, true}, "ln_f");
  if (cfg.lm_head) {
    // ProjectedAdaptiveLogSoftmax approximated by a full softmax (see gpt.hpp).
    if (a.div_val > 1 || a.d_embed != d) x = g.linear(x, {a.d_embed, false}, "head.out_proj");
    x = g.linear(x, {kVocab, true}, "head.logits");
  }
  g.set_output(x);
  return g;
}

}  // namespace zcnas::spaces::gpt
