// Tokenizer of the ONNX-graph text; the token rules are in tokenizer.hpp.
#include "zcnas/predictors/tokenizer.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "zcnas/common/error.hpp"

namespace zcnas::predictors {
namespace {

const std::vector<std::string> kReserved = {"<pad>", "<unk>", "<cls>"};

bool parse_int(std::string_view s, long long& v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

// A reference ("x", "-", "12", "12:1") relative to the line numbered `cur`.
std::string ref_token(std::string_view ref, long long cur) {
  if (ref == "x" || ref == "-" || ref == "?") return "in:" + std::string(ref);
  const auto colon = ref.find(':');
  long long node = 0;
  if (!parse_int(ref.substr(0, colon), node)) return "in:?";
  std::string t = "in:" + std::to_string(node - cur);
  if (colon != std::string_view::npos) t += ref.substr(colon);
  return t;
}

}  // namespace

std::vector<std::vector<std::string>> OnnxTextTokenizer::split(const std::string& text) {
  std::vector<std::vector<std::string>> lines;
  std::istringstream in(text);
  std::string line;
  long long last = -1;  // number of the last node line
  while (std::getline(in, line)) {
    std::istringstream fs(line);
    std::vector<std::string> fields;
    for (std::string f; fs >> f;) fields.push_back(f);
    if (fields.empty()) continue;
    std::vector<std::string> toks;
    long long cur = 0;
    std::size_t first = 0;
    if (parse_int(fields[0], cur)) {  // a node line: drop its number
      last = cur, first = 1;
    } else if (fields[0] == "output") {
      toks.push_back("output");
      for (std::size_t k = 1; k < fields.size(); ++k) toks.push_back(ref_token(fields[k], last + 1));
      lines.push_back(std::move(toks));
      continue;
    }
    for (std::size_t k = first; k < fields.size(); ++k) {
      const auto& f = fields[k];
      if (f.rfind("in=", 0) == 0) {
        std::string_view refs(f);
        refs.remove_prefix(3);
        while (!refs.empty()) {
          const auto comma = refs.find(',');
          toks.push_back(ref_token(refs.substr(0, comma), cur));
          if (comma == std::string_view::npos) break;
          refs.remove_prefix(comma + 1);
        }
        continue;
      }
      toks.push_back(f);
      if (const auto p = f.find_first_of("=[{"); p != std::string::npos && p + 1 < f.size()) toks.push_back(f.substr(0, p + 1));
    }
    lines.push_back(std::move(toks));
  }
  return lines;
}

OnnxTextTokenizer OnnxTextTokenizer::build(const std::vector<std::string>& texts, int min_count, std::size_t max_size) {
  if (min_count < 1) throw Error("tokenizer", "min_count must be >= 1");
  if (max_size != 0 && max_size < kReserved.size()) throw Error("tokenizer", "max_size must be 0 (no limit) or >= 3");
  std::map<std::string, long long> counts;
  for (const auto& t : texts)
    for (const auto& line : split(t))
      for (const auto& tok : line) ++counts[tok];
  std::vector<std::pair<std::string, long long>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });  // ties: byte order (map order)
  OnnxTextTokenizer tk;
  for (const auto& r : kReserved) tk.ids_[r] = static_cast<std::int64_t>(tk.tokens_.size()), tk.tokens_.push_back(r);
  for (const auto& [tok, c] : sorted) {
    if (c < min_count || (max_size && tk.tokens_.size() >= max_size)) break;
    if (tk.ids_.count(tok)) continue;  // a text that spells a reserved token keeps the reserved id
    tk.ids_[tok] = static_cast<std::int64_t>(tk.tokens_.size());
    tk.tokens_.push_back(tok);
  }
  return tk;
}

std::int64_t OnnxTextTokenizer::id(const std::string& token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? kUnk : it->second;
}

std::vector<std::vector<std::int64_t>> OnnxTextTokenizer::encode(const std::string& text) const {
  std::vector<std::vector<std::int64_t>> out{{kCls}};
  for (const auto& line : split(text)) {
    std::vector<std::int64_t> ids;
    for (const auto& tok : line) ids.push_back(id(tok));
    if (ids.empty()) ids.push_back(kUnk);
    out.push_back(std::move(ids));
  }
  return out;
}

nlohmann::json OnnxTextTokenizer::to_json() const { return tokens_; }

OnnxTextTokenizer OnnxTextTokenizer::from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_array() || j.size() < kReserved.size())
    throw Error(where, "the tokenizer vocabulary is not a list of at least 3 tokens", "retrain the model");
  OnnxTextTokenizer tk;
  for (const auto& v : j) {
    if (!v.is_string()) throw Error(where, "the tokenizer vocabulary holds a non-string: " + v.dump(), "retrain the model");
    const auto s = v.get<std::string>();
    if (!tk.ids_.emplace(s, static_cast<std::int64_t>(tk.tokens_.size())).second)
      throw Error(where, "the tokenizer vocabulary lists '" + s + "' twice", "retrain the model");
    tk.tokens_.push_back(s);
  }
  for (std::size_t i = 0; i < kReserved.size(); ++i)
    if (tk.tokens_[i] != kReserved[i])
      throw Error(where, "the tokenizer vocabulary does not start with <pad>, <unk>, <cls>", "retrain the model");
  return tk;
}

}  // namespace zcnas::predictors
