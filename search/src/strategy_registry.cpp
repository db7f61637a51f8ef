#include <algorithm>
#include <map>
#include <mutex>

#include "zcnas/common/error.hpp"
#include "zcnas/search/strategy.hpp"

namespace zcnas::search {

// Built-in strategies, one per file.
StrategyPtr make_exhaustive(const nlohmann::json&);
StrategyPtr make_random(const nlohmann::json&);
StrategyPtr make_rea(const nlohmann::json&);
StrategyPtr make_local_search(const nlohmann::json&);
StrategyPtr make_zc_warmstart(const nlohmann::json&);

namespace {
struct Registry {
  std::mutex mu;
  std::map<std::string, StrategyFactory, std::less<>> f{{"exhaustive", make_exhaustive},
                                                        {"random", make_random},
                                                        {"rea", make_rea},
                                                        {"local_search", make_local_search},
                                                        {"zc_warmstart", make_zc_warmstart}};
};
Registry& reg() {
  static Registry r;
  return r;
}
}  // namespace

StrategyPtr make_strategy(std::string_view name, const nlohmann::json& settings) {
  auto& r = reg();
  StrategyFactory f;
  {
    std::lock_guard lock(r.mu);
    auto it = r.f.find(name);
    if (it == r.f.end()) {
      std::string known;
      for (auto& [k, v] : r.f) known += (known.empty() ? "" : ", ") + k;
      throw Error("strategy '" + std::string(name) + "'", "unknown search strategy", "registered: " + known);
    }
    f = it->second;
  }
  return f(settings.is_null() ? nlohmann::json::object() : settings);
}

std::vector<std::string> strategy_names() {
  auto& r = reg();
  std::lock_guard lock(r.mu);
  std::vector<std::string> v;
  for (auto& [k, f] : r.f) v.push_back(k);
  return v;
}

void register_strategy(const std::string& name, StrategyFactory factory) {
  auto& r = reg();
  std::lock_guard lock(r.mu);
  r.f[name] = std::move(factory);
}

Settings::Settings(std::string owner, const nlohmann::json& j) : owner_(std::move(owner)), j_(j) {
  if (!j_.is_object()) throw Error(owner_, "settings must be a mapping");
}

std::int64_t Settings::integer(const std::string& key, std::int64_t def, std::int64_t min) {
  read_.push_back(key);
  if (!j_.contains(key)) return def;
  const auto& v = j_[key];
  if (!v.is_number_integer()) throw Error(owner_ + "." + key, "expected an integer, got " + v.dump());
  auto x = v.get<std::int64_t>();
  if (x < min) throw Error(owner_ + "." + key, "must be >= " + std::to_string(min));
  return x;
}

double Settings::number(const std::string& key, double def) {
  read_.push_back(key);
  if (!j_.contains(key)) return def;
  const auto& v = j_[key];
  if (!v.is_number()) throw Error(owner_ + "." + key, "expected a number, got " + v.dump());
  return v.get<double>();
}

std::string Settings::text(const std::string& key, const std::string& def, const std::vector<std::string>& allowed) {
  read_.push_back(key);
  if (!j_.contains(key)) return def;
  const auto& v = j_[key];
  if (!v.is_string()) throw Error(owner_ + "." + key, "expected a string, got " + v.dump());
  auto s = v.get<std::string>();
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    throw Error(owner_ + "." + key, "unknown value '" + s + "'", "allowed: " + list);
  }
  return s;
}

void Settings::done() const {
  for (auto it = j_.begin(); it != j_.end(); ++it)
    if (std::find(read_.begin(), read_.end(), it.key()) == read_.end()) {
      std::string list;
      for (const auto& a : read_) list += (list.empty() ? "" : ", ") + a;
      throw Error(owner_ + "." + it.key(), "unknown setting", list.empty() ? "this strategy takes no settings" : "allowed: " + list);
    }
}

}  // namespace zcnas::search
