#include "zcnas/proxies/registry.hpp"

#include <map>
#include <mutex>

#include "zcnas/common/error.hpp"

namespace zcnas::proxies {
namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, ProxyFactory, std::less<>> factories;
  std::map<std::string, PrefixProxyFactory, std::less<>> prefixes;
};

Registry& registry() {
  static Registry r;
  static std::once_flag once;
  std::call_once(once, [] {
    for (auto& b : builtin_proxies()) r.factories.emplace(b.name, b.factory);
  });
  return r;
}

std::string joined_names() {
  std::string s;
  for (const auto& n : proxy_names()) s += (s.empty() ? "" : ", ") + n;
  auto& r = registry();
  std::lock_guard lock(r.mu);
  for (const auto& [p, f] : r.prefixes) s += (s.empty() ? "" : ", ") + p + "<...>";
  return s;
}

}  // namespace

ProxyPtr make_proxy(std::string_view name, const nlohmann::json& settings) {
  ProxyFactory f;
  {
    auto& r = registry();
    std::lock_guard lock(r.mu);
    auto it = r.factories.find(name);
    if (it != r.factories.end()) f = it->second;
    for (auto p = r.prefixes.begin(); !f && p != r.prefixes.end(); ++p)
      if (name.size() > p->first.size() && name.substr(0, p->first.size()) == p->first) {
        auto pf = p->second;
        std::string rest(name.substr(p->first.size()));
        f = [pf, rest](const nlohmann::json& s) { return pf(rest, s); };
      }
  }
  if (!f) throw Error("proxy '" + std::string(name) + "'", "unknown proxy", "registered proxies: " + joined_names());
  return f(settings.is_null() ? nlohmann::json::object() : settings);
}

std::vector<std::string> proxy_names() {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  std::vector<std::string> out;
  for (const auto& [n, f] : r.factories) out.push_back(n);
  return out;
}

void register_proxy(const std::string& name, ProxyFactory factory) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.factories[name] = std::move(factory);
}

void register_proxy_prefix(const std::string& prefix, PrefixProxyFactory factory) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.prefixes[prefix] = std::move(factory);
}

void check_settings(std::string_view proxy, const nlohmann::json& settings, std::initializer_list<std::string_view> allowed) {
  const std::string who = "proxy " + std::string(proxy);
  if (settings.is_null()) return;
  if (!settings.is_object()) throw Error(who, "settings must be a JSON object, got " + settings.dump());
  for (const auto& [key, value] : settings.items()) {
    bool ok = false;
    for (auto a : allowed) ok = ok || a == key;
    if (!ok) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      throw Error(who, "unknown setting '" + key + "'", list.empty() ? "this proxy takes no settings" : "settings: " + list);
    }
  }
}

std::vector<ProxyPtr> make_proxies(std::string_view comma_list) {
  std::vector<ProxyPtr> out;
  std::string cur;
  auto flush = [&] {
    std::string t;
    for (char c : cur)
      if (c != ' ' && c != '\t') t.push_back(c);
    if (!t.empty()) out.push_back(make_proxy(t));
    cur.clear();
  };
  for (char c : comma_list) {
    if (c == ',') flush();
    else cur.push_back(c);
  }
  flush();
  if (out.empty()) throw Error("--proxy", "no proxy named", "give a comma-separated list, e.g. synflow,nwot; registered: " + joined_names());
  return out;
}

}  // namespace zcnas::proxies
