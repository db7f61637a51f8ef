// The "gpt" space: LiteTransformerSearch GPT-2 decoders behind the Space interface (gpt.hpp).
#include "transformer_space.hpp"
#include "zcnas/spaces/gpt.hpp"

namespace zcnas::spaces {

std::unique_ptr<Space> make_gpt_space() {
  tfarch::TransformerSpaceDef d;
  d.name = "gpt";
  d.description = "LiteTransformerSearch GPT-2 decoders (2-16 layers, per-layer FFN width and heads, adaptive embedding) "
                  "on WikiText-103";
  d.csv_file = "gpt2_wt103.csv";
  d.id_example = "config_0_j0";
  d.datasets = gpt::datasets();
  d.unlisted_datasets = {"wt103:no-lm-head"};
  d.canonical = [](std::string_view a) { return gpt::to_json(gpt::parse(a)); };
  d.row_canonical = [](const std::map<std::string, std::string>& row) {
    tfarch::json j;
    for (const char* f : {"n_layer", "d_model", "d_embed", "div_val", "d_inner", "n_head", "n_token", "tgt_len"})
      j[f] = row.at(f);
    return gpt::to_json(gpt::parse(j.dump()));
  };
  d.sample = [](Rng& rng) { return gpt::to_json(gpt::sample(rng)); };
  d.mutate = [](std::string_view a, Rng& rng) { return gpt::to_json(gpt::mutate(gpt::parse(a), rng)); };
  d.neighbours = [](std::string_view a) {
    std::vector<std::string> out;
    for (const auto& n : gpt::neighbours(gpt::parse(a))) out.push_back(gpt::to_json(n));
    return out;
  };
  d.compile = [](std::string_view a, std::string_view ds) { return gpt::build(gpt::parse(a), gpt::config_for(ds)); };
  return tfarch::make_transformer_space(std::move(d));
}

}  // namespace zcnas::spaces
