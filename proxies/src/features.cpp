#include "zcnas/proxies/features.hpp"

#include <map>
#include <mutex>

#include "zcnas/common/error.hpp"
#include "zcnas/proxies/node_stats.hpp"

namespace zcnas::proxies {
namespace {
struct Kinds {
  std::mutex mu;
  std::map<std::string, FeatureKind> kinds;
};
Kinds& kinds() {
  static Kinds k;
  static std::once_flag once;
  std::call_once(once, [] {
    FeatureKind ns;
    ns.version = kNodeStatsVersion;
    ns.settings = [](const nlohmann::json& s) { return node_stats_settings(node_stats_options(s)); };
    ns.compute = [](ProxyContext& ctx, const nlohmann::json& s) { return node_stats(ctx, node_stats_options(s)).to_json(); };
    k.kinds.emplace(kNodeStatsKind, std::move(ns));
  });
  return k;
}
}  // namespace

void register_feature_kind(const std::string& name, FeatureKind kind) {
  auto& k = kinds();
  std::lock_guard lock(k.mu);
  k.kinds[name] = std::move(kind);
}

const FeatureKind& feature_kind(const std::string& name) {
  auto& k = kinds();
  std::lock_guard lock(k.mu);
  auto it = k.kinds.find(name);
  if (it == k.kinds.end()) {
    std::string list;
    for (const auto& [n, f] : k.kinds) list += (list.empty() ? "" : ", ") + n;
    throw Error("feature kind '" + name + "'", "unknown", "registered kinds: " + list);
  }
  return it->second;  // entries are never erased, so the reference stays valid
}

std::vector<std::string> feature_kind_names() {
  auto& k = kinds();
  std::lock_guard lock(k.mu);
  std::vector<std::string> out;
  for (const auto& [n, f] : k.kinds) out.push_back(n);
  return out;
}

}  // namespace zcnas::proxies
