#pragma once
// Tokenizer for the ONNX-graph text (onnx_text.hpp) read by the `onnxtext` surrogate.
//
// The text is one line per node; a line becomes a *bag* of tokens and the model reads the
// sequence of lines (onnx_text_model.hpp), so the sequence is as long as the graph, not as
// its character count. Tokens of a line (whitespace separates fields, which carry no order
// beyond the line's):
//   * the leading node number is dropped (the line's position carries it);
//   * `in=a,b`: one token per input, written relative to the line: `in:x` (graph input),
//     `in:-1` (the previous node), `in:-7:1` (second output of the node 7 lines up), `in:-`
//     (no tensor input), so equal local wiring gives equal tokens wherever it sits;
//   * `output 57` (the graph output line): `output` and the relative reference;
//   * any other field gives itself (`Conv`, `W[16,3,3,3]`, `kernel_shape=3,3`,
//     `out=[N,16,32,32]`) and, when it has a key, its key (`W[`, `kernel_shape=`, `out=`),
//     so a value never seen in training (another space's channel count) still says what the
//     field is.
// Vocabulary (deterministic): ids 0 <pad>, 1 <unk>, 2 <cls>, then every token seen at least
// `min_count` times in the training texts, by decreasing count, ties in byte order, at most
// `max_size` in all. Unknown tokens map to <unk>. The encoded sequence starts with a line
// holding only <cls>. The vocabulary is saved in the model file's metadata.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace zcnas::predictors {

class OnnxTextTokenizer {
 public:
  static constexpr std::int64_t kPad = 0, kUnk = 1, kCls = 2;

  // Token strings per line of an ONNX text (no vocabulary involved).
  static std::vector<std::vector<std::string>> split(const std::string& text);

  // Builds the vocabulary from training texts (min_count >= 1; max_size >= 3, 0 = no limit).
  static OnnxTextTokenizer build(const std::vector<std::string>& texts, int min_count = 1, std::size_t max_size = 0);

  // Token ids per line, the first line {kCls}. Every line holds at least one id.
  std::vector<std::vector<std::int64_t>> encode(const std::string& text) const;

  std::size_t size() const { return tokens_.size(); }
  const std::string& token(std::int64_t id) const { return tokens_.at(static_cast<std::size_t>(id)); }
  std::int64_t id(const std::string& token) const;  // kUnk when unknown

  nlohmann::json to_json() const;  // the token list, in id order
  // zcnas::Error naming `where` when the list is malformed (no reserved tokens, duplicates).
  static OnnxTextTokenizer from_json(const nlohmann::json& j, const std::string& where);

 private:
  std::vector<std::string> tokens_;
  std::map<std::string, std::int64_t> ids_;
};

}  // namespace zcnas::predictors
