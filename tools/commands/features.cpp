// `zcnas features --space nb201 --dataset cifar10 [--sample N --seed S | --all |
//   --archs-file F] [--kind node_stats] [--fisher] [--device cuda] [--batch-size 32]`
// Computes predictor inputs (ParZC's node-wise zero-cost statistics by default) for
// many archs in parallel (oneTBB, as score-space) and caches them in benchdb's
// `features` table with provenance (kind, version, settings, seed, batch, device).
// Resumable: cached records are skipped, each chunk is stored as it finishes.
#include <spdlog/spdlog.h>

#include "arch_select.hpp"
#include "feature_common.hpp"
#include "zcnas/proxies/parallel.hpp"
#include "zcnas/spaces/registry.hpp"

namespace zcnas::cli {
namespace {

struct Args {
  std::string space = "nb201", dataset;
  ArchSelection sel;
  FeatureRequest req;
  bool fisher = false;
};

void setup(CLI::App& root) {
  auto a = std::make_shared<Args>();
  auto* cmd = root.add_subcommand("features", "compute predictor input features (ParZC node statistics) and cache them in benchdb");
  cmd->add_option("--space", a->space, "search space (zcnas spaces list)");
  cmd->add_option("--dataset", a->dataset, "data set / task (default: the space's first)");
  cmd->add_option("--kind", a->req.kind, "feature kind (node_stats)");
  cmd->add_flag("--fisher", a->fisher, "node_stats: add the fisher statistic");
  auto* s = cmd->add_option("--sample", a->sel.sample, "N distinct archs sampled with --seed");
  auto* all = cmd->add_flag("--all", a->sel.all, "every architecture of the space");
  auto* f = cmd->add_option("--archs-file", a->sel.archs_file, "the archs listed in a file, one per line")->check(CLI::ExistingFile);
  s->excludes(all)->excludes(f);
  all->excludes(f);
  cmd->add_option("--intra-op-threads", a->req.intra_op_threads, "libtorch threads per worker")->check(CLI::PositiveNumber);
  cmd->add_option("--chunk", a->req.chunk, "archs computed between two database writes")->check(CLI::PositiveNumber);
  add_batch_options(*cmd, a->req.batch);
  add_global_options(*cmd);
  cmd->callback([a] {
    const auto& space = spaces::get_space(a->space);
    const std::string dataset = a->dataset.empty() ? space.datasets().at(0) : space.resolve_dataset(a->dataset);
    auto req = a->req;
    req.seed = globals().seed;
    if (a->fisher) req.settings["fisher"] = true;
    parse_device(req.batch.device);  // fail early on a bad device
    const auto archs = select_archs(space, a->sel, req.seed, "features");
    auto db = benchdb::Database::open(database_path());
    const auto prov = feature_provenance(req);
    nlohmann::json config{{"space", space.name()}, {"dataset", dataset}, {"archs", archs.size()},
                          {"provenance", feature_provenance_json(prov)}};
    const auto run_id = db.begin_run("features", "zcnas features", config.dump());
    FeatureResult r;
    try {
      r = ensure_features(db, space, dataset, archs, req, run_id);
    } catch (...) {
      db.finish_run(run_id, "failed");
      throw;
    }
    const double per_arch = r.computed ? r.compute_seconds_sum / static_cast<double>(r.computed) : 0.0;
    nlohmann::json summary{{"run_id", run_id}, {"space", space.name()}, {"dataset", dataset}, {"archs", archs.size()},
                           {"cached", r.cached}, {"computed", r.computed}, {"failed", r.failed},
                           {"seconds", r.seconds}, {"seconds_per_arch", per_arch}, {"workers", r.workers},
                           {"provenance", feature_provenance_json(prov)}};
    db.finish_run(run_id, r.failed ? "failed" : "ok", summary.dump());
    emit(summary, "features " + req.kind + " for " + std::to_string(archs.size()) + " archs of " + space.name() + "/" +
                      dataset + ": " + std::to_string(r.cached) + " cached, " + std::to_string(r.computed) +
                      " computed in " + fmt_num(r.seconds, 1) + " s on " + std::to_string(r.workers) + " workers (" +
                      fmt_num(per_arch, 3) + " s per arch per worker)" +
                      (r.failed ? ", " + std::to_string(r.failed) + " failed" : "") + "\n");
    if (r.failed) throw Error("features", std::to_string(r.failed) + " archs failed", "see the warnings above");
  });
}
ZCNAS_COMMAND(setup);
}  // namespace
}  // namespace zcnas::cli
