#pragma once
// Internal: a Proxy made of its info, its settings and a scoring function, so
// each proxy file holds only its definition.
#include <functional>
#include <utility>

#include "zcnas/proxies/context.hpp"
#include "zcnas/proxies/proxy.hpp"
#include "zcnas/proxies/registry.hpp"

namespace zcnas::proxies {

class SimpleProxy final : public Proxy {
 public:
  using Fn = std::function<double(ProxyContext&)>;
  SimpleProxy(ProxyInfo info, Fn fn, nlohmann::json settings = nlohmann::json::object())
      : info_(std::move(info)), fn_(std::move(fn)), settings_(std::move(settings)) {}
  ProxyInfo info() const override { return info_; }
  nlohmann::json settings() const override { return settings_; }
  double score(ProxyContext& ctx) const override { return fn_(ctx); }

 private:
  ProxyInfo info_;
  Fn fn_;
  nlohmann::json settings_;
};

}  // namespace zcnas::proxies
