// gpt archs: parsing of the JSON / CSV-text form, validation against the value sets, the
// canonical JSON, and the edit moves (sample, mutate, neighbours).
#include <algorithm>

#include "cell6.hpp"
#include "transformer_arch.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/gpt.hpp"

namespace zcnas::spaces::gpt {
namespace {

const std::string kShapeHint =
    "expected a JSON object {\"n_layer\": 5, \"d_model\": 128, \"d_embed\": 256, \"div_val\": 4, "
    "\"d_inner\": [1071, 640, 1286, 800, 1871], \"n_head\": [2, 4, 4, 8, 8]} (lists may be space-separated text)";
const std::vector<std::string> kFields = {"n_layer", "d_model", "d_embed", "div_val", "d_inner", "n_head", "n_token", "tgt_len"};

}  // namespace

const std::vector<long long>& d_model_choices() { static const std::vector<long long> v{64, 128, 256, 512}; return v; }
const std::vector<long long>& d_embed_choices() { static const std::vector<long long> v{128, 256, 512}; return v; }
const std::vector<long long>& div_val_choices() { static const std::vector<long long> v{1, 2, 4}; return v; }
const std::vector<long long>& n_head_choices() { static const std::vector<long long> v{2, 4, 8}; return v; }

Arch parse(std::string_view text) {
  const std::string label = cell6::input_label("gpt", text);
  const auto j = tfarch::parse_object(text, label, kShapeHint);
  tfarch::check_known_fields(j, kFields, label, kShapeHint);
  Arch a;
  a.d_model = tfarch::as_int(tfarch::field(j, "d_model", label, kShapeHint), "d_model", label);
  a.d_embed = tfarch::as_int(tfarch::field(j, "d_embed", label, kShapeHint), "d_embed", label);
  a.div_val = tfarch::as_int(tfarch::field(j, "div_val", label, kShapeHint), "div_val", label);
  for (const auto& v : tfarch::as_list(tfarch::field(j, "d_inner", label, kShapeHint), "d_inner", label))
    a.d_inner.push_back(tfarch::as_int(v, "d_inner element", label));
  for (const auto& v : tfarch::as_list(tfarch::field(j, "n_head", label, kShapeHint), "n_head", label))
    a.n_head.push_back(tfarch::as_int(v, "n_head element", label));
  if (a.d_inner.size() != a.n_head.size())
    throw Error(label, "d_inner has " + std::to_string(a.d_inner.size()) + " values but n_head has " +
                           std::to_string(a.n_head.size()), "give one d_inner and one n_head per layer");
  if (j.contains("n_layer")) {
    const auto n = tfarch::as_int(j["n_layer"], "n_layer", label);
    if (n != static_cast<long long>(a.d_inner.size()))
      throw Error(label, "n_layer is " + std::to_string(n) + " but the per-layer lists have " +
                             std::to_string(a.d_inner.size()) + " values", "give one d_inner and one n_head per layer");
  }
  if (j.contains("n_token") && tfarch::as_int(j["n_token"], "n_token", label) != kVocab)
    throw Error(label, "n_token is " + j["n_token"].dump() + ", but the space's vocabulary is 50264 (GPT-2 tokenizer)",
                "omit n_token or write 50264");
  if (j.contains("tgt_len") && tfarch::as_int(j["tgt_len"], "tgt_len", label) != kContext)
    throw Error(label, "tgt_len is " + j["tgt_len"].dump() + ", but the space's context is 192 tokens",
                "omit tgt_len or write 192");
  validate(a, label);
  return a;
}

void validate(const Arch& a, const std::string& label) {
  tfarch::check_range(static_cast<long long>(a.n_layer()), kMinLayers, kMaxLayers, "n_layer", label);
  if (a.n_head.size() != a.n_layer())
    throw Error(label, "n_head has " + std::to_string(a.n_head.size()) + " values for " + std::to_string(a.n_layer()) +
                           " layers", "give one n_head per layer");
  tfarch::check_choice(a.d_model, d_model_choices(), "d_model", label);
  tfarch::check_choice(a.d_embed, d_embed_choices(), "d_embed", label);
  tfarch::check_choice(a.div_val, div_val_choices(), "div_val", label);
  for (std::size_t i = 0; i < a.n_layer(); ++i) {
    const std::string l = " of layer " + std::to_string(i);
    tfarch::check_range(a.d_inner[i], kMinInner, kMaxInner, "d_inner" + l, label);
    tfarch::check_choice(a.n_head[i], n_head_choices(), "n_head" + l, label);
  }
}

std::string to_json(const Arch& a) {
  tfarch::json j;  // std::map-backed: keys sorted, as benchdb's stored encoding
  j["n_layer"] = a.n_layer();
  j["d_model"] = a.d_model;
  j["d_embed"] = a.d_embed;
  j["div_val"] = a.div_val;
  j["d_inner"] = a.d_inner;
  j["n_head"] = a.n_head;
  return j.dump();
}

Arch sample(Rng& rng) {
  Arch a;
  const auto n = static_cast<std::size_t>(kMinLayers) + tfarch::draw(rng, kMaxLayers - kMinLayers + 1);
  a.d_model = tfarch::pick(rng, d_model_choices());
  a.d_embed = tfarch::pick(rng, d_embed_choices());
  a.div_val = tfarch::pick(rng, div_val_choices());
  for (std::size_t i = 0; i < n; ++i) {
    a.d_inner.push_back(kMinInner + static_cast<std::int64_t>(tfarch::draw(rng, kMaxInner - kMinInner + 1)));
    a.n_head.push_back(tfarch::pick(rng, n_head_choices()));
  }
  return a;
}

Arch mutate(const Arch& a, Rng& rng) {
  Arch m = a;
  for (;;) {
    switch (tfarch::draw(rng, 6)) {
      case 0:  // n_layer +- 1
        if (m.n_layer() < static_cast<std::size_t>(kMaxLayers) && (m.n_layer() == static_cast<std::size_t>(kMinLayers) || tfarch::draw(rng, 2))) {
          const auto src = tfarch::draw(rng, m.n_layer());
          m.d_inner.push_back(m.d_inner[src]);
          m.n_head.push_back(m.n_head[src]);
        } else {
          m.d_inner.pop_back();
          m.n_head.pop_back();
        }
        return m;
      case 1: m.d_model = tfarch::pick_other(rng, d_model_choices(), static_cast<long long>(m.d_model)); return m;
      case 2: m.d_embed = tfarch::pick_other(rng, d_embed_choices(), static_cast<long long>(m.d_embed)); return m;
      case 3: m.div_val = tfarch::pick_other(rng, div_val_choices(), static_cast<long long>(m.div_val)); return m;
      case 4: {
        const auto i = tfarch::draw(rng, m.n_layer());
        m.n_head[i] = tfarch::pick_other(rng, n_head_choices(), static_cast<long long>(m.n_head[i]));
        return m;
      }
      default: {
        const auto i = tfarch::draw(rng, m.n_layer());
        const auto old = m.d_inner[i];
        while (m.d_inner[i] == old) m.d_inner[i] = kMinInner + static_cast<std::int64_t>(tfarch::draw(rng, kMaxInner - kMinInner + 1));
        return m;
      }
    }
  }
}

std::vector<Arch> neighbours(const Arch& a) {
  std::vector<Arch> out;
  if (a.n_layer() < static_cast<std::size_t>(kMaxLayers)) {
    Arch m = a;
    m.d_inner.push_back(a.d_inner.back());
    m.n_head.push_back(a.n_head.back());
    out.push_back(m);
  }
  if (a.n_layer() > static_cast<std::size_t>(kMinLayers)) {
    Arch m = a;
    m.d_inner.pop_back();
    m.n_head.pop_back();
    out.push_back(m);
  }
  auto others = [&](const std::vector<long long>& choices, std::int64_t Arch::*f) {
    for (auto c : choices)
      if (c != a.*f) {
        Arch m = a;
        m.*f = c;
        out.push_back(m);
      }
  };
  others(d_model_choices(), &Arch::d_model);
  others(d_embed_choices(), &Arch::d_embed);
  others(div_val_choices(), &Arch::div_val);
  for (std::size_t i = 0; i < a.n_layer(); ++i) {
    for (auto h : n_head_choices())
      if (h != a.n_head[i]) {
        Arch m = a;
        m.n_head[i] = h;
        out.push_back(m);
      }
    for (std::int64_t step : {-64, 64}) {
      const auto v = std::clamp(a.d_inner[i] + step, kMinInner, kMaxInner);
      if (v != a.d_inner[i]) {
        Arch m = a;
        m.d_inner[i] = v;
        out.push_back(m);
      }
    }
  }
  return out;
}

}  // namespace zcnas::spaces::gpt
