#pragma once
// Token inputs for the transformer spaces (flexibert, gpt): real English text, not
// random ids (docs/proxies.md, "Token inputs").
//
// Text: every fortune of Debian's `fortunes` package, one per line (OUTDIR/fortunes.txt);
// tokenizer: a SentencePiece BPE model with 8,000 pieces trained on that text
// (OUTDIR/fortunes_bpe8k.{model,vocab}), and the corpus tokenized by it with spm_encode
// (OUTDIR/fortunes.ids, one fortune per line). All are made at set-up by
// scripts/make-text-corpus.sh (scripts/setup.sh runs it; the CMake configure step runs it
// into the build dir for the tests). zcnas reads the ids and the vocabulary; it does not
// link libsentencepiece (Debian's carries a protobuf 3.14 runtime that aborts next to the
// system protobuf 3.21 ONNX loads). One stream of ids, fortunes separated by </s>.
//
// Id mapping: SentencePiece ids 0..7999 (0 <unk>, 1 <s>, 2 </s>, then pieces by merge
// order) are used as the network's token ids unchanged. They fall inside every space's
// vocabulary (gpt: n_token 50,264; flexibert: 30,522); a network with fewer than 8,000
// embedding rows is refused. The benchmarks' own vocabularies (GPT-2 BPE, ELECTRA
// WordPiece) are not shipped; at initialisation the embedding rows are random, so what
// the proxies see from real text is its token statistics (Zipfian frequencies,
// repetition, document boundaries), not the identity of a row.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "zcnas/proxies/context.hpp"
#include "zcnas/spaces/netgraph.hpp"

namespace zcnas::proxies {

// $ZCNAS_TEXT_DIR, else ${XDG_DATA_HOME:-$HOME/.local/share}/zcnas/text; when that has no corpus,
// the one this build made at configure time (<build>/text), if it still exists.
std::string default_text_dir();

class TokenCorpus {
 public:
  // Reads DIR/fortunes.ids and DIR/fortunes_bpe8k.vocab. Throws zcnas::Error when a file
  // is missing or malformed, naming scripts/make-text-corpus.sh.
  static std::shared_ptr<const TokenCorpus> load(const std::string& dir = default_text_dir());
  // The same object for the same directory for the life of the process (thread-safe):
  // reading the corpus takes a fraction of a second, scoring many networks needs it once.
  static std::shared_ptr<const TokenCorpus> shared(const std::string& dir = default_text_dir());

  const std::vector<std::int32_t>& ids() const { return ids_; }
  std::int64_t vocab_size() const { return vocab_size_; }
  std::int64_t documents() const { return documents_; }
  std::int32_t eos_id() const { return eos_id_; }
  const std::string& dir() const { return dir_; }

  // ids -> text through the vocabulary's pieces, as SentencePiece decodes (U+2581 -> space;
  // </s> -> newline). Throws zcnas::Error on an id outside the vocabulary.
  std::string decode(const std::vector<std::int32_t>& ids) const;

  TokenCorpus(const TokenCorpus&) = delete;
  TokenCorpus& operator=(const TokenCorpus&) = delete;

 private:
  TokenCorpus() = default;
  std::vector<std::string> pieces_;
  std::vector<std::int32_t> ids_;
  std::int64_t vocab_size_ = 0, documents_ = 0;
  std::int32_t eos_id_ = -1;
  std::string dir_;
};

struct TokenBatchOptions {
  // 16 x 128 tokens: 2,048 rows for W-PCA's covariance, attention maps of 128 x 128,
  // and a 50k-vocabulary LM head (when a proxy runs it) of 2,048 x 50,264 floats
  // (0.4 GB) -- sized for a 2-core, few-GB machine. NAS-Bench-BERT's harness used
  // 128 x 512; override with --batch-size / seq_len.
  std::int64_t batch_size = 16;
  std::int64_t seq_len = 128;  // graph-free batches only: a network's input {T} fixes T
  std::uint64_t seed = 0;
};

// batch_size windows of seq_len consecutive ids of the corpus stream, window starts
// drawn uniformly from the stream (std::mt19937_64 of (seed, "tokens"), so the same seed
// gives the same batch on every platform). inputs: int64 {N, T}; labels: the next ids
// {N, T} (language-model targets: the window shifted by one).
Batch make_token_batch(const TokenCorpus& corpus, const TokenBatchOptions& opt);

// The same, sized for `graph` (input {T} of token ids: T from the graph, opt.seq_len is
// ignored -- the space compiles its sequence length into the network); checks that the corpus ids fit the network's
// vocabulary (token_vocab_limit); labels by the output:
//   {T, V} -> next-token ids (LM head), {K} -> ids drawn from K classes with the seed
//   (sequence classification at initialisation: no task labels exist for this text),
//   anything else -> the next-token ids (label-free proxies ignore them).
Batch make_token_batch(const TokenCorpus& corpus, const spaces::NetGraph& graph, const TokenBatchOptions& opt);

// The fewest rows of an embedding (Embedding / AdaptiveEmbedding) reading the token input; 0 if none.
std::int64_t token_vocab_limit(const spaces::NetGraph& graph);

}  // namespace zcnas::proxies
