#pragma once
// Zero-cost proxies: the Proxy interface, what a proxy needs, and the context it
// scores in. Concrete proxies live one per file in proxies/src/ and register by
// name (registry.hpp); the Scorer (scorer.hpp) runs several on one network,
// sharing forward/backward passes through ProxyContext.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace zcnas::proxies {

class ProxyContext;  // defined in context.hpp (needs torch)

struct ProxyInfo {
  std::string name;          // registry name, e.g. "synflow"
  int version = 1;           // bump when the definition changes: cache keys include it
  std::string description;   // one line for `zcnas proxies list`
  bool needs_data = true;    // reads the image/token batch (false: synthetic input of its own)
  bool needs_labels = false;
  bool needs_grad = false;
  bool float64 = false;      // computed in double precision
  // Proxies whose score is invariant under NetGraph-structural equivalence
  // (used by optional structural dedup in search).
  bool function_invariant = false;
};

class Proxy {
 public:
  virtual ~Proxy() = default;
  virtual ProxyInfo info() const = 0;
  // The settings that change the value (part of the cache key / provenance).
  virtual nlohmann::json settings() const { return nlohmann::json::object(); }
  // Score one network. Must not leave modified weights in the context's shared
  // network (use ctx.fresh_net() for anything that mutates parameters).
  virtual double score(ProxyContext& ctx) const = 0;
};

using ProxyPtr = std::shared_ptr<const Proxy>;

}  // namespace zcnas::proxies
