#pragma once
// Benchmark keys and encodings used by the importer and by `--arch` lookups when
// a space is not (yet) registered. Keys per space: docs/schema.md.
#include <string>
#include <string_view>

namespace zcnas::benchdb {

// "(4, 3, 3, 3, 2, 3)" -> "432323" (each element one digit in [0, max_digit]).
// Throws zcnas::Error naming `where` when the tuple is malformed.
std::string digits_from_tuple(std::string_view tuple, int n, int max_digit, const std::string& where);

// "(0, 1, ..., 1)" (56 ints) -> "0,1,...,1" (the NB101 key).
std::string nb101_key_from_tuple(std::string_view tuple, const std::string& where);

// The transformer spaces' arch as normalised JSON text (sorted keys, fixed types):
//   flexibert:  {"encoder_layers":[{...}, ...], "hidden_size":N}
//   gpt:        {"d_embed":N,"d_inner":[..],"d_model":N,"div_val":N,"n_head":[..],"n_layer":N}
//   autoformer: {"depth":N,"embed_dim":N,"mlp_ratio":[x.x,..],"num_heads":[..]}
// `json_text` may hold extra fields (ignored) but must have all of these.
// Throws zcnas::Error naming `where` and the missing/ill-typed field.
std::string transformer_encoding(std::string_view space, std::string_view json_text, const std::string& where);
bool is_transformer_space(std::string_view space);

}  // namespace zcnas::benchdb
