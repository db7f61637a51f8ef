// autoformer archs: parsing, validation against the variant's value sets, canonical JSON, edit moves.
#include "cell6.hpp"
#include "transformer_arch.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/autoformer.hpp"

namespace zcnas::spaces::autoformer {
namespace {

const std::string kShapeHint =
    "expected {\"embed_dim\": 192, \"depth\": 12, \"mlp_ratio\": [3.5, 4.0, ...], \"num_heads\": [3, 4, ...]} "
    "(one ratio and one head count per layer; lists may be space-separated text)";

}  // namespace

// AutoFormer paper Table 1 (Tiny / Small / Base supernets).
const Choices& choices(Variant v) {
  static const Choices tiny{{192, 216, 240}, {12, 13, 14}, {3, 4}, {3.5, 4.0}};
  static const Choices small{{320, 384, 448}, {12, 13, 14}, {5, 6, 7}, {3.0, 3.5, 4.0}};
  static const Choices base{{528, 576, 624}, {14, 15, 16}, {9, 10}, {3.0, 3.5, 4.0}};
  return v == Variant::Tiny ? tiny : v == Variant::Small ? small : base;
}

std::string space_name(Variant v) {
  return v == Variant::Tiny ? "autoformer" : v == Variant::Small ? "autoformer_small" : "autoformer_base";
}

Arch parse(std::string_view text, Variant v) {
  const std::string label = cell6::input_label(space_name(v), text);
  const auto j = tfarch::parse_object(text, label, kShapeHint);
  tfarch::check_known_fields(j, {"embed_dim", "depth", "mlp_ratio", "num_heads"}, label, kShapeHint);
  Arch a;
  a.embed_dim = tfarch::as_int(tfarch::field(j, "embed_dim", label, kShapeHint), "embed_dim", label);
  for (const auto& x : tfarch::as_list(tfarch::field(j, "mlp_ratio", label, kShapeHint), "mlp_ratio", label))
    a.mlp_ratio.push_back(tfarch::as_double(x, "mlp_ratio element", label));
  for (const auto& x : tfarch::as_list(tfarch::field(j, "num_heads", label, kShapeHint), "num_heads", label))
    a.num_heads.push_back(tfarch::as_int(x, "num_heads element", label));
  if (a.mlp_ratio.size() != a.num_heads.size())
    throw Error(label, "mlp_ratio has " + std::to_string(a.mlp_ratio.size()) + " values but num_heads has " +
                           std::to_string(a.num_heads.size()), "give one ratio and one head count per layer");
  if (j.contains("depth")) {
    const auto d = tfarch::as_int(j["depth"], "depth", label);
    if (d != static_cast<long long>(a.depth()))
      throw Error(label, "depth is " + std::to_string(d) + " but the per-layer lists have " + std::to_string(a.depth()) +
                             " values", "give one ratio and one head count per layer");
  }
  validate(a, v, label);
  return a;
}

void validate(const Arch& a, Variant v, const std::string& label) {
  const auto& c = choices(v);
  tfarch::check_choice(a.embed_dim, c.embed_dim, "embed_dim", label);
  tfarch::check_choice(static_cast<long long>(a.depth()), c.depth, "depth", label);
  if (a.num_heads.size() != a.depth())
    throw Error(label, "num_heads has " + std::to_string(a.num_heads.size()) + " values for depth " + std::to_string(a.depth()),
                "give one head count per layer");
  for (std::size_t i = 0; i < a.depth(); ++i) {
    tfarch::check_choice(a.mlp_ratio[i], c.mlp_ratio, "mlp_ratio of layer " + std::to_string(i), label);
    tfarch::check_choice(a.num_heads[i], c.num_heads, "num_heads of layer " + std::to_string(i), label);
  }
}

std::string to_json(const Arch& a) {
  tfarch::json j;
  j["embed_dim"] = a.embed_dim;
  j["depth"] = a.depth();
  j["mlp_ratio"] = a.mlp_ratio;
  j["num_heads"] = a.num_heads;
  return j.dump();
}

Arch sample(Rng& rng, Variant v) {
  const auto& c = choices(v);
  Arch a;
  a.embed_dim = tfarch::pick(rng, c.embed_dim);
  const auto depth = tfarch::pick(rng, c.depth);
  for (long long i = 0; i < depth; ++i) {
    a.mlp_ratio.push_back(tfarch::pick(rng, c.mlp_ratio));
    a.num_heads.push_back(tfarch::pick(rng, c.num_heads));
  }
  return a;
}

Arch mutate(const Arch& a, Variant v, Rng& rng) {
  const auto& c = choices(v);
  const auto lo = static_cast<std::size_t>(c.depth.front()), hi = static_cast<std::size_t>(c.depth.back());
  Arch m = a;
  switch (tfarch::draw(rng, 4)) {
    case 0: m.embed_dim = tfarch::pick_other(rng, c.embed_dim, static_cast<long long>(m.embed_dim)); break;
    case 1:
      if (m.depth() < hi && (m.depth() == lo || tfarch::draw(rng, 2))) {
        const auto src = tfarch::draw(rng, m.depth());
        m.mlp_ratio.push_back(m.mlp_ratio[src]);
        m.num_heads.push_back(m.num_heads[src]);
      } else {
        m.mlp_ratio.pop_back();
        m.num_heads.pop_back();
      }
      break;
    case 2: {
      const auto i = tfarch::draw(rng, m.depth());
      m.mlp_ratio[i] = tfarch::pick_other(rng, c.mlp_ratio, m.mlp_ratio[i]);
      break;
    }
    default: {
      const auto i = tfarch::draw(rng, m.depth());
      m.num_heads[i] = tfarch::pick_other(rng, c.num_heads, static_cast<long long>(m.num_heads[i]));
      break;
    }
  }
  return m;
}

std::vector<Arch> neighbours(const Arch& a, Variant v) {
  const auto& c = choices(v);
  std::vector<Arch> out;
  for (auto e : c.embed_dim)
    if (e != a.embed_dim) {
      Arch m = a;
      m.embed_dim = e;
      out.push_back(m);
    }
  if (a.depth() < static_cast<std::size_t>(c.depth.back())) {
    Arch m = a;
    m.mlp_ratio.push_back(a.mlp_ratio.back());
    m.num_heads.push_back(a.num_heads.back());
    out.push_back(m);
  }
  if (a.depth() > static_cast<std::size_t>(c.depth.front())) {
    Arch m = a;
    m.mlp_ratio.pop_back();
    m.num_heads.pop_back();
    out.push_back(m);
  }
  for (std::size_t i = 0; i < a.depth(); ++i) {
    for (auto r : c.mlp_ratio)
      if (r != a.mlp_ratio[i]) {
        Arch m = a;
        m.mlp_ratio[i] = r;
        out.push_back(m);
      }
    for (auto h : c.num_heads)
      if (h != a.num_heads[i]) {
        Arch m = a;
        m.num_heads[i] = h;
        out.push_back(m);
      }
  }
  return out;
}

}  // namespace zcnas::spaces::autoformer
