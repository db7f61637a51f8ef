// `zcnas predictor train --kind parzc --space nb201 --dataset cifar10 --n-train 156
//    --seed S -o parzc.pt [--loss diffkendall|mse|hinge] [--no-bayes] [--epochs E]
//    [--settings JSON] [--metric val_acc]`
// `zcnas predictor eval --model parzc.pt --space nb201 --dataset cifar10 [--sample N]
//    [--cached-only] [--json]`
// Kinds: parzc, onnxtext (ONNX-graph text), onehot (op encoding). An onnxtext model also
// evaluates zero-shot on another space (`eval --model nb201_text.pt --space nb101`).
// Training archs: N drawn with --seed (which also seeds the model) from the archs that have ground truth for the
// data set (benchdb, filled by `zcnas bench import`). Evaluation: every arch with
// ground truth NOT in the model's training set (or a seeded --sample of them),
// Kendall tau-b and Spearman rho of the predicted means against the ground truth.
// Feature records come from the benchdb cache or are computed (and cached) with the
// provenance the model was trained with; their seed is --feature-seed (default 0, as
// `zcnas features`), so models of every --seed share one set of cached features.
#include <algorithm>
#include <map>
#include <random>
#include <set>

#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>

#include "feature_common.hpp"
#include "zcnas/predictors/parzc.hpp"
#include "zcnas/predictors/predictor.hpp"
#include "zcnas/predictors/rank_metrics.hpp"
#include "zcnas/proxies/node_stats.hpp"
#include "zcnas/spaces/registry.hpp"

namespace zcnas::cli {
namespace {

struct Truth {
  std::string metric, source;
  std::map<std::string, double> values;  // key -> value (higher is better after sign flip)
};

Truth load_truth(benchdb::Database& db, const std::string& space, const std::string& dataset, const std::string& metric) {
  std::vector<benchdb::StoredTruth> cands;
  for (const auto& s : db.truth_series(space))
    if (s.dataset == dataset && (metric.empty() || s.metric == metric)) cands.push_back(s);
  if (cands.empty())
    throw Error(space + "/" + dataset, "no ground truth" + (metric.empty() ? std::string() : " for metric " + metric) + " in " + db.path(),
                "run `zcnas bench import` (or pass --db)");
  auto best = std::find_if(cands.begin(), cands.end(), [](const auto& s) { return s.source == "bench"; });
  const auto& s = best != cands.end() ? *best : cands.front();
  Truth t{s.metric, s.source, {}};
  for (const auto& row : db.truth(space, dataset, s.metric, s.source))
    if (row.value) t.values[row.arch_key] = s.higher_is_better ? *row.value : -*row.value;
  return t;
}

std::string canonical_of(benchdb::Database& db, const spaces::Space& space, const std::string& key) {
  if (auto a = db.arch(space.name(), key); a && a->canonical) return *a->canonical;
  return space.canonical(key);
}

std::vector<std::string> seeded_subset(std::vector<std::string> keys, std::size_t n, std::uint64_t seed) {
  std::sort(keys.begin(), keys.end());
  std::mt19937_64 rng(seed);
  std::shuffle(keys.begin(), keys.end(), rng);
  if (n < keys.size()) keys.resize(n);
  return keys;
}

struct TrainArgs {
  std::string kind = "parzc", space = "nb201", dataset, out, loss, settings = "{}", metric;
  std::size_t n_train = 156;
  std::uint64_t feature_seed = 0;
  bool no_bayes = false, fisher = false;
  int epochs = 0;
  FeatureRequest req;
};

struct EvalArgs {
  std::string model, space = "nb201", dataset, metric;
  std::size_t sample = 0;
  bool cached_only = false;
  int intra_op_threads = 1;
  std::string data;
};

void setup(CLI::App& root) {
  auto* cmd = root.add_subcommand("predictor", "train and evaluate performance predictors (ParZC, ONNX-text, one-hot)");
  cmd->require_subcommand(1);

  auto t = std::make_shared<TrainArgs>();
  auto* tr = cmd->add_subcommand("train", "train a predictor on N archs with ground truth and save it");
  tr->add_option("--kind", t->kind, "predictor kind: parzc, onnxtext (ONNX-graph text surrogate), onehot (op-encoding baseline)");
  tr->add_option("--space", t->space, "search space");
  tr->add_option("--dataset", t->dataset, "data set (default: the space's first)");
  tr->add_option("--n-train", t->n_train, "number of training archs (seeded by --seed)")->check(CLI::PositiveNumber);
  tr->add_option("-o,--output", t->out, "model file to write")->required();
  tr->add_option("--loss", t->loss, "parzc: diffkendall (default), mse or hinge");
  tr->add_flag("--no-bayes", t->no_bayes, "plain linear layers instead of Bayesian ones");
  tr->add_flag("--fisher", t->fisher, "add the fisher node statistic");
  tr->add_option("--epochs", t->epochs, "training epochs (default: the kind's)")->check(CLI::PositiveNumber);
  tr->add_option("--settings", t->settings, "more predictor settings as a JSON object, e.g. '{\"dim\":128}'");
  tr->add_option("--metric", t->metric, "ground-truth metric (default: the benchmark's, e.g. val_acc)");
  tr->add_option("--feature-seed", t->feature_seed,
                 "seed of the feature records (weights and batch; default 0, as `zcnas features`), independent of --seed");
  tr->add_option("--intra-op-threads", t->req.intra_op_threads, "libtorch threads per feature worker")->check(CLI::PositiveNumber);
  add_batch_options(*tr, t->req.batch);
  add_global_options(*tr);
  tr->callback([t] {
    const auto& space = spaces::get_space(t->space);
    const std::string dataset = t->dataset.empty() ? space.datasets().at(0) : space.resolve_dataset(t->dataset);
    const std::uint64_t seed = globals().seed;
    auto settings = nlohmann::json::parse(t->settings, nullptr, false);
    if (!settings.is_object()) throw Error("--settings " + t->settings, "not a JSON object", "e.g. '{\"dim\":128}'");
    settings["seed"] = seed;
    if (!t->loss.empty()) settings["loss"] = t->loss;
    if (t->no_bayes) settings["bayes"] = false;
    if (t->fisher) settings["fisher"] = true;
    if (t->epochs > 0) settings["epochs"] = t->epochs;
    if (t->kind == "parzc" && !settings.contains("max_nodes")) {
      const auto m = proxies::max_metric_nodes(space, dataset);
      settings["max_nodes"] = m.nodes;
      if (!m.exact) spdlog::warn("max_nodes {} estimated from 5,000 samples of {}", m.nodes, space.name());
    }
    auto model = predictors::make_predictor(t->kind, settings);
    const auto spec = model->feature_spec();

    auto db = benchdb::Database::open(database_path());
    const auto truth = load_truth(db, space.name(), dataset, t->metric);
    std::vector<std::string> keys;
    for (const auto& [k, v] : truth.values) keys.push_back(k);
    if (t->n_train > keys.size())
      throw Error("--n-train " + std::to_string(t->n_train), "more than the " + std::to_string(keys.size()) + " archs with ground truth");
    keys = seeded_subset(keys, t->n_train, seed);
    std::vector<std::string> archs;
    for (const auto& k : keys) archs.push_back(canonical_of(db, space, k));

    auto req = t->req;
    req.kind = spec.kind;
    req.settings = spec.settings;
    req.seed = t->feature_seed;
    // Computing features sets this thread to one libtorch thread (parallel.cpp); the
    // training that follows gets the thread count it had before.
    const int torch_threads = at::get_num_threads();
    const auto fr = ensure_features(db, space, dataset, archs, req);
    at::set_num_threads(torch_threads);
    predictors::TrainingData data;
    for (std::size_t i = 0; i < archs.size(); ++i) {
      if (!fr.records[i]) continue;
      data.keys.push_back(keys[i]);
      data.features.push_back(*fr.records[i]);
      data.targets.push_back(truth.values.at(keys[i]));
    }
    auto prov = feature_provenance_json(feature_provenance(req));
    prov["space"] = space.name();
    prov["dataset"] = dataset;
    prov["truth"] = {{"metric", truth.metric}, {"source", truth.source}};
    data.feature_provenance = prov;
    spdlog::info("training {} on {} archs ({} features cached, {} computed)", t->kind, data.keys.size(), fr.cached, fr.computed);
    model->train(data);
    model->save(t->out);
    const auto meta = model->metadata();
    nlohmann::json summary{{"model", t->out}, {"kind", t->kind}, {"space", space.name()}, {"dataset", dataset},
                           {"n_train", data.keys.size()}, {"training", meta.at("training")}, {"settings", meta.at("settings")},
                           {"features_cached", fr.cached}, {"features_computed", fr.computed}};
    emit(summary, "trained " + t->kind + " on " + std::to_string(data.keys.size()) + " archs of " + space.name() + "/" +
                      dataset + " in " + fmt_num(meta.at("training").at("seconds").get<double>(), 1) + " s -> " + t->out + "\n");
  });

  auto e = std::make_shared<EvalArgs>();
  auto* ev = cmd->add_subcommand("eval", "rank correlation of a trained predictor on archs it was not trained on");
  ev->add_option("--model", e->model, "model file (zcnas predictor train -o)")->required();
  ev->add_option("--space", e->space, "search space");
  ev->add_option("--dataset", e->dataset, "data set (default: the model's)");
  ev->add_option("--sample", e->sample, "evaluate a seeded sample of N held-out archs (default: all; with --cached-only, of those cached)");
  ev->add_option("--metric", e->metric, "ground-truth metric (default: the model's)");
  ev->add_flag("--cached-only", e->cached_only, "use only archs whose features are cached (compute none)");
  ev->add_option("--intra-op-threads", e->intra_op_threads, "libtorch threads per feature worker")->check(CLI::PositiveNumber);
  ev->add_option("--data", e->data, "CIFAR-10 data for computing missing features");
  add_global_options(*ev);
  ev->callback([e] {
    const auto meta = predictors::read_model_metadata(e->model);
    auto model = predictors::load_predictor(e->model);
    const auto& fp = meta.at("feature_provenance");
    const auto& space = spaces::get_space(e->space);
    const std::string dataset = !e->dataset.empty() ? space.resolve_dataset(e->dataset) : fp.value("dataset", space.datasets().at(0));
    // A model of another space is evaluated zero-shot when its features are space-independent
    // (the ONNX text); the metric then defaults to the target space's.
    const bool zero_shot = fp.value("space", space.name()) != space.name();
    if (zero_shot && fp.value("kind", std::string()) != "onnx_text")
      throw Error("--model " + e->model, "was trained on space " + fp.value("space", std::string()) + ", not " + space.name(),
                  "only onnx_text models (onnxtext) read other spaces (zero-shot)");
    const std::string metric = !e->metric.empty() ? e->metric
                               : zero_shot || !fp.contains("truth") ? ""
                                                                      : fp.at("truth").value("metric", "");
    auto db = benchdb::Database::open(database_path());
    const auto truth = load_truth(db, space.name(), dataset, metric);
    std::set<std::string> trained;
    for (const auto& k : meta.at("trained_on")) trained.insert(k.get<std::string>());
    FeatureRequest req;
    req.kind = fp.at("kind").get<std::string>();
    req.settings = fp.at("settings");
    req.settings.erase("input");
    req.seed = fp.at("seed").get<std::uint64_t>();
    req.batch.batch_size = fp.at("batch_size").get<int>();
    req.batch.device = fp.at("device").get<std::string>();
    req.batch.no_augment = fp.at("settings").value("input", "") == "no_augment";
    req.batch.data = e->data;
    req.intra_op_threads = e->intra_op_threads;
    req.compute_missing = !e->cached_only;
    // Held-out archs: ground truth, not trained on (and, with --cached-only, features
    // cached); --sample draws from those.
    std::set<std::string> cached;
    if (e->cached_only)
      for (const auto& row : db.features(space.name(), dataset, feature_provenance(req))) cached.insert(row.arch_key);
    std::vector<std::string> keys;
    for (const auto& [k, v] : truth.values)
      if (!trained.count(k) && (!e->cached_only || cached.count(k))) keys.push_back(k);
    if (e->sample) keys = seeded_subset(keys, e->sample, globals().seed);
    std::sort(keys.begin(), keys.end());
    std::vector<std::string> archs;
    for (const auto& k : keys) archs.push_back(canonical_of(db, space, k));
    const int torch_threads = at::get_num_threads();
    const auto fr = ensure_features(db, space, dataset, archs, req);
    at::set_num_threads(torch_threads);
    std::vector<nlohmann::json> feats;
    std::vector<double> truths;
    for (std::size_t i = 0; i < archs.size(); ++i)
      if (fr.records[i]) feats.push_back(*fr.records[i]), truths.push_back(truth.values.at(keys[i]));
    if (feats.size() < 2) throw Error("predictor eval", "fewer than 2 held-out archs with features", "compute features with `zcnas features` or drop --cached-only");
    const auto preds = model->predict(feats);
    std::vector<double> means;
    double mean_std = 0;
    for (const auto& p : preds) means.push_back(p.mean), mean_std += p.std;
    mean_std /= static_cast<double>(preds.size());
    const double tau = predictors::kendall_tau_b(means, truths);
    const double rho = predictors::spearman_rho(means, truths);
    nlohmann::json out{{"model", e->model}, {"kind", meta.at("kind")}, {"space", space.name()}, {"dataset", dataset},
                       {"metric", truth.metric}, {"kendall", tau}, {"spearman", rho}, {"n", feats.size()},
                       {"n_train", trained.size()}, {"zero_shot", zero_shot}, {"mean_uncertainty", mean_std},
                       {"features_cached", fr.cached}, {"features_computed", fr.computed}, {"seed", meta.at("seed")}};
    emit(out, meta.at("kind").get<std::string>() + " on " + std::to_string(feats.size()) + " held-out archs of " + space.name() +
                  "/" + dataset + " (" + truth.metric + "): Kendall tau " + fmt_num(tau, 4) + ", Spearman rho " +
                  fmt_num(rho, 4) + "\n");
  });
}
ZCNAS_COMMAND(setup);
}  // namespace
}  // namespace zcnas::cli
