#include "cell6.hpp"

#include <cctype>

#include "zcnas/common/error.hpp"

namespace zcnas::spaces::cell6 {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string input_label(std::string_view space, std::string_view text) {
  return std::string(space) + " arch '" + std::string(text) + "'";
}

namespace {

int code_of(std::string_view tok, int n_ops, std::string_view space, std::string_view text, int position) {
  const std::string pos = "edge " + std::to_string(position + 1);
  if (tok.empty()) throw Error(input_label(space, text), pos + " is empty", "write six op codes 0.." + std::to_string(n_ops - 1));
  for (char c : tok)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      throw Error(input_label(space, text), pos + " '" + std::string(tok) + "' is not an op code",
                  "op codes are integers 0.." + std::to_string(n_ops - 1));
  if (tok.size() > 3 || std::stoi(std::string(tok)) >= n_ops)
    throw Error(input_label(space, text), pos + " has op code " + std::string(tok) + ", out of range",
                "op codes are 0.." + std::to_string(n_ops - 1));
  return std::stoi(std::string(tok));
}

}  // namespace

std::optional<Ops> parse_numeric(std::string_view text, int n_ops, std::string_view space) {
  const auto t = trim(text);
  if (t.empty()) throw Error(input_label(space, text), "empty architecture string");
  bool all_digits = true;
  for (char c : t) all_digits = all_digits && std::isdigit(static_cast<unsigned char>(c));
  if (all_digits) {
    if (t.size() != 6)
      throw Error(input_label(space, text), "has " + std::to_string(t.size()) + " op digits, expected 6",
                  "one digit 0.." + std::to_string(n_ops - 1) + " per edge");
    Ops ops{};
    for (int i = 0; i < 6; ++i) ops[i] = code_of(t.substr(i, 1), n_ops, space, text, i);
    return ops;
  }
  const char open = t.front();
  if (open != '(' && open != '[') return std::nullopt;
  const char close = open == '(' ? ')' : ']';
  if (t.back() != close)
    throw Error(input_label(space, text), std::string("tuple opened with '") + open + "' is not closed with '" + close + "'");
  auto body = t.substr(1, t.size() - 2);
  std::vector<std::string_view> toks;
  while (true) {
    const auto comma = body.find(',');
    toks.push_back(trim(body.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    body.remove_prefix(comma + 1);
  }
  if (toks.size() != 6)
    throw Error(input_label(space, text), "tuple has " + std::to_string(toks.size()) + " entries, expected 6",
                "write e.g. (" + std::to_string(n_ops - 1) + ", 0, 1, 2, 0, 1)");
  Ops ops{};
  for (int i = 0; i < 6; ++i) ops[i] = code_of(toks[i], n_ops, space, text, i);
  return ops;
}

std::string digits(const Ops& ops) {
  std::string s;
  for (int o : ops) s.push_back(static_cast<char>('0' + o));
  return s;
}

std::uint64_t index_of(const Ops& ops, int n_ops) {
  std::uint64_t idx = 0;
  for (int o : ops) idx = idx * static_cast<std::uint64_t>(n_ops) + static_cast<std::uint64_t>(o);
  return idx;
}

Ops ops_at(std::uint64_t index, int n_ops) {
  Ops ops{};
  for (int i = 5; i >= 0; --i) {
    ops[i] = static_cast<int>(index % static_cast<std::uint64_t>(n_ops));
    index /= static_cast<std::uint64_t>(n_ops);
  }
  return ops;
}

// rng() % n instead of std::uniform_int_distribution: the same stream on every standard
// library, and the modulo bias for n <= 6 against 2^64 is far below anything measurable.
Ops mutate(const Ops& ops, int n_ops, Rng& rng) {
  Ops out = ops;
  const auto edge = static_cast<std::size_t>(rng() % 6);
  const auto shift = 1 + static_cast<int>(rng() % static_cast<std::uint64_t>(n_ops - 1));
  out[edge] = (ops[edge] + shift) % n_ops;
  return out;
}

std::vector<Ops> neighbours(const Ops& ops, int n_ops) {
  std::vector<Ops> out;
  for (std::size_t e = 0; e < 6; ++e)
    for (int o = 0; o < n_ops; ++o)
      if (o != ops[e]) {
        Ops n = ops;
        n[e] = o;
        out.push_back(n);
      }
  return out;
}

}  // namespace zcnas::spaces::cell6
