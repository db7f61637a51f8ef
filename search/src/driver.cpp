#include "zcnas/search/driver.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <set>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "zcnas/benchdb/database.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/common/progress.hpp"
#include "zcnas/predictors/predictor.hpp"
#include "zcnas/proxies/batch.hpp"
#include "zcnas/proxies/cifar10.hpp"
#include "zcnas/proxies/parallel.hpp"
#include "zcnas/proxies/registry.hpp"
#include "zcnas/proxies/scorer.hpp"
#include "zcnas/search/dedup.hpp"
#include "zcnas/search/provenance.hpp"
#include "zcnas/search/strategy.hpp"
#include "zcnas/spaces/counting.hpp"
#include "zcnas/spaces/registry.hpp"
#include "pipeline.hpp"

namespace zcnas::search {
namespace {

using Clock = std::chrono::steady_clock;

// One proxy of the config: computed here (source zcnas) or read from a stored source.
struct ProxyUse {
  std::string label;       // as written in the config ("synflow", "naslib:synflow")
  std::string source;      // "zcnas" or the stored source
  std::string name;
  proxies::ProxyPtr proxy; // set for computed proxies
  benchdb::Provenance prov;
  std::unordered_map<std::string, double> stored;  // key -> value, for stored sources
};

// Streaming percentile ranks for combine: rank_average.
struct RankTracker {
  std::vector<double> sorted;
  void add(double v) { sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), v), v); }
  double percentile(double v) const {
    if (sorted.empty()) return 0.5;
    auto lo = std::lower_bound(sorted.begin(), sorted.end(), v);
    auto hi = std::upper_bound(sorted.begin(), sorted.end(), v);
    return (static_cast<double>(lo - sorted.begin()) + 0.5 * static_cast<double>(hi - lo)) / static_cast<double>(sorted.size());
  }
};

// Activation + gradient memory estimate (bytes) of one forward/backward at `batch`:
// every node output kept for backward, its gradient, and parameters with grads.
double estimate_memory_bytes(const spaces::NetGraph& g, std::int64_t batch, double params) {
  double elems = 0;
  for (const auto& n : g.nodes()) {
    double e = 1;
    for (auto d : n.shape) e *= static_cast<double>(d);
    elems += e;
  }
  return 4.0 * (2.0 * elems * static_cast<double>(batch) + 3.0 * params);
}

// One candidate of a score() call on its way through the stages (pipeline.hpp).
struct Work final : detail::Token {
  enum class Kind { Skip, Late, Score };          // Skip: budget spent; Late: scored before
  enum class From { Stored, Cache, Shared, Compute };  // where each proxy value comes from
  Kind kind = Kind::Skip;
  std::size_t slot = 0;  // index in the score() call
  std::size_t rec = 0;   // index in result_.candidates
  std::string canonical;
  // prepare (serial)
  std::vector<From> from;                             // per configured proxy
  std::vector<std::optional<benchdb::ScoreRow>> hit;  // From::Cache rows
  std::vector<std::size_t> missing;                   // From::Compute, indices into uses_
  std::optional<std::size_t> rep;                     // structural dedup: earlier record with the same hash
  bool build = true;
  // build + score (parallel; nothing else is touched there)
  spaces::NetGraph graph;
  double params = 0, flops = 0;
  std::string verdict;  // "", "constraint", "memory"
  proxies::NetworkScores scores;
  std::string error;
};

class Driver final : public SearchContext {
 public:
  Driver(const SearchConfig& cfg, const RunOptions& opt)
      : cfg_(cfg), opt_(opt), space_(spaces::get_space(cfg.space)), dataset_(space_.resolve_dataset(cfg.dataset)),
        db_(benchdb::Database::open(opt.database)), rng_(cfg.seed) {
    threads_ = opt.threads >= 0 ? opt.threads : cfg.threads;
    try {
      device_ = torch::Device(cfg.device);
    } catch (const c10::Error&) {
      throw Error("config key 'device'", "'" + cfg.device + "' is not a device name", "use cpu, cuda or cuda:N");
    }
    if (device_.is_cuda()) {
      if (!torch::cuda::is_available()) throw Error("config key 'device'", "CUDA is not available here", "use device: cpu");
      proxies::prepare_device(device_);
      threads_ = 1;  // one GPU: candidates go to it one at a time
    }
    setup_proxies();
    load_truth();
  }

  SearchResult run() {
    auto strategy = make_strategy(cfg_.strategy, cfg_.strategy_settings);
    check_budget_fits(*strategy);
    start_run();
    start_ = Clock::now();
    if (cfg_.budget.candidates) progress_total_ = static_cast<std::size_t>(*cfg_.budget.candidates);
    progress_ = std::make_unique<Progress>("scoring " + cfg_.space, progress_total_, opt_.progress);
    std::string failure;
    try {
      strategy->run(*this);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    progress_->finish();
    result_.stats.seconds = elapsed();
    result_.interrupted = opt_.stop && opt_.stop->load();
    finalize();
    const std::string status = !failure.empty() ? "failed" : result_.interrupted ? "interrupted" : "ok";
    db_.finish_run(result_.run_id, status, summary_json().dump());
    if (!failure.empty()) throw Error("search " + cfg_.name, failure);
    return std::move(result_);
  }

  // ---- SearchContext ------------------------------------------------------
  const spaces::Space& space() const override { return space_; }
  spaces::Rng& rng() override { return rng_; }
  bool has_query_budget() const override { return cfg_.budget.queries.has_value(); }
  bool queries_left() const override {
    if (stopped()) return false;
    if (!cfg_.budget.queries || result_.stats.queries >= *cfg_.budget.queries) return false;
    return !cfg_.budget.seconds || elapsed() < *cfg_.budget.seconds;
  }
  bool candidates_left() const override {
    if (stopped()) return false;
    if (cfg_.budget.candidates && scored_ >= *cfg_.budget.candidates) return false;
    return !cfg_.budget.seconds || elapsed() < *cfg_.budget.seconds;
  }

  std::vector<std::optional<double>> score(const std::vector<std::string>& archs) override;
  std::optional<double> query(const std::string& arch) override;

 private:
  // Stages of score() (pipeline.hpp); prepare and finish take mu_.
  detail::TokenPtr prepare(const std::string& arch, std::size_t slot);
  void build(Work& w) const;
  void score_one(Work& w) const;
  void finish(Work& w, std::vector<std::optional<double>>& out);
  void record_scores(const Work& w, CandidateRecord& r, const CandidateRecord* rep);
  void flush();
  void flush_locked();
  std::string constraint_verdict(double params, double flops) const {
    const bool over = (cfg_.constraints.max_params && params > *cfg_.constraints.max_params) ||
                      (cfg_.constraints.max_flops && flops > *cfg_.constraints.max_flops);
    return over ? "constraint" : "";
  }

  bool stopped() const { return opt_.stop && opt_.stop->load(); }
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  void setup_proxies() {
    for (const auto& spec : cfg_.proxies) {
      ProxyUse u;
      u.label = spec.name;
      const auto colon = spec.name.find(':');
      if (colon == std::string::npos) {
        u.source = "zcnas";
        u.name = spec.name;
        u.proxy = proxies::make_proxy(u.name, spec.settings);
        u.prov = computed_provenance(*u.proxy, cfg_.seed, cfg_.batch_size, device_.str());
      } else {
        u.source = spec.name.substr(0, colon);
        u.name = spec.name.substr(colon + 1);
        if (u.source == "zcnas") throw Error("proxy '" + spec.name + "'", "write computed proxies without a source", "use '" + u.name + "'");
        if (u.source == "predictor") {
          // A trained model file (predictors/predictor.hpp), computed like a proxy. With
          // zc_warmstart's `ucb: beta` it ranks by mean + beta * std (upper confidence bound).
          predictors::register_predictor_proxies();
          auto settings = spec.settings;
          if (cfg_.strategy == "zc_warmstart" && cfg_.strategy_settings.contains("ucb") && !settings.contains("ucb"))
            settings["ucb"] = cfg_.strategy_settings.at("ucb");
          u.source = "zcnas";
          u.name = spec.name;
          u.proxy = proxies::make_proxy(u.name, settings);
          u.prov = computed_provenance(*u.proxy, cfg_.seed, cfg_.batch_size, device_.str());
          uses_.push_back(std::move(u));
          ranks_.emplace_back();
          continue;
        }
        for (const auto& row : db_.scores(space_.name(), dataset_, u.source, u.name))
          if (row.value) u.stored.emplace(row.arch_key, *row.value);
        if (u.stored.empty())
          throw Error("proxy '" + spec.name + "'", "no stored scores of this source for " + space_.name() + "/" + dataset_,
                      "run `zcnas bench import` or check `zcnas correlate --proxy all`");
      }
      uses_.push_back(std::move(u));
      ranks_.emplace_back();
    }
    if (uses_.empty() && cfg_.strategy != "random" && cfg_.strategy != "rea" && cfg_.strategy != "local_search")
      throw Error("config " + cfg_.name, "no proxies configured", "add e.g. `proxies: [synflow]`");
    bool needs_data = false;
    std::vector<proxies::ProxyPtr> computed;
    for (const auto& u : uses_)
      if (u.proxy) computed.push_back(u.proxy);
    if (!computed.empty()) needs_data = proxies::Scorer(computed).needs_data();
    if (needs_data) {
      const std::string data = !cfg_.data.empty() ? cfg_.data : opt_.benchdata + "/cifar10";
      if (data == "/cifar10")
        throw Error("input images", "no CIFAR-10 data found", "set `data:` in the config or ZCNAS_BENCHDATA");
      pool_ = proxies::read_cifar10(data);
    }
  }

  void load_truth() {
    // The benchmark's own table first ("bench"), else any source.
    auto series = db_.truth_series(space_.name());
    const benchdb::StoredTruth* pick = nullptr;
    for (const auto& s : series) {
      if (s.dataset != dataset_) continue;
      if (!pick || (s.source == "bench" && pick->source != "bench")) pick = &s;
    }
    if (!pick) {
      spdlog::warn("no ground truth for {}/{} in {} (run `zcnas bench import`); queries will find nothing",
                   space_.name(), dataset_, db_.path());
      return;
    }
    higher_is_better_ = pick->higher_is_better;
    result_.truth_label = pick->metric + " (" + pick->source + ")";
    for (const auto& r : db_.truth(space_.name(), dataset_, pick->metric, pick->source))
      if (r.value) truth_.emplace(r.arch_key, *r.value);
    sorted_truth_.reserve(truth_.size());
    for (const auto& [k, v] : truth_) sorted_truth_.push_back(v);
    std::sort(sorted_truth_.begin(), sorted_truth_.end());
  }

  void check_budget_fits(const Strategy& s) const {
    const bool enumerable = space_.size().has_value();
    if (s.name() == "exhaustive" && !enumerable)
      throw Error("config " + cfg_.name, "strategy exhaustive needs an enumerable space", space_.name() + " is not");
    const bool bounded = cfg_.budget.queries || cfg_.budget.candidates || cfg_.budget.seconds ||
                         s.name() == "exhaustive" || s.name() == "zc_warmstart";
    if (!bounded)
      throw Error("config " + cfg_.name, "strategy " + s.name() + " needs a budget",
                  "set budget.queries (ground-truth queries), budget.candidates or budget.seconds");
  }

  void start_run() {
    nlohmann::json cj = cfg_.to_json();
    cj["hash"] = cfg_.config_hash();
    if (opt_.resume) {
      for (const auto& r : db_.runs("search", 1000)) {
        if (r.status == "ok") continue;
        auto j = nlohmann::json::parse(r.config, nullptr, false);
        if (!j.is_discarded() && j.value("hash", std::string()) == cfg_.config_hash()) {
          result_.run_id = r.id;
          result_.resumed = true;
          spdlog::info("resuming run {} ({}) of config {}", r.id, r.status, cfg_.name);
          break;
        }
      }
      if (!result_.resumed) spdlog::info("no unfinished run of this config; starting a new one");
    }
    if (!result_.resumed) result_.run_id = db_.begin_run("search", cfg_.name, cj.dump());
  }

  CandidateRecord& record_for(const std::string& canonical, bool* created) {
    auto it = index_.find(canonical);
    *created = it == index_.end();
    if (!*created) return result_.candidates[it->second];
    CandidateRecord r;
    r.seq = static_cast<std::int64_t>(result_.candidates.size());
    r.arch = canonical;
    r.key = space_.benchmark_key(canonical);
    if (auto t = truth_.find(r.key); t != truth_.end()) r.truth = t->second;
    index_.emplace(canonical, result_.candidates.size());
    result_.candidates.push_back(std::move(r));
    return result_.candidates.back();
  }

  double combine(CandidateRecord& r) {
    if (cfg_.combine == "single" || uses_.size() == 1) return r.proxies.at(uses_[0].label);
    double s = 0;
    for (std::size_t p = 0; p < uses_.size(); ++p) s += ranks_[p].percentile(r.proxies.at(uses_[p].label));
    return s / static_cast<double>(uses_.size());
  }

  void finalize();
  nlohmann::json summary_json() const;

  const SearchConfig& cfg_;
  RunOptions opt_;
  const spaces::Space& space_;
  std::string dataset_;
  benchdb::Database db_;
  spaces::Rng rng_;
  int threads_ = 0;
  torch::Device device_ = torch::kCPU;
  std::vector<ProxyUse> uses_;
  std::vector<RankTracker> ranks_;
  proxies::ImageSet pool_;
  std::unordered_map<std::string, double> truth_;
  std::vector<double> sorted_truth_;
  bool higher_is_better_ = true;
  Deduper dedup_;
  std::unordered_map<std::string, std::size_t> index_;
  std::set<std::string> queried_;
  std::int64_t scored_ = 0;
  SearchResult result_;
  Clock::time_point start_ = Clock::now();
  std::unique_ptr<Progress> progress_;
  std::size_t progress_total_ = 0;
  // Structural dedup: per structural hash, the first scored candidate with it (the
  // representative) and the proxies the space declares invariant for that hash.
  struct HashClass {
    std::size_t rep = 0;
    std::set<std::string> invariant;
  };
  std::unordered_map<std::string, HashClass> classes_;
  // Rows waiting for the next transaction.
  static constexpr std::size_t kCommitEvery = 32;
  std::vector<benchdb::ScoreRow> pending_rows_;
  std::size_t pending_candidates_ = 0;
  std::mutex mu_;  // serialises the pipeline's serial stages (records, dedup, database)
};

std::vector<std::optional<double>> Driver::score(const std::vector<std::string>& archs) {
  // Strategies that propose without feedback (exhaustive, zero-cost warm start, random
  // with objective: proxy) hand over `chunk` candidates per call: the pipeline streams
  // through them with at most `in_flight` candidates built and waiting, and each call
  // ends with its rows committed. Strategies that need a result before proposing the
  // next candidate (REA, local search with objective: proxy) call with one arch: the
  // pipeline then holds one token, i.e. they stay sequential, as their algorithm is.
  std::vector<std::optional<double>> out(archs.size());
  detail::Stages st;
  st.prepare = [&](std::size_t i) { return prepare(archs[i], i); };
  st.build = [&](detail::Token& t) { build(static_cast<Work&>(t)); };
  st.score = [&](detail::Token& t) { score_one(static_cast<Work&>(t)); };
  st.finish = [&](detail::Token& t) { finish(static_cast<Work&>(t), out); };
  const detail::ScheduleOptions so{opt_.batch_schedule ? detail::Schedule::Batches : detail::Schedule::Pipeline,
                                   threads_, cfg_.intra_op_threads, static_cast<std::size_t>(cfg_.in_flight)};
  try {
    detail::run_stages(archs.size(), so, st);
  } catch (...) {
    flush();  // keep what the candidates before the failure computed
    throw;
  }
  flush();
  return out;
}

// Serial, in proposal order: everything that touches the records, the dedup tables and
// the database connection before the work.
detail::TokenPtr Driver::prepare(const std::string& arch, std::size_t slot) {
  std::lock_guard lock(mu_);
  auto w = std::make_shared<Work>();
  w->slot = slot;
  ++result_.stats.proposed;
  w->canonical = space_.canonical(arch);
  const bool dup = dedup_.insert(w->canonical) == Deduper::Outcome::Duplicate;
  bool created = false;
  auto& r = record_for(w->canonical, &created);
  w->rec = index_.at(w->canonical);
  if (r.scored) {  // scored before (or earlier in this call): no work, same answer
    if (dup) ++result_.stats.duplicates;
    w->kind = Work::Kind::Late;
    return w;
  }
  if (!candidates_left()) return w;  // Kind::Skip
  ++scored_;
  ++result_.stats.unique;
  r.scored = true;
  w->kind = Work::Kind::Score;
  const HashClass* cls = nullptr;  // set for a structural duplicate
  if (cfg_.dedup.structural) {
    auto [it, first] = classes_.try_emplace(space_.structural_hash(w->canonical));
    if (first) {
      it->second.rep = w->rec;
      for (auto& n : space_.hash_invariant_proxies(w->canonical)) it->second.invariant.insert(std::move(n));
    } else {
      cls = &it->second;  // node-based map: stays valid
      w->rep = cls->rep;
      ++result_.stats.structural_duplicates;
    }
  }
  w->from.assign(uses_.size(), Work::From::Compute);
  w->hit.resize(uses_.size());
  for (std::size_t p = 0; p < uses_.size(); ++p) {
    const auto& u = uses_[p];
    if (!u.proxy) {
      w->from[p] = Work::From::Stored;
    } else if (cls && cls->invariant.count(u.name)) {
      w->from[p] = Work::From::Shared;  // copied from the representative in finish(), not looked up
    } else if (auto hit = db_.find_score(space_.name(), r.key, dataset_, u.prov)) {
      w->from[p] = Work::From::Cache;
      w->hit[p] = std::move(*hit);
    } else {
      w->missing.push_back(p);
    }
  }
  // Nothing to compute and the counts are the representative's: no need for the graph
  // (unless the memory estimate is wanted; it reads node shapes).
  w->build = !(cls && w->missing.empty() && cls->invariant.count("params") && cls->invariant.count("flops") &&
               cfg_.limits.candidate_memory_mb <= 0);
  return w;
}

// Parallel: compile, counts, constraints, memory estimate.
void Driver::build(Work& w) const {
  if (w.kind != Work::Kind::Score || !w.build) return;
  w.graph = space_.compile(w.canonical, dataset_);
  w.params = static_cast<double>(spaces::param_count(w.graph));
  w.flops = spaces::flops_naslib(w.graph);
  w.verdict = constraint_verdict(w.params, w.flops);
  if (w.verdict.empty() && cfg_.limits.candidate_memory_mb > 0 &&
      estimate_memory_bytes(w.graph, cfg_.batch_size, w.params) > cfg_.limits.candidate_memory_mb * 1024 * 1024)
    w.verdict = "memory";
}

// Parallel: the proxies neither cached nor shared. A failure is recorded, the run goes on.
void Driver::score_one(Work& w) const {
  if (w.kind != Work::Kind::Score || w.missing.empty() || !w.verdict.empty()) return;
  try {
    std::vector<proxies::ProxyPtr> ps;
    for (auto p : w.missing) ps.push_back(uses_[p].proxy);
    proxies::Scorer scorer(ps);
    proxies::Batch batch;
    if (scorer.needs_data()) {
      proxies::BatchOptions bo;
      bo.dataset = dataset_;
      bo.batch_size = cfg_.batch_size;
      bo.seed = cfg_.seed;
      batch = proxies::make_batch(pool_, w.graph, bo);
    }
    w.scores = scorer.score(w.graph, batch, cfg_.seed, device_);
  } catch (const std::exception& e) {
    w.error = e.what();
  }
}

// Serial, in proposal order: record, store, combine.
void Driver::finish(Work& w, std::vector<std::optional<double>>& out) {
  std::lock_guard lock(mu_);
  auto& c = result_.candidates;
  if (w.kind == Work::Kind::Late) out[w.slot] = c[w.rec].score;
  if (w.kind != Work::Kind::Score) return;
  auto& r = c[w.rec];
  const CandidateRecord* rep = w.rep ? &c[*w.rep] : nullptr;  // finished before: earlier in order
  if (w.build) {
    r.params = w.params;
    r.flops = w.flops;
  } else {
    r.params = rep->params;
    r.flops = rep->flops;
    w.verdict = constraint_verdict(r.params, r.flops);
  }
  if (w.verdict == "constraint") {
    r.status = "constraint";
    ++result_.stats.constraint_violations;
  } else if (w.verdict == "memory") {
    r.status = "memory";
    r.message = "estimated memory over limits.candidate_memory_mb";
  } else {
    record_scores(w, r, rep);
  }
  if (r.status == "ok" && cfg_.limits.candidate_seconds > 0 && r.seconds > cfg_.limits.candidate_seconds) {
    r.status = "timeout";
    r.message = "proxy time " + std::to_string(r.seconds) + " s over limits.candidate_seconds";
  }
  if (r.status == "ok" && r.proxies.size() < uses_.size()) {
    r.status = "failed";
    r.message = "no stored value for every proxy";
  }
  if (r.status != "ok") {
    if (r.status != "constraint") ++result_.stats.failed;
  } else {
    for (std::size_t p = 0; p < uses_.size(); ++p) ranks_[p].add(r.proxies.at(uses_[p].label));
    r.score = combine(r);
    out[w.slot] = r.score;
  }
  progress_->tick();
  if (++pending_candidates_ >= kCommitEvery) flush_locked();
}

// Proxy values of one candidate, in config order: stored sources, cache hits, values
// shared from its structural representative, computed scores (queued for the database).
void Driver::record_scores(const Work& w, CandidateRecord& r, const CandidateRecord* rep) {
  double cached_seconds = 0;
  for (std::size_t p = 0; p < uses_.size(); ++p) {
    const auto& u = uses_[p];
    switch (w.from[p]) {
      case Work::From::Stored:
        if (auto it = u.stored.find(r.key); it != u.stored.end()) r.proxies[u.label] = it->second;
        break;
      case Work::From::Cache:
        if (w.hit[p]->value) r.proxies[u.label] = *w.hit[p]->value;
        else r.status = "failed", r.message = u.label + ": " + w.hit[p]->status;
        cached_seconds += w.hit[p]->seconds;
        break;
      case Work::From::Shared:
        // Copied, not stored: the database holds only values computed for an arch.
        if (auto it = rep->proxies.find(u.label); it != rep->proxies.end()) {
          r.proxies[u.label] = it->second;
          r.shared_from = rep->arch;
          ++result_.stats.shared_scores;
        } else {
          r.status = "failed";
          r.message = u.label + ": no value on its structural twin " + rep->arch;
        }
        break;
      case Work::From::Compute:
        break;
    }
  }
  r.seconds = cached_seconds;
  if (w.missing.empty()) {
    if (r.shared_from.empty()) {
      r.cache_hit = true;
      ++result_.stats.cache_hits;
    }
    return;
  }
  ++result_.stats.computed;
  if (!w.error.empty()) {
    r.status = "failed";
    r.message = w.error;
    return;
  }
  for (std::size_t k = 0; k < w.missing.size(); ++k) {
    const auto& u = uses_[w.missing[k]];
    const auto& s = w.scores.scores[k];
    benchdb::ScoreRow row;
    row.space = space_.name();
    row.arch_key = r.key;
    row.dataset = dataset_;
    row.prov = u.prov;
    row.seconds = s.seconds;
    row.run_id = result_.run_id;
    if (s.ok()) {
      row.value = s.value;
      r.proxies[u.label] = s.value;
    } else {
      row.status = proxies::status_name(s.status);
      r.status = "failed";
      r.message = u.label + ": " + (s.message.empty() ? row.status : s.message);
      if (s.status != proxies::ScoreStatus::Error) ++result_.stats.nonfinite;
    }
    r.seconds += s.seconds;
    pending_rows_.push_back(std::move(row));
  }
}

void Driver::flush() {
  std::lock_guard lock(mu_);
  flush_locked();
}

// One transaction per kCommitEvery finished candidates (and at the end of every
// score() call): a kill loses at most those, and resume recomputes exactly them.
void Driver::flush_locked() {
  if (!pending_rows_.empty()) db_.put_scores(pending_rows_);
  pending_rows_.clear();
  pending_candidates_ = 0;
}

std::optional<double> Driver::query(const std::string& arch) {
  const std::string canonical = space_.canonical(arch);
  bool created = false;
  auto& r = record_for(canonical, &created);
  if (created) dedup_.insert(canonical);
  if (queried_.count(canonical)) return r.truth ? std::optional<double>(higher_is_better_ ? *r.truth : -*r.truth) : std::nullopt;
  if (!queries_left()) return std::nullopt;
  queried_.insert(canonical);
  r.queried = true;
  ++result_.stats.queries;
  double best = result_.trajectory.empty() ? (r.truth ? *r.truth : NAN) : result_.trajectory.back().best_truth;
  if (r.truth && (std::isnan(best) || (higher_is_better_ ? *r.truth > best : *r.truth < best))) best = *r.truth;
  result_.trajectory.push_back({result_.stats.queries, scored_, best});
  if (!r.truth) return std::nullopt;
  return higher_is_better_ ? *r.truth : -*r.truth;  // strategies maximise
}

void Driver::finalize() {
  auto& c = result_.candidates;
  // Final combined score of every scored candidate over the whole run (rank
  // averages use every candidate, not only those scored before it).
  if (uses_.size() > 1 && cfg_.combine == "rank_average") {
    for (auto& r : c)
      if (r.score) r.score = combine(r);
  }
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < c.size(); ++i)
    if (c[i].score) idx.push_back(i);
  std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return *c[a].score > *c[b].score; });
  if (idx.size() > static_cast<std::size_t>(cfg_.top_k)) idx.resize(static_cast<std::size_t>(cfg_.top_k));
  result_.top = idx;
  for (auto& r : c)
    if (r.truth && !sorted_truth_.empty()) {
      auto below = std::lower_bound(sorted_truth_.begin(), sorted_truth_.end(), *r.truth) - sorted_truth_.begin();
      const double frac = static_cast<double>(below) / static_cast<double>(sorted_truth_.size());
      r.truth_percentile = 100.0 * (higher_is_better_ ? frac : 1.0 - frac);
    }
  result_.config = cfg_;
}

nlohmann::json Driver::summary_json() const {
  const auto& s = result_.stats;
  nlohmann::json j{{"proposed", s.proposed},     {"unique", s.unique},   {"duplicates", s.duplicates},
                   {"cache_hits", s.cache_hits}, {"computed", s.computed}, {"failed", s.failed},
                   {"constraint_violations", s.constraint_violations}, {"queries", s.queries},
                   {"nonfinite", s.nonfinite},   {"seconds", s.seconds},
                   {"structural_duplicates", s.structural_duplicates}, {"shared_scores", s.shared_scores}};
  if (!result_.trajectory.empty()) j["best_truth"] = result_.trajectory.back().best_truth;
  return j;
}

}  // namespace

SearchResult run(const SearchConfig& config, const RunOptions& options) {
  Driver d(config, options);
  return d.run();
}

}  // namespace zcnas::search
