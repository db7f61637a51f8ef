// TokenCorpus: the fortunes text as tokenized by its SentencePiece model at set-up (tokens.hpp).
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "zcnas/common/error.hpp"
#include "zcnas/proxies/tokens.hpp"

namespace zcnas::proxies {
namespace detail {
extern const char* const kBuildTextDir;  // build_text_dir.cpp, generated at configure time
}  // namespace detail
namespace {
constexpr const char* kIdsFile = "fortunes.ids";
constexpr const char* kVocabFile = "fortunes_bpe8k.vocab";
constexpr const char* kMakeHint = "run scripts/make-text-corpus.sh (scripts/setup.sh does), or set ZCNAS_TEXT_DIR";
}  // namespace

std::string default_text_dir() {
  if (const char* d = std::getenv("ZCNAS_TEXT_DIR"); d && *d) return d;
  std::string user;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) {
    user = std::string(x) + "/zcnas/text";
  } else {
    const char* home = std::getenv("HOME");
    user = std::string(home && *home ? home : ".") + "/.local/share/zcnas/text";
  }
  // No user copy yet: the corpus this build made at configure time, if it is still there.
  const auto has_corpus = [](const std::string& dir) {
    return std::ifstream(dir + "/" + kVocabFile).good() && std::ifstream(dir + "/" + kIdsFile).good();
  };
  if (!has_corpus(user) && has_corpus(detail::kBuildTextDir)) return detail::kBuildTextDir;
  return user;
}

std::shared_ptr<const TokenCorpus> TokenCorpus::load(const std::string& dir) {
  const std::string ids_path = dir + "/" + kIdsFile, vocab_path = dir + "/" + kVocabFile;
  std::ifstream vocab(vocab_path);
  if (!vocab) throw Error(vocab_path, "tokenizer vocabulary missing", kMakeHint);
  std::ifstream ids(ids_path);
  if (!ids) throw Error(ids_path, "tokenized corpus missing", kMakeHint);
  std::shared_ptr<TokenCorpus> c(new TokenCorpus());
  c->dir_ = dir;
  // The .vocab file: one "piece<TAB>score" line per id, in id order.
  std::string line;
  while (std::getline(vocab, line)) {
    const auto tab = line.find('\t');
    if (tab == std::string::npos)
      throw Error(vocab_path + " line " + std::to_string(c->pieces_.size() + 1), "not a SentencePiece vocabulary line", kMakeHint);
    c->pieces_.push_back(line.substr(0, tab));
    if (c->pieces_.back() == "</s>") c->eos_id_ = static_cast<std::int32_t>(c->pieces_.size() - 1);
  }
  c->vocab_size_ = static_cast<std::int64_t>(c->pieces_.size());
  if (c->eos_id_ < 0) throw Error(vocab_path, "the vocabulary has no </s> piece", kMakeHint);
  // The .ids file: one fortune per line, its ids separated by spaces (spm_encode --output_format=id).
  while (std::getline(ids, line)) {
    std::istringstream in(line);
    long v = 0;
    bool any = false;
    while (in >> v) {
      if (v < 0 || v >= c->vocab_size_)
        throw Error(ids_path + " line " + std::to_string(c->documents_ + 1),
                    "id " + std::to_string(v) + " outside the vocabulary of " + std::to_string(c->vocab_size_), kMakeHint);
      c->ids_.push_back(static_cast<std::int32_t>(v));
      any = true;
    }
    if (!in.eof()) throw Error(ids_path + " line " + std::to_string(c->documents_ + 1), "not a list of token ids", kMakeHint);
    if (!any) continue;
    c->ids_.push_back(c->eos_id_);
    ++c->documents_;
  }
  if (c->ids_.size() < 1024)
    throw Error(ids_path, "only " + std::to_string(c->ids_.size()) + " tokens: the corpus is empty or truncated", kMakeHint);
  return c;
}

std::shared_ptr<const TokenCorpus> TokenCorpus::shared(const std::string& dir) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TokenCorpus>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = cache[dir];
  if (!slot) slot = load(dir);
  return slot;
}

std::string TokenCorpus::decode(const std::vector<std::int32_t>& ids) const {
  static const std::string word_start = "\xE2\x96\x81";  // U+2581, SentencePiece's word-boundary mark
  std::string out;
  for (auto id : ids) {
    if (id < 0 || id >= vocab_size_)
      throw Error("token id " + std::to_string(id), "outside the tokenizer's " + std::to_string(vocab_size_) + " pieces");
    if (id == eos_id_) {
      out += '\n';
      continue;
    }
    std::string p = pieces_[static_cast<std::size_t>(id)];
    for (std::size_t pos = p.find(word_start); pos != std::string::npos; pos = p.find(word_start, pos + 1)) p.replace(pos, 3, " ");
    out += p;
  }
  // SentencePiece's decoder drops the boundary mark at the start of a text and after a newline.
  for (std::size_t pos = 0; (pos = out.find("\n ", pos)) != std::string::npos;) out.erase(pos + 1, 1);
  if (!out.empty() && out[0] == ' ') out.erase(0, 1);
  return out;
}

}  // namespace zcnas::proxies
