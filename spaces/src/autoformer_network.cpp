// The AutoFormer vision transformer as a NetGraph (structure and references: autoformer.hpp).
// Node names follow docs/spaces.md ("Transformer node names").
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/autoformer.hpp"

namespace zcnas::spaces::autoformer {

std::vector<std::string> datasets(Variant v) {
  if (v == Variant::Tiny) return {"cifar100", "flowers", "chaoyang", "imagenet"};
  return {"imagenet"};
}

NetConfig config_for(std::string_view dataset, Variant v) {
  NetConfig cfg;
  cfg.head_dim_64 = v != Variant::Tiny;
  if (dataset == "cifar100") cfg.num_classes = 100;
  else if (dataset == "flowers") cfg.num_classes = 102;   // Oxford Flowers-102
  else if (dataset == "chaoyang") cfg.num_classes = 4;    // Chaoyang pathology: 4 classes
  else if (dataset == "imagenet") cfg.num_classes = 1000;
  else throw Error("dataset '" + std::string(dataset) + "'", "unknown data set for space " + space_name(v), "see datasets()");
  return cfg;
}

NetGraph build(const Arch& a, const NetConfig& cfg) {
  if (cfg.patch < 1 || cfg.img_size < cfg.patch || cfg.img_size % cfg.patch != 0)
    throw Error("autoformer image size " + std::to_string(cfg.img_size), "is not a multiple of the patch size " + std::to_string(cfg.patch),
                "use 224 (the benchmark's) or another multiple of 16");
  const std::int64_t e = a.embed_dim;
  const std::int64_t tokens = (cfg.img_size / cfg.patch) * (cfg.img_size / cfg.patch) + 1;
  constexpr double kEps = 1e-6;  // pycls TRANSFORMER.LN_EPS
  NetGraph g;
  NodeId x = g.input({3, cfg.img_size, cfg.img_size});
  x = g.patch_embed(x, {cfg.patch, e, true}, "embed.patch");
  x = g.cls_token(x, "embed.cls");
  x = g.positional_embedding(x, {tokens, PositionalKind::Learned}, "embed.positions");
  for (std::size_t i = 0; i < a.depth(); ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    const std::int64_t heads = a.num_heads[i];
    if (!cfg.head_dim_64 && e % heads != 0)
      throw Error("autoformer arch", "embed_dim " + std::to_string(e) + " is not divisible by " + std::to_string(heads) + " heads",
                  "the Auto-Prox network splits the embed dim over the heads");
    const std::int64_t qkv = cfg.head_dim_64 ? heads * 64 : e;
    const NodeId h = g.layer_norm(x, {kEps, true}, p + "ln_1");
    const NodeId q = g.linear(h, {qkv, true}, p + "attn.q");
    const NodeId k = g.linear(h, {qkv, true}, p + "attn.k");
    const NodeId v = g.linear(h, {qkv, true}, p + "attn.v");
    const NodeId core = g.attention(q, k, v, {heads, false, 0.0}, p + "attn.core");
    const NodeId o = g.linear(core, {e, true}, p + "attn.o");
    x = g.add_n({x, o}, p + "attn.residual");
    const NodeId h2 = g.layer_norm(x, {kEps, true}, p + "ln_2");
    // MLP hidden width int(E * ratio) (Auto-Prox common.py MLP; exact for these ratios).
    const auto width = static_cast<std::int64_t>(static_cast<double>(e) * a.mlp_ratio[i]);
    const NodeId f1 = g.linear(h2, {width, true}, p + "ffn.0.fc1");
    const NodeId f2 = g.linear(g.gelu(f1, p + "ffn.0.act"), {e, true}, p + "ffn.0.fc2");
    x = g.add_n({x, f2}, p + "ffn.residual");
  }
  x = g.layer_norm(x, {kEps, true}, "ln_f");
  x = g.mean_tokens(x, "head.pool", {1});  // the patch tokens only: Auto-Prox's torch.mean(x[:, 1:], dim=1)
  x = g.linear(x, {cfg.num_classes, true}, "head.fc");
  g.set_output(x);
  return g;
}

}  // namespace zcnas::spaces::autoformer
