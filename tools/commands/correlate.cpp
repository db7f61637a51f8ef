// `zcnas correlate`: rank correlation of stored proxy scores with benchmark ground truth.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "cli_common.hpp"
#include "zcnas/benchdb/database.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/predictors/rank_metrics.hpp"

namespace zcnas::cli {
namespace {

using benchdb::Database;

struct ProxyRef {
  std::string source, name;
  std::string label() const { return source + ":" + name; }
};

// --proxy grammar (docs/cli.md): NAME -> computed by zcnas; SOURCE:NAME -> stored source;
// predictor:X -> trained predictor; comma lists; `all` -> every stored proxy.
std::vector<ProxyRef> parse_proxies(Database& db, const std::string& space, const std::string& dataset, const std::string& spec) {
  std::vector<ProxyRef> out;
  const auto stored = db.stored_proxies(space, dataset);
  std::size_t start = 0;
  while (start <= spec.size()) {
    const auto comma = spec.find(',', start);
    std::string item = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? spec.size() + 1 : comma + 1;
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item.empty()) throw Error("--proxy '" + spec + "'", "empty proxy name in the list", "e.g. --proxy naslib:synflow,naslib:nwot");
    if (item == "all") {
      for (const auto& p : stored) out.push_back({p.source, p.proxy});
      continue;
    }
    const auto colon = item.find(':');
    ProxyRef ref = colon == std::string::npos ? ProxyRef{"zcnas", item} : ProxyRef{item.substr(0, colon), item.substr(colon + 1)};
    if (ref.source == "predictor")
      throw Error("--proxy '" + item + "'", "predictor scores are not stored yet for correlate",
                  "score with a predictor first (later issue), or use a stored SOURCE:NAME");
    const bool found = std::any_of(stored.begin(), stored.end(),
                                   [&](const auto& p) { return p.source == ref.source && p.proxy == ref.name; });
    if (!found) {
      std::string known;
      for (const auto& p : stored) known += (known.empty() ? "" : ", ") + p.source + ":" + p.proxy;
      throw Error("--proxy '" + item + "'", "no stored scores of " + ref.label() + " for " + space + " " + dataset,
                  "stored: " + (known.empty() ? std::string("none (run `zcnas bench import` or `zcnas score`)") : known) +
                      "; a bare name means source zcnas");
    }
    out.push_back(ref);
  }
  if (out.empty()) throw Error("--proxy '" + spec + "'", "no stored proxies for " + space + " " + dataset, "run `zcnas bench import`");
  return out;
}

// Picks the ground-truth series: --truth source (default: the benchmark's own table
// "bench" when it has this data set, else "naslib") and --metric (default: the only
// metric, else the first of a fixed preference list).
benchdb::StoredTruth pick_truth(Database& db, const std::string& space, const std::string& dataset,
                                const std::string& source_opt, const std::string& metric_opt) {
  std::vector<benchdb::StoredTruth> series;
  for (const auto& s : db.truth_series(space))
    if (s.dataset == dataset) series.push_back(s);
  std::string known;
  for (const auto& s : series) known += (known.empty() ? "" : ", ") + s.source + "/" + s.metric;
  if (series.empty()) {
    // A space whose archs were imported but that has no truth at all ships none
    // (NAS-Bench-301's sample has only params/FLOPs): importing again will not help.
    if (db.truth_series(space).empty() && db.arch_count(space) > 0)
      throw Error("dataset '" + dataset + "'", "the benchmark data ships no ground truth for " + space,
                  "correlate needs accuracies; rank its archs with `zcnas score-space` / `zcnas search` instead");
    throw Error("dataset '" + dataset + "'", "no ground truth stored for " + space, "run `zcnas bench import`");
  }
  std::string source = source_opt;
  if (source.empty())
    source = std::any_of(series.begin(), series.end(), [](const auto& s) { return s.source == "bench"; }) ? "bench" : series.front().source;
  std::erase_if(series, [&](const auto& s) { return s.source != source || (!metric_opt.empty() && s.metric != metric_opt); });
  if (series.empty())
    throw Error("--truth '" + source + "'" + (metric_opt.empty() ? "" : " --metric '" + metric_opt + "'"),
                "no such ground truth for " + space + " " + dataset, "stored (source/metric): " + known);
  static const std::vector<std::string> pref = {"val_acc", "val", "val_accuracy", "dev", "top1", "valid_ppl"};
  for (const auto& m : pref)
    for (const auto& s : series)
      if (s.metric == m) return s;
  return series.front();
}

struct Result {
  ProxyRef proxy;
  predictors::CorrelationSummary summary;
  std::int64_t averaged = 0;  // archs with several provenances (averaged)
  std::optional<predictors::ConfidenceInterval> kendall_ci, spearman_ci;
};

nlohmann::json num(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }

void run(const std::string& space_opt, const std::string& dataset_opt, const std::string& proxy_spec,
         const std::string& truth_opt, const std::string& metric_opt, int bootstrap) {
  auto db = Database::open(database_path(), benchdb::OpenMode::ReadOnly);
  const std::string space = resolve_space(db, space_opt);
  const std::string dataset = resolve_dataset(db, space, dataset_opt);
  const auto truth_series = pick_truth(db, space, dataset, truth_opt, metric_opt);
  std::map<std::string, double> truth;
  for (const auto& t : db.truth(space, dataset, truth_series.metric, truth_series.source))
    if (t.value) truth[t.arch_key] = truth_series.higher_is_better ? *t.value : -*t.value;

  std::vector<Result> results;
  for (const auto& ref : parse_proxies(db, space, dataset, proxy_spec)) {
    std::map<std::string, std::pair<double, int>> acc;  // key -> (sum, count)
    for (const auto& s : db.scores(space, dataset, ref.source, ref.name))
      if (s.value) acc[s.arch_key].first += *s.value, acc[s.arch_key].second++;
    std::vector<double> x, y;
    Result r;
    r.proxy = ref;
    for (const auto& [key, sc] : acc) {
      auto it = truth.find(key);
      if (it == truth.end()) continue;
      if (sc.second > 1) r.averaged++;
      x.push_back(sc.first / sc.second);
      y.push_back(it->second);
    }
    r.summary = predictors::summarize(x, y);
    if (bootstrap > 0) {  // seeded percentile bootstrap (--seed), 95%
      r.kendall_ci = predictors::bootstrap_ci(x, y, predictors::kendall_tau_b, bootstrap, globals().seed);
      r.spearman_ci = predictors::bootstrap_ci(x, y, predictors::spearman_rho, bootstrap, globals().seed);
    }
    results.push_back(std::move(r));
  }
  std::stable_sort(results.begin(), results.end(), [](const Result& a, const Result& b) {
    const double ra = a.summary.spearman, rb = b.summary.spearman;
    if (std::isnan(ra) != std::isnan(rb)) return std::isnan(rb);
    return ra > rb;
  });

  auto to_json = [&](const Result& r) {
    nlohmann::json topk = nlohmann::json::object();
    for (const auto& [k, v] : r.summary.top_k_precision) topk[std::to_string(k)] = num(v);
    return nlohmann::json{{"proxy", r.proxy.label()}, {"space", space},     {"dataset", dataset},
                          {"truth", truth_series.source + "/" + truth_series.metric},
                          {"n", r.summary.n},          {"kendall", num(r.summary.kendall)},
                          {"spearman", num(r.summary.spearman)},             {"pearson", num(r.summary.pearson)},
                          {"top_k_precision", topk}};
  };
  auto with_ci = [&](const Result& r) {
    auto j = to_json(r);
    if (r.kendall_ci) j["kendall_ci95"] = {num(r.kendall_ci->lo), num(r.kendall_ci->hi)};
    if (r.spearman_ci) j["spearman_ci95"] = {num(r.spearman_ci->lo), num(r.spearman_ci->hi)};
    return j;
  };
  nlohmann::json j;
  if (results.size() == 1 && proxy_spec.find(',') == std::string::npos && proxy_spec != "all") {
    j = with_ci(results.front());
  } else {
    j = nlohmann::json::array();
    for (const auto& r : results) j.push_back(with_ci(r));
  }
  std::vector<std::vector<std::string>> rows;
  std::string notes;
  for (const auto& r : results) {
    auto f = [](double v) { return std::isnan(v) ? std::string("-") : fmt_num(v, 3); };
    auto ci = [&](const std::optional<predictors::ConfidenceInterval>& c) {
      return c ? " [" + f(c->lo) + ", " + f(c->hi) + "]" : std::string();
    };
    rows.push_back({r.proxy.label(), std::to_string(r.summary.n), f(r.summary.kendall) + ci(r.kendall_ci),
                    f(r.summary.spearman) + ci(r.spearman_ci), f(r.summary.pearson),
                    f(r.summary.top_k_precision.at(1)), f(r.summary.top_k_precision.at(5)),
                    f(r.summary.top_k_precision.at(10))});
    if (r.averaged)
      notes += r.proxy.label() + ": " + std::to_string(r.averaged) + " archs have scores of several provenances (averaged)\n";
  }
  const std::string header = space + " " + dataset + ", ground truth " + truth_series.source + "/" + truth_series.metric +
                             (truth_series.higher_is_better ? "" : " (lower is better; ranked negated)") + "\n";
  emit(j, header + format_table({"proxy", "n", "kendall", "spearman", "pearson", "top1%", "top5%", "top10%"}, rows) + notes);
}

void setup(CLI::App& root) {
  auto* cmd = root.add_subcommand("correlate", "rank correlation of stored proxy scores with benchmark ground truth");
  cmd->fallthrough();
  static std::string space, dataset, proxy, truth, metric;
  static int bootstrap = 0;
  cmd->add_option("--space", space, "search space, e.g. nb201")->required();
  cmd->add_option("--dataset", dataset, "data set / task, e.g. cifar10 (case-insensitive)")->required();
  cmd->add_option("--proxy", proxy, "NAME (zcnas), SOURCE:NAME (stored, e.g. naslib:synflow), comma list, or all")->required();
  cmd->add_option("--truth", truth, "ground-truth source: bench (the benchmark table, default) or naslib (Suite-Zero JSON)");
  cmd->add_option("--metric", metric, "ground-truth metric when the source has several (e.g. valid_ppl, top1_kd)");
  cmd->add_option("--bootstrap", bootstrap, "add 95% bootstrap intervals for tau and rho from N resamples (seeded by --seed)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([] { run(space, dataset, proxy, truth, metric, bootstrap); });
}
ZCNAS_COMMAND(setup);

}  // namespace
}  // namespace zcnas::cli
