// Token batches from the fortunes corpus (tokens.hpp).
#include "zcnas/proxies/tokens.hpp"

#include <random>

#include "zcnas/common/error.hpp"
#include "zcnas/common/text_hash.hpp"

namespace zcnas::proxies {

Batch make_token_batch(const TokenCorpus& corpus, const TokenBatchOptions& opt) {
  if (opt.batch_size < 1) throw Error("--batch-size", "must be at least 1");
  if (opt.seq_len < 1) throw Error("sequence length", "must be at least 1 (got " + std::to_string(opt.seq_len) + ")");
  const auto& ids = corpus.ids();
  const auto n = static_cast<std::int64_t>(ids.size());
  // A window of seq_len inputs and its seq_len next-token targets needs seq_len + 1 ids.
  if (opt.seq_len + 1 > n)
    throw Error("sequence length " + std::to_string(opt.seq_len),
                "longer than the corpus (" + std::to_string(n) + " tokens)", "use a shorter sequence");
  std::mt19937_64 rng(opt.seed ^ hash128("tokens").lo);
  const auto starts = static_cast<std::uint64_t>(n - opt.seq_len);  // valid starts 0 .. n - seq_len - 1
  auto inputs = torch::empty({opt.batch_size, opt.seq_len}, torch::kInt64);
  auto labels = torch::empty({opt.batch_size, opt.seq_len}, torch::kInt64);
  auto in_a = inputs.accessor<std::int64_t, 2>();
  auto lb_a = labels.accessor<std::int64_t, 2>();
  for (std::int64_t b = 0; b < opt.batch_size; ++b) {
    // Modulo of a 64-bit draw: the bias (starts / 2^64) is negligible and the result
    // does not depend on the standard library's distribution code.
    const auto s = static_cast<std::int64_t>(rng() % starts);
    for (std::int64_t t = 0; t < opt.seq_len; ++t) {
      in_a[b][t] = ids[static_cast<std::size_t>(s + t)];
      lb_a[b][t] = ids[static_cast<std::size_t>(s + t + 1)];
    }
  }
  Batch batch;
  batch.inputs = inputs;
  batch.labels = labels;
  batch.description = "fortunes: " + std::to_string(opt.batch_size) + " x " + std::to_string(opt.seq_len) +
                      " SentencePiece-BPE-" + std::to_string(corpus.vocab_size()) + " tokens (seed " +
                      std::to_string(opt.seed) + "), next-token targets";
  return batch;
}

std::int64_t token_vocab_limit(const spaces::NetGraph& graph) {
  std::int64_t limit = 0;
  for (const auto& n : graph.nodes()) {
    std::int64_t rows = 0;
    if (n.op == spaces::OpKind::Embedding) rows = n.as<spaces::EmbeddingAttr>().num_embeddings;
    else if (n.op == spaces::OpKind::AdaptiveEmbedding) rows = n.as<spaces::AdaptiveEmbeddingAttr>().n_token;
    else continue;
    if (n.inputs.size() == 1 && graph.node(n.inputs[0]).op == spaces::OpKind::Input) limit = limit ? std::min(limit, rows) : rows;
  }
  return limit;
}

Batch make_token_batch(const TokenCorpus& corpus, const spaces::NetGraph& graph, const TokenBatchOptions& opt) {
  const auto& in = graph.input_shape();
  if (in.size() != 1 || !graph.has_token_input())
    throw Error("input batch", "the network takes input " + spaces::shape_str(in) + ", not a sequence of token ids {T}",
                "token batches fit transformer language networks (flexibert, gpt) only");
  const auto vocab_limit = token_vocab_limit(graph);
  if (vocab_limit > 0 && vocab_limit < corpus.vocab_size())
    throw Error("token batch", "the network embeds " + std::to_string(vocab_limit) + " token ids, fewer than the tokenizer's " +
                                   std::to_string(corpus.vocab_size()),
                "the fortunes tokenizer needs a vocabulary of at least that size");
  TokenBatchOptions o = opt;
  o.seq_len = in[0];  // the compiled network fixes its sequence length (positional tables, masks)
  Batch batch = make_token_batch(corpus, o);
  const auto& out = graph.output_shape();
  if (out.size() == 1) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed ^ hash128("tokens.labels").lo);
    batch.labels = torch::randint(0, out[0], {o.batch_size}, gen, torch::kInt64);
    batch.description += "; sequence labels drawn from " + std::to_string(out[0]) + " classes instead";
  }
  return batch;
}

}  // namespace zcnas::proxies
