#pragma once
// FlexiBERT-tiny encoders of NAS-Bench-BERT (Serianni & Kalita 2023; Tuli et al. 2023 FlexiBERT):
// ../shared/benchdata/flexibert.csv (250 trained archs) in the space of
// ../shared/benchdata/flexibert_search_space.json: hidden size {128, 256}, 2 or 4 layers, per layer
// an operation -- SA (self-attention, SDP scaled dot-product or WMA weighted multiplicative),
// LT (linear transform, DFT or DCT) or DSC (ConvBERT mixed attention with a depthwise-separable
// convolution, kernel 5 or 9) -- with 2 or 4 heads, an FFN of width 512 or 1024 with 1 or 3
// stacked hidden layers. The space object ("flexibert") is registered in builtin.cpp.
//
// Network: the operations of aaronserianni/training-free-nas modeling_electra.py (the authors'
// PyTorch harness): ElectraEmbeddings (word 30522 x 128, learned positions 512 x 128, token type
// row 0 of 2 x 128, LayerNorm eps 1e-12) and embeddings_project Linear 128 -> hidden when hidden
// != 128; per layer
//   SA:  q, k, v Linear(H, H) [WMA: q then a bias-free Linear(H, H)], attention over `heads`,
//        then Linear(H, H) + residual + LayerNorm (ElectraSelfOutput);
//   LT:  Linear(H, H), then the per-head 2-D DFT (real part) or DCT-II over (tokens, head dim);
//        no output projection and no residual around it (ElectraLinearTransform);
//   DSC: ConvBERT's ElectraConvSelfAttention with conv_head_ratio 2: heads' = max(1, heads / 2)
//        attention heads of size H / heads next to heads' dynamic-convolution heads (separable
//        Conv1d H -> H/2 kernel k, times q, Linear to heads' * k kernel logits, softmax, span
//        convolution of Linear(H, H/2) values), concatenated to H, then ElectraSelfOutput;
//   FFN: Linear(H, ffn) + GELU, (num_feed_forward - 1) x [Linear(ffn, ffn) + GELU], Linear(ffn, H)
//        + residual (from the operation's output) + LayerNorm (ElectraIntermediate/ElectraOutput);
// and for a GLUE task ElectraClassificationHead (token 0, Linear(H, H), GELU, Linear(H, labels)).
// Two deliberate differences from the harness, which built every model at hidden 256 with one
// global FFN width 1024 (so its count `params_electra_harness` is not the true size): here the
// arch's hidden size and per-layer FFN widths are used. NetConfig::harness = true rebuilds the
// harness's ElectraModel exactly (hidden 256, every FFN layer 1024, no head); the tests check its
// parameter count equals params_electra_harness for all 250 rows.
//
// Encodings accepted by parse(): a JSON object {"hidden_size": 128, "encoder_layers": [{
// "operation_type": "DSC", "operation_parameter": 9, "num_operation_heads": 4,
// "feed_forward_dimension": 512, "num_feed_forward": 1}, ...]}; the layer list may instead be the
// CSV's "encoder_layers_json" text; numbers may be text. The Space also accepts a flexibert.csv `id`.
// Canonical string: compact JSON with sorted keys (the text benchdb stores as `encoding`);
// operation_parameter an integer for DSC, a string otherwise. Benchmark key: the CSV `id`, else the
// canonical string.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zcnas/spaces/netgraph.hpp"
#include "zcnas/spaces/space.hpp"

namespace zcnas::spaces::flexibert {

inline constexpr std::int64_t kVocab = 30522, kMaxPositions = 512, kEmbeddingSize = 128;

enum class OpType { SA, LT, DSC };
struct Layer {
  OpType type = OpType::SA;
  std::string param;   // SA: "SDP"/"WMA"; LT: "DFT"/"DCT"; DSC: "5"/"9" (the kernel, written as an int in JSON)
  std::int64_t heads = 2, ffn_dim = 512, n_ffn = 1;
  bool operator==(const Layer&) const = default;
};
struct Arch {
  std::int64_t hidden = 128;
  std::vector<Layer> layers;
  bool operator==(const Arch&) const = default;
};

Arch parse(std::string_view text);
void validate(const Arch& a, const std::string& label);
std::string to_json(const Arch& a);  // canonical

// Uniform: hidden, layer count, then per layer type, its parameter, heads, FFN width and depth.
Arch sample(Rng& rng);
// One uniformly chosen move: hidden to the other value, 2 <-> 4 layers (new layers copy random
// existing ones; shrinking drops the last two), or one field of one layer to another value
// (a new operation type draws its parameter).
Arch mutate(const Arch& a, Rng& rng);
// hidden flipped; 2 -> 4 layers (the last layer twice more) or 4 -> 2 (first two kept); per layer
// each other (type, parameter) pair, the other heads, FFN width and FFN depth.
std::vector<Arch> neighbours(const Arch& a);

struct NetConfig {
  std::int64_t seq_len = 128;  // tokens per sample (<= 512)
  std::int64_t num_labels = 2;  // 0: no classification head (output = last hidden states {T, H})
  bool harness = false;         // the NAS-Bench-BERT proxy harness's model (see above)
};
std::vector<std::string> datasets();  // glue, cola, mnli, mrpc, qnli, qqp, rte, sst, sts
NetConfig config_for(std::string_view dataset);  // labels: mnli 3, sts 1 (regression), others 2
NetGraph build(const Arch& a, const NetConfig& cfg);

}  // namespace zcnas::spaces::flexibert
