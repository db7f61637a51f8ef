#pragma once
// Node-wise zero-cost statistics for ParZC (Dong et al., "ParZC: Parametric
// Zero-Cost Proxies for Efficient NAS", arXiv 2402.02105): instead of one number
// per network, one value per Conv2d/Linear node (passes.hpp's metric_layers, in
// graph order) for each of grad_norm, snip, synflow (and optionally fisher).
//
// Per-node values, chosen so that reducing them the way the whole-network proxy
// reduces its layers gives that proxy back exactly (tests/proxies/test_node_stats.cpp):
//   grad_norm: ||dL/dW||_2 of the node (NASLib's per-layer grad_norm term; a norm,
//              so there is no per-weight mean): sum over nodes = grad_norm.
//   snip:      mean over the node's weights of |w * dL/dw|: sum of mean * numel = snip.
//   synflow:   log of the mean over the node's weights of |w * dR/dw| (synflow's own
//              pass): log-sum-exp of (log mean + log numel) = synflow (a log, as stored).
//              Departure from PicoNAS (exps/mq_bench_101/gen_layerwise_zc.py, which
//              min-max scales raw means): we keep the log, because raw synflow means
//              span many orders of magnitude and min-max would squash all but the largest.
//   fisher:    mean per weight of the channel Fisher term: sum of mean * numel = fisher.
// The labelled pass (snip, grad_norm, fisher) and the synflow pass are the memoized
// engine passes (passes.cpp), so one arch costs one labelled forward/backward and one
// synflow forward/backward, shared with the proxies of the same name.
//
// The feature vector (node_feature_vector): per statistic, min-max scaled across the
// nodes of this arch, zero-padded to `max_nodes`, concatenated in the order of `names`.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "zcnas/proxies/context.hpp"
#include "zcnas/spaces/space.hpp"

namespace zcnas::proxies {

struct NodeStatsOptions {
  bool fisher = false;  // add the fisher statistic (a fourth block)
};

// The feature kind as cached in benchdb (`features.kind`), its version (bump when the
// numbers change) and its settings (part of the provenance).
inline constexpr const char* kNodeStatsKind = "node_stats";
inline constexpr int kNodeStatsVersion = 1;
nlohmann::json node_stats_settings(const NodeStatsOptions& opt);
NodeStatsOptions node_stats_options(const nlohmann::json& settings);  // throws on unknown keys

struct NodeStats {
  std::vector<std::int64_t> numel;              // weights per node
  std::vector<std::string> names;               // "grad_norm", "snip", "synflow"[, "fisher"]
  std::vector<std::vector<double>> values;      // values[k][node]; NaN/-inf where undefined
  std::size_t nodes() const { return numel.size(); }

  // {"numel":[...], "<name>":[...], ...}; non-finite values are written as null.
  nlohmann::json to_json() const;
  // Throws zcnas::Error naming `who` on a malformed record.
  static NodeStats from_json(const nlohmann::json& j, const std::string& who);
};

// Computes the statistics of ctx's network (labelled batch needed: ctx.batch()).
NodeStats node_stats(ProxyContext& ctx, const NodeStatsOptions& opt = {});

// The whole-network proxy value the per-node statistic reduces to (see above).
double reduce_node_stat(const NodeStats& s, const std::string& name);

// Per statistic min-max scaled over the nodes (non-finite values and constant
// statistics give 0), zero-padded to max_nodes, concatenated: names.size() * max_nodes
// floats. Throws zcnas::Error when the arch has more nodes than max_nodes.
std::vector<float> node_feature_vector(const NodeStats& s, std::size_t max_nodes);

// The largest number of Conv2d/Linear nodes of any arch of `space` for `dataset`:
// exact (every arch compiled) for enumerable spaces of at most 100,000 archs,
// otherwise the maximum over 5,000 seeded samples (`exact` says which).
struct MaxNodes {
  std::size_t nodes = 0;
  bool exact = false;
};
MaxNodes max_metric_nodes(const spaces::Space& space, const std::string& dataset);

}  // namespace zcnas::proxies
