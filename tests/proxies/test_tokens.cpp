// Token inputs (proxies/tokens.hpp): the fortunes corpus, its SentencePiece tokenizer and
// seeded token batches. ZCNAS_TEST_TEXT_DIR is made at configure time
// (scripts/make-text-corpus.sh, called from proxies/CMakeLists.txt).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "zcnas/common/error.hpp"
#include "zcnas/proxies/tokens.hpp"

using namespace zcnas::proxies;

namespace {
std::shared_ptr<const TokenCorpus> corpus() { return TokenCorpus::shared(ZCNAS_TEST_TEXT_DIR); }
}  // namespace

TEST_CASE("the fortunes corpus loads and encodes to ids of the 8k tokenizer", "[tokens]") {
  const auto c = corpus();
  CHECK(c->vocab_size() == 8000);
  // Debian 12's fortunes package (1:1.99.1-7.3) holds 15,207 fortunes outside ascii-art;
  // a newer package may hold a few more or less.
  CHECK(c->documents() > 10000);
  const auto& ids = c->ids();
  CHECK(ids.size() > 500000u);  // about 45 tokens per fortune
  CHECK(*std::min_element(ids.begin(), ids.end()) >= 0);
  CHECK(*std::max_element(ids.begin(), ids.end()) < 8000);
  CHECK(std::count(ids.begin(), ids.end(), c->eos_id()) == c->documents());
  CHECK(ids.back() == c->eos_id());
  // The same directory gives the same object (encoded once per process).
  CHECK(TokenCorpus::shared(ZCNAS_TEST_TEXT_DIR).get() == c.get());
}

TEST_CASE("the ids are a SentencePiece tokenization of the fortunes text", "[tokens]") {
  const auto c = corpus();
  // Decode the first 200 fortunes from the id stream and compare with the text lines.
  const std::string dir = ZCNAS_TEST_TEXT_DIR;
  std::ifstream text(dir + "/fortunes.txt");
  REQUIRE(text.good());
  const auto& ids = c->ids();
  std::size_t pos = 0;
  int same = 0;
  std::string line;
  for (int d = 0; d < 200 && std::getline(text, line); ++d) {
    std::vector<std::int32_t> doc;
    while (ids[pos] != c->eos_id()) doc.push_back(ids[pos++]);
    ++pos;
    CHECK(doc.size() >= line.size() / 12);  // BPE-8k: a few characters per piece, not one per word-list
    if (c->decode(doc) == line) ++same;
  }
  // SentencePiece's NFKC normalisation may change a rare character; the text itself survives.
  CHECK(same >= 195);
  CHECK(c->decode({c->eos_id()}) == "\n");
  CHECK_THROWS_AS(c->decode({8000}), zcnas::Error);
}

TEST_CASE("token batches: seeded windows of the corpus with next-token targets", "[tokens]") {
  const auto c = corpus();
  TokenBatchOptions o;
  o.batch_size = 4;
  o.seq_len = 32;
  o.seed = 3;
  const auto a = make_token_batch(*c, o);
  REQUIRE(a.inputs.sizes() == torch::IntArrayRef({4, 32}));
  REQUIRE(a.labels.sizes() == torch::IntArrayRef({4, 32}));
  CHECK(a.inputs.scalar_type() == torch::kInt64);
  CHECK(a.inputs.max().item<std::int64_t>() < 8000);
  // labels are the inputs shifted by one token
  CHECK(torch::equal(a.labels.slice(1, 0, 31), a.inputs.slice(1, 1, 32)));
  // each row is a window of the stream: find it
  const auto& ids = c->ids();
  for (int r = 0; r < 4; ++r) {
    std::vector<std::int32_t> row(32);
    for (int t = 0; t < 32; ++t) row[t] = static_cast<std::int32_t>(a.inputs[r][t].item<std::int64_t>());
    CHECK(std::search(ids.begin(), ids.end(), row.begin(), row.end()) != ids.end());
  }
  // the decoded text is English (spaces between words)
  std::vector<std::int32_t> row0(32);
  for (int t = 0; t < 32; ++t) row0[t] = static_cast<std::int32_t>(a.inputs[0][t].item<std::int64_t>());
  const std::string words = c->decode(row0);
  CHECK(std::count(words.begin(), words.end(), ' ') >= 5);

  const auto b = make_token_batch(*c, o);
  CHECK(torch::equal(a.inputs, b.inputs));  // same seed, same batch
  o.seed = 4;
  CHECK_FALSE(torch::equal(a.inputs, make_token_batch(*c, o).inputs));
  CHECK(a.description.find("4 x 32") != std::string::npos);
}

TEST_CASE("token batches refuse bad sizes; a missing corpus names its set-up step", "[tokens]") {
  const auto c = corpus();
  TokenBatchOptions o;
  o.batch_size = 0;
  CHECK_THROWS_AS(make_token_batch(*c, o), zcnas::Error);
  o.batch_size = 2;
  o.seq_len = 0;
  CHECK_THROWS_AS(make_token_batch(*c, o), zcnas::Error);
  o.seq_len = static_cast<std::int64_t>(c->ids().size());
  CHECK_THROWS_AS(make_token_batch(*c, o), zcnas::Error);
  try {
    TokenCorpus::load("/nonexistent/zcnas-text");
    FAIL("no error for a missing corpus");
  } catch (const zcnas::Error& e) {
    CHECK(std::string(e.what()).find("make-text-corpus.sh") != std::string::npos);
  }
}

TEST_CASE("default_text_dir: env, then the user directory, then this build's corpus", "[tokens]") {
  // Saves and restores the three variables it reads (other tests pass directories explicitly).
  struct Env {
    const char* name;
    std::string old;
    bool had;
  };
  std::vector<Env> saved;
  for (const char* n : {"ZCNAS_TEXT_DIR", "XDG_DATA_HOME", "HOME"}) {
    const char* v = std::getenv(n);
    saved.push_back({n, v ? v : "", v != nullptr});
  }
  const std::string tmp = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/zcnas-textdir-test";
  ::setenv("ZCNAS_TEXT_DIR", "/explicit/dir", 1);
  CHECK(default_text_dir() == "/explicit/dir");
  ::unsetenv("ZCNAS_TEXT_DIR");
  ::setenv("XDG_DATA_HOME", (tmp + "/empty").c_str(), 1);
  // No corpus in the user directory: the build's configure-time copy (the tests' corpus).
  CHECK(default_text_dir() == ZCNAS_TEST_TEXT_DIR);
  // A user corpus wins (both files present).
  const std::string user = tmp + "/user/zcnas/text";
  std::filesystem::create_directories(user);
  std::ofstream(user + "/fortunes.ids") << "1\n";
  std::ofstream(user + "/fortunes_bpe8k.vocab") << "<unk>\t0\n";
  ::setenv("XDG_DATA_HOME", (tmp + "/user").c_str(), 1);
  CHECK(default_text_dir() == user);
  std::filesystem::remove_all(tmp);
  for (const auto& e : saved) {
    if (e.had) ::setenv(e.name, e.old.c_str(), 1);
    else ::unsetenv(e.name);
  }
}
