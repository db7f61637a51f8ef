#pragma once
// AutoFormer vision transformers (Chen et al., ICCV 2021, "AutoFormer: Searching Transformers for
// Visual Recognition"; microsoft/Cream AutoFormer). Three spaces, the value sets of the paper's
// Table 1: "autoformer" = AutoFormer-Tiny (embed 192/216/240, depth 12-14, per-layer MLP ratio
// 3.5/4 and heads 3/4) -- the 100 archs of ../shared/benchdata/autoformer_tiny.csv, trained from
// scratch by Auto-Prox (lliai/Auto-Prox-AAAI24); "autoformer_small" (embed 320/384/448, depth
// 12-14, MLP 3/3.5/4, heads 5/6/7) and "autoformer_base" (embed 528/576/624, depth 14-16,
// MLP 3/3.5/4, heads 9/10), no benchmark.
//
// Network. Tiny follows the model that produced the ground truth, Auto-Prox's AutoFormerSub
// (pycls/models/auto/autoformer_subnet.py + common.py): 224x224 input (pycls MODEL.IMG_SIZE default;
// CIFAR-100 / Flowers / Chaoyang images are resized to it), 16x16 patch embedding (Conv2d with
// bias) -> 196 tokens, a cls token, a learned position table of 197 rows; pre-norm blocks
// (LayerNorm eps 1e-6) with attention whose q/k/v width is the embed dim (qkv Linear(E, 3E) with
// bias, head dim E / heads, no relative position encoding), projection Linear(E, E), and an MLP
// Linear(E, int(E * ratio)) - GELU - Linear(.., E); a final LayerNorm; the classifier reads the
// mean of the 196 patch tokens, without the cls token (forward_features: torch.mean(x[:, 1:], dim=1);
// IR: mean_tokens with MeanTokensAttr{first = 1}).
// Small / Base use AutoFormer's own q/k/v width heads * 64 (Cream supernet: head dim 64; their
// embed dims are not divisible by every head count), projection Linear(heads * 64, E); otherwise as
// Tiny (Cream's relative position encoding is not modelled).
// Data sets: cifar100 (100 classes), flowers (102), chaoyang (4), imagenet (1000; its benchmark
// column is the supernet-inherited accuracy, ranked here with the same stand-alone network).
//
// Encoding: a JSON object {"embed_dim": 192, "depth": 12, "mlp_ratio": [3.5, 4.0, ...],
// "num_heads": [4, 3, ...]}; lists may be the CSV's space-separated text, depth may be omitted.
// The "autoformer" space also accepts an autoformer_tiny.csv `id`. Canonical string: compact JSON
// with sorted keys, ratios as floats ("4.0") -- benchdb's stored encoding. Benchmark key: the CSV
// `id`, else the canonical string.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zcnas/spaces/netgraph.hpp"
#include "zcnas/spaces/space.hpp"

namespace zcnas::spaces::autoformer {

enum class Variant { Tiny, Small, Base };
struct Choices {
  std::vector<long long> embed_dim, depth, num_heads;
  std::vector<double> mlp_ratio;
};
const Choices& choices(Variant v);
std::string space_name(Variant v);  // autoformer, autoformer_small, autoformer_base

struct Arch {
  std::int64_t embed_dim = 192;
  std::vector<double> mlp_ratio;       // one per layer
  std::vector<std::int64_t> num_heads;  // one per layer
  std::size_t depth() const { return mlp_ratio.size(); }
  bool operator==(const Arch&) const = default;
};

Arch parse(std::string_view text, Variant v);
void validate(const Arch& a, Variant v, const std::string& label);
std::string to_json(const Arch& a);  // canonical

Arch sample(Rng& rng, Variant v);  // uniform: embed dim, depth, then per layer ratio and heads
// One uniformly chosen move: embed dim, depth +-1 (a new last layer copies a random layer), or
// one layer's MLP ratio or heads to another value.
Arch mutate(const Arch& a, Variant v, Rng& rng);
// every other embed dim; depth +-1 (new last layer = copy of the last); per layer every other
// ratio and head count.
std::vector<Arch> neighbours(const Arch& a, Variant v);

struct NetConfig {
  std::int64_t img_size = 224, patch = 16;  // img_size a multiple of patch
  std::int64_t num_classes = 100;
  bool head_dim_64 = false;                 // Small/Base: q/k/v width heads * 64
};
std::vector<std::string> datasets(Variant v);  // Tiny: cifar100, flowers, chaoyang, imagenet; Small/Base: imagenet
NetConfig config_for(std::string_view dataset, Variant v);
NetGraph build(const Arch& a, const NetConfig& cfg);

}  // namespace zcnas::spaces::autoformer
