#pragma once
// Proxies by name. Built-ins are listed in proxies/src/builtin.cpp (explicit, so
// static linking never drops one); `zcnas proxies list` prints them.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "zcnas/proxies/proxy.hpp"

namespace zcnas::proxies {

using ProxyFactory = std::function<ProxyPtr(const nlohmann::json& settings)>;

// Throws zcnas::Error listing the registered names when `name` is unknown, or
// naming the bad key when settings are invalid.
ProxyPtr make_proxy(std::string_view name, const nlohmann::json& settings = nlohmann::json::object());
std::vector<std::string> proxy_names();
void register_proxy(const std::string& name, ProxyFactory factory);

// Built-in factories, one per proxy file (proxies/src/<name>.cpp). Each takes
// its settings (an object; unknown keys are an error).
struct BuiltinProxy {
  const char* name;
  ProxyFactory factory;
};
std::vector<BuiltinProxy> builtin_proxies();

}  // namespace zcnas::proxies
