#pragma once
// GPT-2 decoders of LiteTransformerSearch (Javaheripi et al., NeurIPS 2022; microsoft/archai
// branch neurips-lts), the 200 random archs of ../shared/benchdata/gpt2_wt103.csv trained on
// WikiText-103 with the GPT-2 tokenizer. The space object ("gpt") is registered in builtin.cpp.
//
// Network (archai archai/nlp/models/hf_gpt2/hf_gpt2_utils/gpt2_lm_head_model_flex.py,
// GPT2LMHeadModelFlex): adaptive input embedding (archai model_utils/adaptive_embedding.py;
// vocabulary 50264, archai's default cutoffs {19997, 39997, 199997} cleaned to {19997, 39997, 50264},
// d_embed / div_val^i dims per cluster, projected to d_model, scaled by sqrt(d_model)) plus a learned
// position table of 192 rows (the context length); n_layer pre-norm HF GPT-2 blocks with a
// per-layer FFN width d_inner[i] and head count n_head[i] (head dim d_model / n_head[i]; the
// Conv1D c_attn {d, 3d} with bias is three Linear d->d with bias here: same parameters); ln_f;
// the LM head. Checked against the benchmark: the non-embedding parameters of the built module
// equal `params_nonembedding` for all 200 rows (tests/spaces/test_gpt.cpp).
//
// The LM head is an approximation: archai's ProjectedAdaptiveLogSoftmax (adaptive softmax over
// 3 clusters, output weights tied to the embedding tables, projections tied for the tail
// clusters) is built as a full softmax over the 50264 tokens: "head.out_proj" (Linear
// d_model -> d_embed, no bias; the untied head-cluster projection, present iff div_val > 1 or
// d_model != d_embed) then "head.logits" (Linear d_embed -> 50264 with bias; its weight stands
// for the tied output embedding, so the built total exceeds the benchmark's `params_total` by
// 50264 * d_embed - (2 * d_embed + 2): the tied weight counted twice, the 2 cluster logits absent).
// Proxies that need no LM head compile the dataset "wt103:no-lm-head" (or NetConfig.lm_head =
// false): the graph then ends at ln_f with output {T, d_model} (a 50k-vocabulary head at batch
// 128 x 128 is ~3 GB of logits).
//
// Encodings accepted by parse(): a JSON object {"n_layer": 5, "d_model": 128, "d_embed": 256,
// "div_val": 4, "d_inner": [1071, 640, 1286, 800, 1871], "n_head": [2, 4, 4, 8, 8]} whose numbers
// may also be written as text and whose lists may be the CSV's space-separated text
// ("1071 640 1286 800 1871"); n_layer may be omitted (it is the list length); "n_token" (50264)
// and "tgt_len" (192) may be given and must have those values. The Space also accepts a CSV `id`
// ("config_0_j0") when the benchmark file is found (see transformer_arch.hpp).
// Canonical string: the compact JSON with sorted keys, all six fields, lists as arrays of ints --
// the same text benchdb stores as the arch's `encoding`. Benchmark key: the CSV `id`; an arch
// that is not one of the 200 rows (or with no benchmark file found) has its canonical string as key.
//
// Value sets (sample/mutate/validate): those of the 200 shipped archs -- n_layer 2..16, d_model
// {64, 128, 256, 512}, d_embed {128, 256, 512}, div_val {1, 2, 4}, n_head {2, 4, 8}, d_inner an
// integer in [512, 2048]. (LTS's own sampler is not shipped with the benchmark; these are the ranges
// its random archs cover.)
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zcnas/spaces/netgraph.hpp"
#include "zcnas/spaces/space.hpp"

namespace zcnas::spaces::gpt {

inline constexpr std::int64_t kVocab = 50264;
inline constexpr std::int64_t kContext = 192;  // tgt_len: rows of the position table
inline constexpr std::int64_t kMinLayers = 2, kMaxLayers = 16;
inline constexpr std::int64_t kMinInner = 512, kMaxInner = 2048;
const std::vector<long long>& d_model_choices();
const std::vector<long long>& d_embed_choices();
const std::vector<long long>& div_val_choices();
const std::vector<long long>& n_head_choices();

struct Arch {
  std::int64_t d_model = 0, d_embed = 0, div_val = 1;
  std::vector<std::int64_t> d_inner, n_head;  // one per layer
  std::size_t n_layer() const { return d_inner.size(); }
  bool operator==(const Arch&) const = default;
};

// Throws zcnas::Error naming the text (malformed JSON, missing/ill-typed field, list lengths
// differing from n_layer, a value outside the space).
Arch parse(std::string_view text);
void validate(const Arch& a, const std::string& label);
std::string to_json(const Arch& a);  // canonical

// Uniform over the value sets (n_layer uniform in 2..16, then every layer's d_inner and n_head).
Arch sample(Rng& rng);
// One uniformly chosen move: n_layer +-1 (a new last layer copies a random layer), d_model,
// d_embed or div_val to another value, or one layer's n_head to another value or d_inner redrawn.
Arch mutate(const Arch& a, Rng& rng);
// n_layer +-1 (new last layer = copy of the last), every other d_model / d_embed / div_val,
// per layer every other n_head and d_inner +-64 (clamped to the range, when different).
std::vector<Arch> neighbours(const Arch& a);

struct NetConfig {
  std::int64_t seq_len = kContext;  // tokens per sample, <= kContext
  bool lm_head = true;
};
std::vector<std::string> datasets();  // wt103
// "wt103" -> LM head on; "wt103:no-lm-head" -> off. Throws for anything else.
NetConfig config_for(std::string_view dataset);
NetGraph build(const Arch& a, const NetConfig& cfg);

}  // namespace zcnas::spaces::gpt
