#pragma once
// Proxies by name. Built-ins are listed in proxies/src/builtin.cpp (explicit, so
// static linking never drops one); `zcnas proxies list` prints them.
#include <functional>
#include <initializer_list>
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

// Names with a prefix, e.g. `predictor:<model file>`: higher layers (which proxies/
// must not depend on) register a factory for the prefix at start-up; make_proxy
// passes it the rest of the name. Exact names win over prefixes.
using PrefixProxyFactory = std::function<ProxyPtr(const std::string& rest, const nlohmann::json& settings)>;
void register_proxy_prefix(const std::string& prefix, PrefixProxyFactory factory);

// Built-in factories, one per proxy file (proxies/src/<name>.cpp). Each takes
// its settings (an object; unknown keys are an error).
struct BuiltinProxy {
  const char* name;
  ProxyFactory factory;
};
std::vector<BuiltinProxy> builtin_proxies();

// For factories: throws zcnas::Error("proxy <name>", ...) when `settings` is not an
// object or has a key outside `allowed` (naming the key and the allowed ones).
void check_settings(std::string_view proxy, const nlohmann::json& settings, std::initializer_list<std::string_view> allowed);
// Reads settings[key] as T when present, else `fallback`; a wrong type is a zcnas::Error.
template <class T>
T setting(std::string_view proxy, const nlohmann::json& settings, const char* key, T fallback);

// Splits "dextr,synflow" (spaces allowed) into proxies; unknown names throw.
std::vector<ProxyPtr> make_proxies(std::string_view comma_list);

}  // namespace zcnas::proxies

// ---- template implementation -------------------------------------------------
#include "zcnas/common/error.hpp"
namespace zcnas::proxies {
template <class T>
T setting(std::string_view proxy, const nlohmann::json& settings, const char* key, T fallback) {
  if (!settings.is_object() || !settings.contains(key)) return fallback;
  try {
    return settings.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error("proxy " + std::string(proxy), "setting '" + std::string(key) + "' has the wrong type: " + settings.at(key).dump(),
                "see `zcnas proxies list --json` for each proxy's settings");
  }
}
}  // namespace zcnas::proxies
