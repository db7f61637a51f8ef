#pragma once
// Feature kinds: what a predictor reads for one architecture, computed by the proxy
// engine on a compiled network and cached in benchdb (`features` table). A kind
// maps (settings, ProxyContext) to a JSON record; `node_stats` (node_stats.hpp) is
// built in, higher layers may register more (e.g. an ONNX-text encoding).
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "zcnas/proxies/context.hpp"
#include "zcnas/spaces/space.hpp"

namespace zcnas::proxies {

struct FeatureKind {
  int version = 1;
  bool needs_labels = true;  // needs the labelled input batch
  // Normalises and checks settings (unknown keys are zcnas::Errors).
  std::function<nlohmann::json(const nlohmann::json& settings)> settings;
  std::function<nlohmann::json(ProxyContext& ctx, const nlohmann::json& settings)> compute;
  // false: compute() reads only ctx.graph() (e.g. the ONNX text), so no input batch is made
  // (the context's batch is empty).
  bool needs_batch = true;
  // Kinds read from the arch's encoding rather than its network (e.g. a one-hot op encoding):
  // when set, used instead of compute() and nothing is compiled. Such records cannot be made
  // from a network alone (a `predictor:` proxy of such a model is an error).
  std::function<nlohmann::json(const spaces::Space& space, const std::string& canonical, const nlohmann::json& settings)>
      from_arch;
};

void register_feature_kind(const std::string& name, FeatureKind kind);
// Throws zcnas::Error listing the registered kinds when unknown.
const FeatureKind& feature_kind(const std::string& name);
std::vector<std::string> feature_kind_names();

}  // namespace zcnas::proxies
