// flexibert archs: parsing, validation against flexibert_search_space.json, canonical JSON,
// and the edit moves.
#include <algorithm>

#include "cell6.hpp"
#include "transformer_arch.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/flexibert.hpp"

namespace zcnas::spaces::flexibert {
namespace {

const std::string kShapeHint =
    "expected {\"hidden_size\": 128, \"encoder_layers\": [{\"operation_type\": \"SA\", \"operation_parameter\": \"SDP\", "
    "\"num_operation_heads\": 2, \"feed_forward_dimension\": 512, \"num_feed_forward\": 1}, ...]} (2 or 4 layers)";
const std::vector<std::string> kLayerFields = {"operation_type", "operation_parameter", "num_operation_heads",
                                               "feed_forward_dimension", "num_feed_forward"};

// ../shared/benchdata/flexibert_search_space.json
const std::vector<long long> kHidden{128, 256}, kNumLayers{2, 4}, kHeads{2, 4}, kFfn{512, 1024}, kNumFfn{1, 3};
struct TypeParams {
  OpType type;
  const char* name;
  std::vector<std::string> params;
};
const std::vector<TypeParams>& kTypes() {
  static const std::vector<TypeParams> t{{OpType::SA, "SA", {"SDP", "WMA"}}, {OpType::LT, "LT", {"DFT", "DCT"}},
                                         {OpType::DSC, "DSC", {"5", "9"}}};
  return t;
}
const TypeParams& type_info(OpType t) { return kTypes()[static_cast<int>(t)]; }

Layer parse_layer(const tfarch::json& l, std::size_t i, const std::string& label) {
  const std::string where = "layer " + std::to_string(i);
  if (!l.is_object()) throw Error(label, where + " is not an object", kShapeHint);
  tfarch::check_known_fields(l, kLayerFields, label, kShapeHint);
  Layer out;
  const auto& t = tfarch::field(l, "operation_type", label, kShapeHint);
  const TypeParams* info = nullptr;
  for (const auto& ti : kTypes())
    if (t.is_string() && t.get<std::string>() == ti.name) info = &ti;
  if (!info) throw Error(label, where + " has operation_type " + t.dump() + ", not SA, LT or DSC", kShapeHint);
  out.type = info->type;
  const auto& p = tfarch::field(l, "operation_parameter", label, kShapeHint);
  out.param = out.type == OpType::DSC ? std::to_string(tfarch::as_int(p, where + " operation_parameter", label))
                                      : (p.is_string() ? p.get<std::string>() : p.dump());
  if (std::find(info->params.begin(), info->params.end(), out.param) == info->params.end()) {
    std::string valid;
    for (const auto& v : info->params) valid += (valid.empty() ? "" : ", ") + v;
    throw Error(label, where + " has operation_parameter " + p.dump() + ", not valid for " + info->name,
                std::string(info->name) + " takes " + valid);
  }
  out.heads = tfarch::as_int(tfarch::field(l, "num_operation_heads", label, kShapeHint), where + " num_operation_heads", label);
  out.ffn_dim = tfarch::as_int(tfarch::field(l, "feed_forward_dimension", label, kShapeHint), where + " feed_forward_dimension", label);
  out.n_ffn = tfarch::as_int(tfarch::field(l, "num_feed_forward", label, kShapeHint), where + " num_feed_forward", label);
  return out;
}

Layer random_layer(Rng& rng) {
  Layer l;
  const auto& ti = kTypes()[tfarch::draw(rng, kTypes().size())];
  l.type = ti.type;
  l.param = tfarch::pick(rng, ti.params);
  l.heads = tfarch::pick(rng, kHeads);
  l.ffn_dim = tfarch::pick(rng, kFfn);
  l.n_ffn = tfarch::pick(rng, kNumFfn);
  return l;
}

}  // namespace

Arch parse(std::string_view text) {
  const std::string label = cell6::input_label("flexibert", text);
  const auto j = tfarch::parse_object(text, label, kShapeHint);
  tfarch::check_known_fields(j, {"hidden_size", "encoder_layers", "encoder_layers_json"}, label, kShapeHint);
  Arch a;
  a.hidden = tfarch::as_int(tfarch::field(j, "hidden_size", label, kShapeHint), "hidden_size", label);
  if (j.contains("encoder_layers") == j.contains("encoder_layers_json"))
    throw Error(label, j.contains("encoder_layers") ? "gives both encoder_layers and encoder_layers_json" : "lacks the field \"encoder_layers\"",
                kShapeHint);
  tfarch::json layers = j.contains("encoder_layers") ? j["encoder_layers"] : j["encoder_layers_json"];
  if (layers.is_string()) {
    try {
      layers = tfarch::json::parse(layers.get<std::string>());
    } catch (const tfarch::json::parse_error&) {
      throw Error(label, "encoder_layers_json is not valid JSON", kShapeHint);
    }
  }
  if (!layers.is_array()) throw Error(label, "encoder_layers is not a list of layer objects", kShapeHint);
  for (std::size_t i = 0; i < layers.size(); ++i) a.layers.push_back(parse_layer(layers[i], i, label));
  validate(a, label);
  return a;
}

void validate(const Arch& a, const std::string& label) {
  tfarch::check_choice(a.hidden, kHidden, "hidden_size", label);
  tfarch::check_choice(static_cast<long long>(a.layers.size()), kNumLayers, "the number of layers", label);
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    const auto& l = a.layers[i];
    const std::string where = "layer " + std::to_string(i);
    const auto& ps = type_info(l.type).params;
    if (std::find(ps.begin(), ps.end(), l.param) == ps.end())
      throw Error(label, where + " has operation_parameter " + l.param + ", not valid for " + type_info(l.type).name, kShapeHint);
    tfarch::check_choice(l.heads, kHeads, where + " num_operation_heads", label);
    tfarch::check_choice(l.ffn_dim, kFfn, where + " feed_forward_dimension", label);
    tfarch::check_choice(l.n_ffn, kNumFfn, where + " num_feed_forward", label);
  }
}

std::string to_json(const Arch& a) {
  tfarch::json j;
  j["hidden_size"] = a.hidden;
  j["encoder_layers"] = tfarch::json::array();
  for (const auto& l : a.layers) {
    tfarch::json o;
    o["operation_type"] = type_info(l.type).name;
    if (l.type == OpType::DSC) o["operation_parameter"] = std::stoll(l.param);
    else o["operation_parameter"] = l.param;
    o["num_operation_heads"] = l.heads;
    o["feed_forward_dimension"] = l.ffn_dim;
    o["num_feed_forward"] = l.n_ffn;
    j["encoder_layers"].push_back(o);
  }
  return j.dump();
}

Arch sample(Rng& rng) {
  Arch a;
  a.hidden = tfarch::pick(rng, kHidden);
  const auto n = tfarch::pick(rng, kNumLayers);
  for (long long i = 0; i < n; ++i) a.layers.push_back(random_layer(rng));
  return a;
}

Arch mutate(const Arch& a, Rng& rng) {
  Arch m = a;
  const auto field = tfarch::draw(rng, 7);
  if (field == 0) {
    m.hidden = tfarch::pick_other(rng, kHidden, static_cast<long long>(m.hidden));
  } else if (field == 1) {
    if (m.layers.size() == 2) {
      const auto src1 = tfarch::draw(rng, 2), src2 = tfarch::draw(rng, 2);
      m.layers.push_back(a.layers[src1]);
      m.layers.push_back(a.layers[src2]);
    } else {
      m.layers.resize(2);
    }
  } else {
    Layer& l = m.layers[tfarch::draw(rng, m.layers.size())];
    switch (field) {
      case 2: {
        std::vector<OpType> types{OpType::SA, OpType::LT, OpType::DSC};
        l.type = tfarch::pick_other(rng, types, l.type);
        l.param = tfarch::pick(rng, type_info(l.type).params);
        break;
      }
      case 3: l.param = tfarch::pick_other(rng, type_info(l.type).params, l.param); break;
      case 4: l.heads = tfarch::pick_other(rng, kHeads, static_cast<long long>(l.heads)); break;
      case 5: l.ffn_dim = tfarch::pick_other(rng, kFfn, static_cast<long long>(l.ffn_dim)); break;
      default: l.n_ffn = tfarch::pick_other(rng, kNumFfn, static_cast<long long>(l.n_ffn)); break;
    }
  }
  return m;
}

std::vector<Arch> neighbours(const Arch& a) {
  std::vector<Arch> out;
  Arch h = a;
  h.hidden = a.hidden == 128 ? 256 : 128;
  out.push_back(h);
  Arch d = a;
  if (a.layers.size() == 2) {
    d.layers.push_back(a.layers.back());
    d.layers.push_back(a.layers.back());
  } else {
    d.layers.resize(2);
  }
  out.push_back(d);
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    auto with = [&](auto change) {
      Arch m = a;
      change(m.layers[i]);
      out.push_back(m);
    };
    for (const auto& ti : kTypes())
      for (const auto& p : ti.params)
        if (ti.type != a.layers[i].type || p != a.layers[i].param) with([&](Layer& l) { l.type = ti.type; l.param = p; });
    with([](Layer& l) { l.heads = l.heads == 2 ? 4 : 2; });
    with([](Layer& l) { l.ffn_dim = l.ffn_dim == 512 ? 1024 : 512; });
    with([](Layer& l) { l.n_ffn = l.n_ffn == 1 ? 3 : 1; });
  }
  return out;
}

}  // namespace zcnas::spaces::flexibert
