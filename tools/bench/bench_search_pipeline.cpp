// Search throughput, pipeline vs the previous batch schedule, in one run: the same
// config (NB201, seeded zero-cost warm-start pool, cheap proxies params, flops, synflow,
// no ground-truth queries) scored from an empty database with each schedule in turn,
// alternating, `--rounds` times; prints candidates/s (median over rounds) and the ratio.
//
//   ./build/release/tools/bench_search_pipeline [--pool 200] [--chunk 128] [--threads 2] [--rounds 3]
// (run from the repository root). Both schedules give identical results
// (tests/search/test_pipeline.cpp); only their overlap of work differs.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <unistd.h>

#include "zcnas/search/driver.hpp"

int main(int argc, char** argv) {
  CLI::App app{"search pipeline vs batch schedule throughput"};
  int pool = 200, chunk = 128, threads = 2, rounds = 3, in_flight = 0;
  std::string proxies = "params, flops, synflow";
  app.add_option("--pool", pool, "candidates per run");
  app.add_option("--chunk", chunk, "candidates per score() call (zc_warmstart chunk)");
  app.add_option("--threads", threads);
  app.add_option("--in-flight", in_flight, "pipeline tokens (0 = 2 x threads)");
  app.add_option("--rounds", rounds);
  app.add_option("--proxies", proxies);
  CLI11_PARSE(app, argc, argv);

  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("zcnas_bench_pipeline_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string yaml = "space: nb201\ndataset: cifar10\nproxies: [" + proxies +
                           "]\ncombine: rank_average\nstrategy: {name: zc_warmstart, pool: " + std::to_string(pool) +
                           ", chunk: " + std::to_string(chunk) + "}\nseed: 1\nbatch_size: 8\nthreads: " +
                           std::to_string(threads) + "\nin_flight: " + std::to_string(in_flight) + "\n";
  const auto cfg = zcnas::search::parse_config(yaml, "bench");
  std::vector<double> rate[2];  // [0] batches, [1] pipeline
  int run = 0;
  for (int r = 0; r < rounds; ++r)
    for (int pipeline : {0, 1}) {
      zcnas::search::RunOptions opt;
      opt.database = (dir / ("run" + std::to_string(run++) + ".db")).string();
      opt.progress = false;
      opt.batch_schedule = pipeline == 0;
      const auto res = zcnas::search::run(cfg, opt);
      rate[pipeline].push_back(static_cast<double>(res.stats.computed) / res.stats.seconds);
      std::printf("round %d %-9s %lld computed in %.2f s: %.1f candidates/s\n", r, pipeline ? "pipeline" : "batches",
                  static_cast<long long>(res.stats.computed), res.stats.seconds, rate[pipeline].back());
    }
  fs::remove_all(dir);
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double b = median(rate[0]), p = median(rate[1]);
  std::printf("median candidates/s: batches %.1f, pipeline %.1f, ratio %.2f (threads %d, pool %d, chunk %d)\n", b, p,
              p / b, threads, pool, chunk);
  return 0;
}
