#include "zcnas/benchdb/encoding.hpp"

#include <nlohmann/json.hpp>
#include <vector>

#include "zcnas/common/error.hpp"

namespace zcnas::benchdb {

namespace {
std::vector<long long> tuple_ints(std::string_view t, const std::string& where) {
  std::vector<long long> out;
  std::size_t i = 0;
  auto skip = [&] { while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i; };
  skip();
  if (i >= t.size() || (t[i] != '(' && t[i] != '['))
    throw Error(where, "arch key '" + std::string(t) + "' is not a tuple like (1, 2, 3)", "check the file is intact");
  const char close = t[i] == '(' ? ')' : ']';
  ++i;
  for (;;) {
    skip();
    if (i < t.size() && t[i] == close && out.empty()) { ++i; break; }
    std::size_t start = i;
    if (i < t.size() && t[i] == '-') ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == start || (i == start + 1 && t[start] == '-'))
      throw Error(where, "arch key '" + std::string(t) + "' has a non-integer element", "check the file is intact");
    out.push_back(std::stoll(std::string(t.substr(start, i - start))));
    skip();
    if (i < t.size() && t[i] == ',') { ++i; continue; }
    if (i < t.size() && t[i] == close) { ++i; break; }
    throw Error(where, "arch key '" + std::string(t) + "' is not a tuple like (1, 2, 3)", "check the file is intact");
  }
  skip();
  if (i != t.size()) throw Error(where, "arch key '" + std::string(t) + "' has trailing text", "check the file is intact");
  return out;
}
}  // namespace

std::string digits_from_tuple(std::string_view tuple, int n, int max_digit, const std::string& where) {
  auto v = tuple_ints(tuple, where);
  if (static_cast<int>(v.size()) != n)
    throw Error(where, "arch key '" + std::string(tuple) + "' has " + std::to_string(v.size()) + " elements, expected " +
                           std::to_string(n), "check the file is intact");
  std::string out;
  for (auto x : v) {
    if (x < 0 || x > max_digit)
      throw Error(where, "arch key '" + std::string(tuple) + "' has op code " + std::to_string(x) + " outside 0.." +
                             std::to_string(max_digit), "check the file is intact");
    out.push_back(static_cast<char>('0' + x));
  }
  return out;
}

std::string nb101_key_from_tuple(std::string_view tuple, const std::string& where) {
  auto v = tuple_ints(tuple, where);
  if (v.size() != 56)
    throw Error(where, "NB101 key has " + std::to_string(v.size()) + " elements, expected 56 (49 matrix + 7 ops)",
                "check the file is intact");
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const long long lim = i < 49 ? 1 : 4;
    if (v[i] < 0 || v[i] > lim)
      throw Error(where, "NB101 key element " + std::to_string(i) + " is " + std::to_string(v[i]) + ", outside 0.." +
                             std::to_string(lim), "check the file is intact");
    if (i) out.push_back(',');
    out += std::to_string(v[i]);
  }
  return out;
}

bool is_transformer_space(std::string_view space) {
  return space == "flexibert" || space == "gpt" || space == "autoformer";
}

namespace {
using nlohmann::json;

json get_field(const json& j, const char* name, const std::string& where) {
  if (!j.contains(name))
    throw Error(where, std::string("missing field \"") + name + "\"", "give every field of the space's arch JSON");
  return j.at(name);
}
long long int_field(const json& j, const char* name, const std::string& where) {
  json v = get_field(j, name, where);
  if (v.is_string()) {  // CSV cells arrive as text
    try { std::size_t pos = 0; auto s = v.get<std::string>(); long long x = std::stoll(s, &pos); if (pos == s.size()) return x; } catch (...) {}
  } else if (v.is_number_integer()) {
    return v.get<long long>();
  } else if (v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<long long>(v.get<double>()))) {
    return static_cast<long long>(v.get<double>());
  }
  throw Error(where, std::string("field \"") + name + "\" is not an integer", "");
}
// A list given as a JSON array or as space-separated text (the CSV form).
json list_field(const json& j, const char* name, bool floats, const std::string& where) {
  json v = get_field(j, name, where);
  json out = json::array();
  auto add = [&](const json& x) {
    if (x.is_number()) {
      if (floats) out.push_back(x.get<double>());
      else if (x.is_number_integer()) out.push_back(x.get<long long>());
      else throw Error(where, std::string("field \"") + name + "\" has a non-integer element", "");
      return;
    }
    throw Error(where, std::string("field \"") + name + "\" has a non-number element", "");
  };
  if (v.is_array()) {
    for (const auto& x : v) add(x);
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    std::size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && s[i] == ' ') ++i;
      std::size_t st = i;
      while (i < s.size() && s[i] != ' ') ++i;
      if (i == st) break;
      try {
        std::size_t pos = 0;
        const std::string tok = s.substr(st, i - st);
        if (floats) { double d = std::stod(tok, &pos); if (pos != tok.size()) throw 0; out.push_back(d); }
        else { long long d = std::stoll(tok, &pos); if (pos != tok.size()) throw 0; out.push_back(d); }
      } catch (...) {
        throw Error(where, std::string("field \"") + name + "\" has a non-number element '" + s.substr(st, i - st) + "'", "");
      }
    }
  } else {
    throw Error(where, std::string("field \"") + name + "\" is not a list", "give a JSON array");
  }
  if (out.empty()) throw Error(where, std::string("field \"") + name + "\" is empty", "");
  return out;
}
}  // namespace

std::string transformer_encoding(std::string_view space, std::string_view json_text, const std::string& where) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    throw Error(where, std::string("not valid JSON (") + e.what() + ")", "quote the arch JSON for the shell");
  }
  if (!j.is_object()) throw Error(where, "arch JSON is not an object", "give {\"field\": value, ...}");
  json out = json::object();
  if (space == "flexibert") {
    out["hidden_size"] = int_field(j, "hidden_size", where);
    json layers = j.contains("encoder_layers") ? j["encoder_layers"] : get_field(j, "encoder_layers_json", where);
    if (layers.is_string()) {
      try { layers = json::parse(layers.get<std::string>()); } catch (const json::exception& e) {
        throw Error(where, std::string("encoder_layers is not valid JSON (") + e.what() + ")", "");
      }
    }
    if (!layers.is_array() || layers.empty())
      throw Error(where, "field \"encoder_layers\" is not a non-empty list of layer objects", "");
    for (const auto& l : layers)
      if (!l.is_object()) throw Error(where, "an element of \"encoder_layers\" is not an object", "");
    out["encoder_layers"] = layers;
  } else if (space == "gpt") {
    for (const char* f : {"n_layer", "d_model", "d_embed", "div_val"}) out[f] = int_field(j, f, where);
    out["d_inner"] = list_field(j, "d_inner", false, where);
    out["n_head"] = list_field(j, "n_head", false, where);
  } else if (space == "autoformer") {
    for (const char* f : {"embed_dim", "depth"}) out[f] = int_field(j, f, where);
    out["mlp_ratio"] = list_field(j, "mlp_ratio", true, where);
    out["num_heads"] = list_field(j, "num_heads", false, where);
  } else {
    throw Error(where, "space '" + std::string(space) + "' has no JSON arch encoding", "use flexibert, gpt or autoformer");
  }
  return out.dump();
}

}  // namespace zcnas::benchdb
