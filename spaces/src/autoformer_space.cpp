// The "autoformer", "autoformer_small" and "autoformer_base" spaces behind the Space interface (autoformer.hpp).
#include "transformer_space.hpp"
#include "zcnas/spaces/autoformer.hpp"

namespace zcnas::spaces {
namespace {

std::unique_ptr<Space> make_autoformer(autoformer::Variant v) {
  namespace af = autoformer;
  tfarch::TransformerSpaceDef d;
  d.name = af::space_name(v);
  const char* size = v == af::Variant::Tiny ? "Tiny" : v == af::Variant::Small ? "Small" : "Base";
  d.description = std::string("AutoFormer-") + size + " vision transformers (embed dim, depth, per-layer MLP ratio and heads)" +
                  (v == af::Variant::Tiny ? ", Auto-Prox ground truth on CIFAR-100 / Flowers / Chaoyang" : "");
  if (v == af::Variant::Tiny) {
    d.csv_file = "autoformer_tiny.csv";
    d.id_example = "0";
    d.row_canonical = [](const std::map<std::string, std::string>& row) {
      tfarch::json j;
      for (const char* f : {"embed_dim", "depth", "mlp_ratio", "num_heads"}) j[f] = row.at(f);
      return af::to_json(af::parse(j.dump(), af::Variant::Tiny));
    };
  }
  d.datasets = af::datasets(v);
  d.canonical = [v](std::string_view a) { return af::to_json(af::parse(a, v)); };
  d.sample = [v](Rng& rng) { return af::to_json(af::sample(rng, v)); };
  d.mutate = [v](std::string_view a, Rng& rng) { return af::to_json(af::mutate(af::parse(a, v), v, rng)); };
  d.neighbours = [v](std::string_view a) {
    std::vector<std::string> out;
    for (const auto& n : af::neighbours(af::parse(a, v), v)) out.push_back(af::to_json(n));
    return out;
  };
  d.compile = [v](std::string_view a, std::string_view ds) { return af::build(af::parse(a, v), af::config_for(ds, v)); };
  return tfarch::make_transformer_space(std::move(d));
}

}  // namespace

std::unique_ptr<Space> make_autoformer_space() { return make_autoformer(autoformer::Variant::Tiny); }
std::unique_ptr<Space> make_autoformer_small_space() { return make_autoformer(autoformer::Variant::Small); }
std::unique_ptr<Space> make_autoformer_base_space() { return make_autoformer(autoformer::Variant::Base); }

}  // namespace zcnas::spaces
