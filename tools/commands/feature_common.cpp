#include "feature_common.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "zcnas/common/progress.hpp"
#include "zcnas/proxies/features.hpp"
#include "zcnas/proxies/parallel.hpp"
#include "zcnas/proxies/scorer.hpp"

namespace zcnas::cli {

benchdb::FeatureProvenance feature_provenance(const FeatureRequest& r) {
  const auto& kind = proxies::feature_kind(r.kind);
  auto settings = kind.settings(r.settings);
  if (r.batch.no_augment) settings["input"] = "no_augment";
  benchdb::FeatureProvenance p;
  p.kind = r.kind;
  p.version = kind.version;
  p.settings = benchdb::normalize_settings(settings.dump());
  p.seed = r.seed;
  p.batch_size = r.batch.batch_size;
  p.device = torch::Device(r.batch.device).str();
  return p;
}

nlohmann::json feature_provenance_json(const benchdb::FeatureProvenance& p) {
  return {{"kind", p.kind}, {"version", p.version}, {"settings", nlohmann::json::parse(p.settings)},
          {"seed", p.seed}, {"batch_size", p.batch_size}, {"device", p.device}};
}

FeatureResult ensure_features(benchdb::Database& db, const spaces::Space& space, const std::string& dataset,
                              const std::vector<std::string>& archs, const FeatureRequest& req,
                              std::optional<std::int64_t> run_id) {
  const auto prov = feature_provenance(req);
  const auto& kind = proxies::feature_kind(req.kind);
  auto kind_settings = nlohmann::json::parse(prov.settings);
  kind_settings.erase("input");  // provenance only, not a setting of the kind
  FeatureResult res;
  res.records.resize(archs.size());
  std::vector<std::size_t> todo;
  std::vector<std::string> keys(archs.size());
  for (std::size_t i = 0; i < archs.size(); ++i) {
    keys[i] = space.benchmark_key(archs[i]);
    if (auto row = db.find_features(space.name(), keys[i], dataset, prov)) {
      res.records[i] = nlohmann::json::parse(row->data);
      ++res.cached;
    } else {
      todo.push_back(i);
    }
  }
  if (todo.empty() || !req.compute_missing) return res;
  const torch::Device device = parse_device(req.batch.device);
  // Kinds read from the arch or the graph alone (onehot, onnx_text) need no images.
  const bool batched = kind.needs_batch && !kind.from_arch;
  const auto pool = batched ? load_pool(req.batch) : proxies::ImageSet{};
  const auto bo = batch_options(req.batch, dataset, req.seed);
  const proxies::ParallelOptions popt{candidate_workers(device.is_cuda()), req.intra_op_threads};
  res.workers = proxies::resolved_workers(popt);
  spdlog::info("features {} {} {}: {} archs, {} cached, {} to compute on {} workers", req.kind, space.name(), dataset,
               archs.size(), res.cached, todo.size(), res.workers);
  std::vector<std::string> errors(archs.size());
  std::vector<double> secs(archs.size(), 0.0);
  Progress progress("features " + space.name() + " " + dataset, todo.size());
  std::vector<char> started(archs.size(), 0);
  SigintGuard sigint;  // Ctrl-C: archs in flight finish and are stored, no new one starts (a rerun resumes)
  for (std::size_t begin = 0; begin < todo.size() && !SigintGuard::stop_requested(); begin += req.chunk) {
    const std::size_t end = std::min(todo.size(), begin + req.chunk);
    proxies::parallel_for_candidates(end - begin, popt, [&](std::size_t j) {
      const std::size_t i = todo[begin + j];
      if (SigintGuard::stop_requested()) return;
      started[i] = 1;
      try {
        const auto t0 = std::chrono::steady_clock::now();
        if (kind.from_arch) {
          res.records[i] = kind.from_arch(space, archs[i], kind_settings);
        } else {
          const auto graph = space.compile(archs[i], dataset);
          proxies::Batch batch;
          if (batched) {
            batch = proxies::make_batch(pool, graph, bo);
            proxies::check_batch_fits(graph, batch);
            if (!device.is_cpu()) batch.inputs = batch.inputs.to(device), batch.labels = batch.labels.to(device);
          }
          proxies::ProxyContext ctx(graph, std::move(batch), req.seed, device);
          res.records[i] = kind.compute(ctx, kind_settings);
        }
        secs[i] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
      progress.tick();
    });
    std::vector<benchdb::FeatureRow> rows;
    for (std::size_t j = begin; j < end; ++j) {
      const std::size_t i = todo[j];
      if (!started[i]) continue;
      if (!errors[i].empty() || !res.records[i]) {
        ++res.failed;
        spdlog::warn("{}: {}", archs[i], errors[i]);
        continue;
      }
      ++res.computed;
      res.compute_seconds_sum += secs[i];
      rows.push_back({space.name(), keys[i], dataset, prov, res.records[i]->dump(), secs[i], run_id});
    }
    db.put_features(rows);
  }
  progress.finish();
  res.seconds = progress.seconds();
  return res;
}

}  // namespace zcnas::cli
