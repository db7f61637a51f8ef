// Node-wise statistics for ParZC; definitions in node_stats.hpp.
#include "zcnas/proxies/node_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "zcnas/common/error.hpp"
#include "zcnas/proxies/passes.hpp"
#include "zcnas/proxies/registry.hpp"

namespace zcnas::proxies {

nlohmann::json node_stats_settings(const NodeStatsOptions& opt) {
  nlohmann::json s = nlohmann::json::object();
  if (opt.fisher) s["fisher"] = true;
  return s;
}

NodeStatsOptions node_stats_options(const nlohmann::json& settings) {
  check_settings(kNodeStatsKind, settings, {"fisher"});
  NodeStatsOptions o;
  o.fisher = setting<bool>(kNodeStatsKind, settings, "fisher", false);
  return o;
}

nlohmann::json NodeStats::to_json() const {
  nlohmann::json j;
  j["numel"] = numel;
  for (std::size_t k = 0; k < names.size(); ++k) {
    nlohmann::json a = nlohmann::json::array();
    for (double v : values[k]) a.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr));
    j[names[k]] = std::move(a);
  }
  return j;
}

NodeStats NodeStats::from_json(const nlohmann::json& j, const std::string& who) {
  if (!j.is_object() || !j.contains("numel") || !j.at("numel").is_array())
    throw Error(who, "not a node_stats record (no \"numel\" array)", "recompute it with `zcnas features`");
  NodeStats s;
  try {
    s.numel = j.at("numel").get<std::vector<std::int64_t>>();
    for (const char* n : {"grad_norm", "snip", "synflow", "fisher"}) {
      if (!j.contains(n)) continue;
      std::vector<double> v;
      for (const auto& x : j.at(n)) v.push_back(x.is_null() ? std::nan("") : x.get<double>());
      if (v.size() != s.numel.size())
        throw Error(who, std::string("statistic '") + n + "' has " + std::to_string(v.size()) + " values for " +
                             std::to_string(s.numel.size()) + " nodes", "recompute it with `zcnas features`");
      s.names.push_back(n);
      s.values.push_back(std::move(v));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(who, std::string("malformed node_stats record: ") + e.what(), "recompute it with `zcnas features`");
  }
  if (s.names.empty()) throw Error(who, "node_stats record holds no statistic", "recompute it with `zcnas features`");
  return s;
}

NodeStats node_stats(ProxyContext& ctx, const NodeStatsOptions& opt) {
  const auto& lp = labelled_pass(ctx);
  const auto& sp = synflow_pass(ctx, false);
  NodeStats s;
  const std::size_t n = lp.layers.size();
  s.names = {"grad_norm", "snip", "synflow"};
  if (opt.fisher) s.names.push_back("fisher");
  s.values.assign(s.names.size(), std::vector<double>(n, 0.0));
  for (std::size_t i = 0; i < n; ++i) {
    const auto numel = lp.weights[i].numel();
    s.numel.push_back(numel);
    const double dn = static_cast<double>(numel);
    s.values[0][i] = lp.grads[i].to(torch::kFloat64).norm().item<double>();
    s.values[1][i] = (lp.weights[i] * lp.grads[i]).abs().sum(torch::kFloat64).item<double>() / dn;
    s.values[2][i] = sp.log_sum[i] - std::log(dn);  // same layer order: both come from metric_layers
    if (opt.fisher) s.values[3][i] = lp.fisher[i] / dn;
  }
  return s;
}

double reduce_node_stat(const NodeStats& s, const std::string& name) {
  const auto it = std::find(s.names.begin(), s.names.end(), name);
  if (it == s.names.end()) throw Error("node statistic '" + name + "'", "not in this record");
  const auto& v = s.values[static_cast<std::size_t>(it - s.names.begin())];
  if (name == "synflow") {
    std::vector<double> logs;
    for (std::size_t i = 0; i < v.size(); ++i)
      logs.push_back(std::isnan(v[i]) ? -std::numeric_limits<double>::infinity()
                                      : v[i] + std::log(static_cast<double>(s.numel[i])));
    const double l = log_sum_exp(logs);
    return std::isinf(l) && l < 0 ? 0.0 : l;  // as the synflow proxy
  }
  double sum = 0;
  for (std::size_t i = 0; i < v.size(); ++i) sum += name == "grad_norm" ? v[i] : v[i] * static_cast<double>(s.numel[i]);
  return sum;
}

std::vector<float> node_feature_vector(const NodeStats& s, std::size_t max_nodes) {
  if (s.nodes() > max_nodes)
    throw Error("node statistics", "arch has " + std::to_string(s.nodes()) + " conv/linear nodes, more than the " +
                                        std::to_string(max_nodes) + " the feature layout pads to",
                "use a model trained with a larger max_nodes");
  std::vector<float> out(s.names.size() * max_nodes, 0.0f);
  for (std::size_t k = 0; k < s.names.size(); ++k) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (double v : s.values[k])
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    for (std::size_t i = 0; i < s.nodes(); ++i) {
      const double v = s.values[k][i];
      out[k * max_nodes + i] = std::isfinite(v) && hi > lo ? static_cast<float>((v - lo) / (hi - lo)) : 0.0f;
    }
  }
  return out;
}

MaxNodes max_metric_nodes(const spaces::Space& space, const std::string& dataset) {
  MaxNodes m;
  auto count = [&](const std::string& arch) { m.nodes = std::max(m.nodes, metric_layers(space.compile(arch, dataset)).size()); };
  if (auto n = space.size(); n && *n <= 100000) {
    space.enumerate(count);
    m.exact = true;
  } else {
    spaces::Rng rng(0);
    for (int i = 0; i < 5000; ++i) count(space.sample(rng));
  }
  return m;
}

}  // namespace zcnas::proxies
