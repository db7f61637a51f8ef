// The "flexibert" space: NAS-Bench-BERT FlexiBERT-tiny encoders behind the Space interface (flexibert.hpp).
#include "transformer_space.hpp"
#include "zcnas/spaces/flexibert.hpp"

namespace zcnas::spaces {

std::unique_ptr<Space> make_flexibert_space() {
  tfarch::TransformerSpaceDef d;
  d.name = "flexibert";
  d.description = "NAS-Bench-BERT FlexiBERT-tiny encoders (hidden 128/256, 2/4 layers of SA/LT/DSC + 1 or 3 FFN layers) on GLUE";
  d.csv_file = "flexibert.csv";
  d.id_example = "3";
  d.datasets = flexibert::datasets();
  d.canonical = [](std::string_view a) { return flexibert::to_json(flexibert::parse(a)); };
  d.row_canonical = [](const std::map<std::string, std::string>& row) {
    tfarch::json j;
    j["hidden_size"] = row.at("hidden_size");
    j["encoder_layers_json"] = row.at("encoder_layers_json");
    return flexibert::to_json(flexibert::parse(j.dump()));
  };
  d.sample = [](Rng& rng) { return flexibert::to_json(flexibert::sample(rng)); };
  d.mutate = [](std::string_view a, Rng& rng) { return flexibert::to_json(flexibert::mutate(flexibert::parse(a), rng)); };
  d.neighbours = [](std::string_view a) {
    std::vector<std::string> out;
    for (const auto& n : flexibert::neighbours(flexibert::parse(a))) out.push_back(flexibert::to_json(n));
    return out;
  };
  d.compile = [](std::string_view a, std::string_view ds) {
    return flexibert::build(flexibert::parse(a), flexibert::config_for(ds));
  };
  return tfarch::make_transformer_space(std::move(d));
}

}  // namespace zcnas::spaces
