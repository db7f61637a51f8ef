// `zcnas score-space --space nb201 --dataset cifar10 --proxy synflow,nwot
//   [--sample N --seed S | --all | --archs-file F] [--batch-size 32] [--data PATH]`
// Scores many architectures in parallel (oneTBB, --threads workers, libtorch
// --intra-op-threads each) and stores every value in benchdb with provenance
// (source "zcnas", proxy + version + settings, seed, batch size, device), skipping
// the (arch, proxy) pairs already cached under the same provenance. Then
// `zcnas correlate --proxy synflow` (source zcnas) reads them.
//
// Every candidate uses the same seed for its weights and its batch (as the search
// driver does), so the stored values do not depend on the order or the workers.
#include <fstream>
#include <set>

#include <spdlog/spdlog.h>

#include "arch_select.hpp"
#include "score_common.hpp"
#include "zcnas/common/progress.hpp"
#include "zcnas/proxies/parallel.hpp"
#include "zcnas/proxies/registry.hpp"
#include "zcnas/proxies/scorer.hpp"
#include "zcnas/spaces/registry.hpp"

namespace zcnas::cli {
namespace {

struct Args {
  std::string space = "nb201", dataset, proxy, archs_file;
  std::size_t sample = 0;
  bool all = false;
  int intra_op_threads = 1;
  std::size_t chunk = 64;
  BatchArgs batch;
};

std::vector<std::string> select_archs(const spaces::Space& space, const Args& a, std::uint64_t seed) {
  return cli::select_archs(space, {a.sample, a.all, a.archs_file}, seed, "score-space");
}

void setup(CLI::App& root) {
  auto a = std::make_shared<Args>();
  auto* cmd = root.add_subcommand("score-space", "score many architectures of a space and store the values in benchdb");
  cmd->add_option("--space", a->space, "search space (zcnas spaces list)");
  cmd->add_option("--dataset", a->dataset, "data set / task (default: the space's first)");
  cmd->add_option("--proxy", a->proxy, "comma-separated proxies (zcnas proxies list)")->required();
  auto* s = cmd->add_option("--sample", a->sample, "score N distinct archs sampled with --seed");
  auto* all = cmd->add_flag("--all", a->all, "score every architecture of the space");
  auto* f = cmd->add_option("--archs-file", a->archs_file, "score the archs listed in a file, one per line (any encoding)")
                ->check(CLI::ExistingFile);
  s->excludes(all)->excludes(f);
  all->excludes(f);
  cmd->add_option("--intra-op-threads", a->intra_op_threads, "libtorch threads per worker (1: bit-identical for any --threads)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--chunk", a->chunk, "archs scored between two database writes")->check(CLI::PositiveNumber);
  add_batch_options(*cmd, a->batch);
  add_global_options(*cmd);
  cmd->callback([a] {
    const auto& space = spaces::get_space(a->space);
    const std::string dataset = a->dataset.empty() ? space.datasets().at(0) : space.resolve_dataset(a->dataset);
    const auto proxies_list = proxies::make_proxies(a->proxy);
    const std::uint64_t seed = globals().seed;
    std::vector<benchdb::Provenance> provs;
    const torch::Device device = parse_device(a->batch.device);
    for (const auto& p : proxies_list) provs.push_back(provenance(*p, seed, a->batch.batch_size, device.str(), !a->batch.no_augment));
    const auto archs = select_archs(space, *a, seed);

    auto db = benchdb::Database::open(database_path());
    nlohmann::json config{{"space", space.name()}, {"dataset", dataset}, {"proxies", a->proxy}, {"seed", seed},
                          {"batch_size", a->batch.batch_size}, {"augment", !a->batch.no_augment}, {"archs", archs.size()}};
    const auto run_id = db.begin_run("score", "zcnas score-space", config.dump());

    // Cache lookup: which proxies each arch still needs.
    struct Job {
      std::string arch, key;
      std::vector<std::size_t> missing;  // indices into proxies_list
      proxies::NetworkScores scores;
      std::string error;
      bool started = false;
    };
    std::vector<Job> jobs;
    std::size_t cached = 0;
    for (const auto& arch : archs) {
      Job j{arch, space.benchmark_key(arch), {}, {}, {}};
      for (std::size_t k = 0; k < proxies_list.size(); ++k) {
        if (db.find_score(space.name(), j.key, dataset, provs[k])) ++cached;
        else j.missing.push_back(k);
      }
      if (!j.missing.empty()) jobs.push_back(std::move(j));
    }
    spdlog::info("score-space {} {}: {} archs x {} proxies, {} cached, {} archs to score", space.name(), dataset, archs.size(),
                 proxies_list.size(), cached, jobs.size());

    bool needs_data = false;
    for (const auto& p : proxies_list) needs_data = needs_data || p->info().needs_data || p->info().needs_labels;
    proxies::ImageSet pool;
    if (needs_data && !jobs.empty()) pool = load_pool(a->batch);
    const auto bo = batch_options(a->batch, dataset, seed);
    const proxies::ParallelOptions popt{candidate_workers(device.is_cuda()), a->intra_op_threads};

    std::map<std::string, std::size_t> status_counts;
    std::map<std::string, double> seconds_sum;
    std::map<std::string, std::size_t> seconds_n;
    std::size_t stored = 0, failed_archs = 0;
    Progress progress("score " + space.name() + " " + dataset, jobs.size());
    SigintGuard sigint;  // Ctrl-C: archs already being scored finish and are stored, no new one starts
    std::size_t done = 0;
    for (std::size_t begin = 0; begin < jobs.size() && !SigintGuard::stop_requested(); begin += a->chunk) {
      const std::size_t end = std::min(jobs.size(), begin + a->chunk);
      proxies::parallel_for_candidates(end - begin, popt, [&](std::size_t i) {
        Job& job = jobs[begin + i];
        if (SigintGuard::stop_requested()) return;
        job.started = true;
        try {
          const auto graph = space.compile(job.arch, dataset);
          std::vector<proxies::ProxyPtr> ps;
          for (auto k : job.missing) ps.push_back(proxies_list[k]);
          const proxies::Scorer scorer(ps);
          proxies::Batch batch;
          if (scorer.needs_data()) batch = proxies::make_batch(pool, graph, bo);
          job.scores = scorer.score(graph, batch, seed, device);
        } catch (const std::exception& e) {
          job.error = e.what();
        }
        progress.tick();
      });
      std::vector<benchdb::ScoreRow> rows;
      for (std::size_t j = begin; j < end; ++j) {
        const Job& job = jobs[j];
        if (!job.started) continue;
        ++done;
        if (!job.error.empty()) {
          ++failed_archs;
          spdlog::warn("{}: {}", job.arch, job.error);
          continue;
        }
        for (std::size_t m = 0; m < job.missing.size(); ++m) {
          const auto& s = job.scores.scores[m];
          benchdb::ScoreRow row;
          row.space = space.name();
          row.arch_key = job.key;
          row.dataset = dataset;
          row.prov = provs[job.missing[m]];
          row.seconds = s.seconds;
          row.run_id = run_id;
          row.status = proxies::status_name(s.status);
          if (s.ok()) row.value = s.value;
          else if (!s.message.empty()) spdlog::warn("{} {}: {}", job.arch, s.proxy, s.message);
          ++status_counts[row.status];
          seconds_sum[s.proxy] += s.seconds;
          ++seconds_n[s.proxy];
          rows.push_back(std::move(row));
        }
      }
      db.put_scores(rows);
      stored += rows.size();
    }
    progress.finish();
    const bool interrupted = done < jobs.size();

    nlohmann::json summary{{"run_id", run_id}, {"space", space.name()}, {"dataset", dataset}, {"archs", archs.size()},
                           {"cached", cached}, {"scored_archs", done}, {"interrupted", interrupted}, {"stored_rows", stored},
                           {"failed_archs", failed_archs}, {"status", status_counts}, {"seconds", progress.seconds()},
                           {"workers", proxies::resolved_workers(popt)}, {"intra_op_threads", a->intra_op_threads}};
    nlohmann::json per_proxy = nlohmann::json::object();
    std::vector<std::vector<std::string>> rows;
    for (const auto& [p, sum] : seconds_sum) {
      per_proxy[p] = sum / static_cast<double>(seconds_n[p]);
      rows.push_back({p, fmt_num(sum / static_cast<double>(seconds_n[p]), 4)});
    }
    summary["mean_seconds_per_arch"] = per_proxy;
    db.finish_run(run_id, interrupted ? "interrupted" : failed_archs ? "failed" : "ok", summary.dump());
    std::string counts;
    for (const auto& [st, n] : status_counts) counts += (counts.empty() ? "" : ", ") + st + " " + std::to_string(n);
    std::string human = std::string(interrupted ? "interrupted: " : "") + "scored " + std::to_string(done) + " of " +
                        std::to_string(jobs.size()) + " archs to score (" +
                        std::to_string(cached) + " cached values) in " + fmt_num(progress.seconds(), 1) + " s on " +
                        std::to_string(proxies::resolved_workers(popt)) + " workers; stored " + std::to_string(stored) +
                        " values (" + (counts.empty() ? "none" : counts) + ")" +
                        (failed_archs ? ", " + std::to_string(failed_archs) + " archs failed" : "") + "\n";
    if (!rows.empty()) human += format_table({"proxy", "s/arch"}, rows);
    emit(summary, human);
  });
}
ZCNAS_COMMAND(setup);
}  // namespace
}  // namespace zcnas::cli
