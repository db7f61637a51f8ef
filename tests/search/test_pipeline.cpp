// The scoring pipeline (search/src/pipeline.hpp) gives the results of the previous
// batch schedule, whatever the number of workers and of candidates in flight: same
// records, combined scores, counters and database rows.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>

#include "search_test_util.hpp"
#include "zcnas/benchdb/database.hpp"
#include "zcnas/search/driver.hpp"

using namespace zcnas;
using zcnas::search::test::TempDir;

namespace {

struct Variant {
  std::string label;
  bool batches;
  int threads;
  int in_flight;
};

// Everything of a run that must not depend on the schedule (not timings).
nlohmann::json outcome(const search::SearchResult& r) {
  nlohmann::json cands = nlohmann::json::array();
  for (const auto& c : r.candidates)
    cands.push_back({{"arch", c.arch}, {"status", c.status}, {"message", c.message}, {"proxies", c.proxies},
                     {"score", c.score ? nlohmann::json(*c.score) : nlohmann::json()}, {"params", c.params},
                     {"flops", c.flops}, {"scored", c.scored}, {"cache_hit", c.cache_hit}});
  const auto& s = r.stats;
  return {{"candidates", cands},
          {"top", r.top},
          {"stats", {s.proposed, s.unique, s.duplicates, s.cache_hits, s.computed, s.failed, s.constraint_violations,
                     s.nonfinite, s.structural_duplicates, s.shared_scores}}};
}

std::vector<std::string> rows(const std::string& db, const std::string& proxy) {
  auto d = benchdb::Database::open(db, benchdb::OpenMode::ReadOnly);
  std::vector<std::string> out;
  for (const auto& r : d.scores("nb201", "cifar10", "zcnas", proxy)) {
    char v[64];
    std::snprintf(v, sizeof v, "%.17g", r.value.value_or(-1));
    out.push_back(r.arch_key + "|" + v + "|" + r.status);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("pipeline = batch schedule, for any workers and tokens in flight", "[search][pipeline]") {
  TempDir tmp("pipeline");
  // 40 seeded NB201 samples in chunks of 16 (three score() calls, the last one partial),
  // two proxies ranked together, and a parameter constraint that some candidates break.
  const std::string base =
      "space: nb201\ndataset: cifar10\nproxies: [params, synflow]\ncombine: rank_average\n"
      "strategy: {name: zc_warmstart, pool: 40, chunk: 16}\nconstraints: {max_params: 4.0e5}\n"
      "seed: 4\nbatch_size: 8\n";
  const std::vector<Variant> variants{{"batches, 2 workers", true, 2, 0},
                                      {"pipeline, 1 worker", false, 1, 0},
                                      {"pipeline, 2 workers", false, 2, 0},
                                      {"pipeline, 2 workers, 1 token", false, 2, 1},
                                      {"pipeline, 2 workers, 3 tokens", false, 2, 3}};
  nlohmann::json reference;
  std::vector<std::string> reference_rows;
  for (const auto& v : variants) {
    INFO(v.label);
    auto cfg = search::parse_config(base + "threads: " + std::to_string(v.threads) +
                                        "\nin_flight: " + std::to_string(v.in_flight) + "\n",
                                    "pipeline.yaml");
    search::RunOptions opt;
    opt.database = tmp.file(std::to_string(&v - variants.data()) + ".db");
    opt.progress = false;
    opt.batch_schedule = v.batches;
    const auto r = search::run(cfg, opt);
    auto got = outcome(r);
    auto got_rows = rows(opt.database, "synflow");
    for (const auto& p : rows(opt.database, "params")) got_rows.push_back(p);
    if (reference.is_null()) {
      reference = got;
      reference_rows = got_rows;
      CHECK(r.stats.unique == 40);
      CHECK(r.stats.constraint_violations > 0);
      CHECK(r.stats.computed + r.stats.constraint_violations == 40);
      CHECK(reference_rows.size() == 2 * static_cast<std::size_t>(r.stats.computed));
      continue;
    }
    CHECK(got == reference);
    CHECK(got_rows == reference_rows);
  }
}
