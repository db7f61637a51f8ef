// Search study (issue 6 acceptance): best ground truth found after 10, 50 and 100
// ground-truth queries, mean ± std over seeds, for zero-cost warm start (a proxy
// computed by zcnas ranks a pool, the best-ranked are queried), REA and random
// search with the same query budgets. Uses the library API (zcnas::search::run).
//
//   search_study --db DB --space nb201 --dataset cifar10 --proxy nwot [--seeds 10] [--pool 1000]
// The database must hold the imported benchmark (zcnas bench import); proxy
// scores are cached there, so a second run of the study costs lookups only.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>

#include "zcnas/search/driver.hpp"

namespace {
double best_at(const zcnas::search::SearchResult& r, std::int64_t q) {
  double best = NAN;
  for (const auto& t : r.trajectory)
    if (t.queries <= q) best = t.best_truth;
  return best;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"search study: zero-cost warm start vs REA vs random under equal query budgets"};
  std::string db, space = "nb201", dataset = "cifar10", proxy = "nwot", benchdata = "../shared/benchdata";
  int seeds = 10, pool = 1000, threads = 0, batch = 32;
  app.add_option("--db", db, "database with the imported benchmark")->required();
  app.add_option("--space", space);
  app.add_option("--dataset", dataset);
  app.add_option("--proxy", proxy, "proxy computed by zcnas for the warm start");
  app.add_option("--seeds", seeds);
  app.add_option("--pool", pool, "candidates ranked by the warm start");
  app.add_option("--threads", threads);
  app.add_option("--batch-size", batch);
  app.add_option("--benchdata", benchdata);
  CLI11_PARSE(app, argc, argv);

  const std::vector<std::int64_t> budgets{10, 50, 100};
  const std::vector<std::string> strategies{"zc_warmstart", "rea", "random"};
  std::map<std::string, std::vector<std::vector<double>>> best;  // strategy -> budget -> per-seed values
  for (const auto& s : strategies) best[s].assign(budgets.size(), {});
  for (int seed = 0; seed < seeds; ++seed) {
    for (const auto& s : strategies) {
      std::string yaml = "space: " + space + "\ndataset: " + dataset + "\nseed: " + std::to_string(seed) +
                         "\nbatch_size: " + std::to_string(batch) + "\nbudget: {queries: " + std::to_string(budgets.back()) + "}\n";
      if (s == "zc_warmstart")
        yaml += "proxies: [" + proxy + "]\nstrategy: {name: zc_warmstart, pool: " + std::to_string(pool) + "}\n";
      else
        yaml += "strategy: " + s + "\n";
      auto cfg = zcnas::search::parse_config(yaml, "study");
      zcnas::search::RunOptions opt;
      opt.database = db;
      opt.threads = threads;
      opt.benchdata = benchdata;
      opt.progress = false;
      auto r = zcnas::search::run(cfg, opt);
      for (std::size_t b = 0; b < budgets.size(); ++b) best[s][b].push_back(best_at(r, budgets[b]));
      std::fprintf(stderr, "seed %d %-12s best@100 %.3f (%.1f s)\n", seed, s.c_str(), best_at(r, 100), r.stats.seconds);
    }
  }
  std::printf("| strategy | %s |\n|---|", "best truth after 10 / 50 / 100 queries (mean ± std over seeds)");
  std::printf("---|\n");
  for (const auto& s : strategies) {
    std::printf("| %s%s |", s.c_str(), s == "zc_warmstart" ? (" (" + proxy + ", pool " + std::to_string(pool) + ")").c_str() : "");
    for (std::size_t b = 0; b < budgets.size(); ++b) {
      const auto& v = best[s][b];
      double m = 0, sd = 0;
      for (double x : v) m += x;
      m /= static_cast<double>(v.size());
      for (double x : v) sd += (x - m) * (x - m);
      sd = v.size() > 1 ? std::sqrt(sd / static_cast<double>(v.size() - 1)) : 0;
      std::printf(" %.2f ± %.2f%s", m, sd, b + 1 < budgets.size() ? " /" : "");
    }
    std::printf(" |\n");
  }
  return 0;
}
