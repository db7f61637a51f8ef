#include "zcnas/search/config.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "zcnas/common/error.hpp"
#include "zcnas/common/text_hash.hpp"

namespace zcnas::search {
namespace {

std::string where(const std::string& src, const YAML::Node& n, const std::string& key) {
  const auto m = n.Mark();
  std::string w = src;
  if (m.line >= 0) w += " line " + std::to_string(m.line + 1);
  return w + " key '" + key + "'";
}

void check_keys(const std::string& src, const YAML::Node& map, const std::string& ctx, const std::set<std::string>& allowed) {
  if (!map.IsMap()) throw Error(where(src, map, ctx), "expected a mapping");
  for (auto it = map.begin(); it != map.end(); ++it) {
    const auto k = it->first.as<std::string>();
    if (!allowed.count(k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw Error(where(src, it->first, ctx.empty() ? k : ctx + "." + k), "unknown key", "allowed here: " + list);
    }
  }
}

template <class T>
T get(const std::string& src, const YAML::Node& n, const std::string& key) {
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    std::string expect = std::is_same_v<T, std::string> ? "a string"
                         : std::is_same_v<T, bool>      ? "true or false"
                         : std::is_floating_point_v<T>  ? "a number"
                                                        : "an integer";
    throw Error(where(src, n, key), "expected " + expect + ", got '" + (n.IsScalar() ? n.Scalar() : std::string("<non-scalar>")) + "'");
  }
}

nlohmann::json to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      auto j = nlohmann::json::object();
      for (auto it = n.begin(); it != n.end(); ++it) j[it->first.as<std::string>()] = to_json(it->second);
      return j;
    }
    case YAML::NodeType::Sequence: {
      auto j = nlohmann::json::array();
      for (const auto& e : n) j.push_back(to_json(e));
      return j;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = n.Scalar();
      if (n.Tag() == "!") return s;  // quoted string
      if (s == "true" || s == "false") return s == "true";
      try {
        std::size_t pos = 0;
        long long i = std::stoll(s, &pos);
        if (pos == s.size()) return i;
      } catch (...) {
      }
      try {
        std::size_t pos = 0;
        double d = std::stod(s, &pos);
        if (pos == s.size()) return d;
      } catch (...) {
      }
      return s;
    }
    default:
      return nullptr;
  }
}

template <class T>
void positive(const std::string& src, const YAML::Node& n, const std::string& key, T v) {
  if (!(v > 0)) throw Error(where(src, n, key), "must be positive");
}

}  // namespace

SearchConfig parse_config(const std::string& text, const std::string& src) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw Error(src + " line " + std::to_string(e.mark.line + 1), "invalid YAML: " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) throw Error(src, "empty config");
  check_keys(src, root, "",
             {"name", "space", "dataset", "proxies", "combine", "strategy", "budget", "constraints", "limits", "seed",
              "threads", "intra_op_threads", "in_flight", "batch_size", "data", "database", "output", "top_k", "device",
              "dedup"});
  SearchConfig c;
  c.source_text = text;
  auto required = [&](const char* k) {
    if (!root[k]) throw Error(src, std::string("missing required key '") + k + "'");
    return root[k];
  };
  c.space = get<std::string>(src, required("space"), "space");
  c.dataset = get<std::string>(src, required("dataset"), "dataset");
  if (root["name"]) c.name = get<std::string>(src, root["name"], "name");
  if (auto p = root["proxies"]) {
    if (p.IsScalar()) {
      std::stringstream ss(p.Scalar());
      std::string item;
      while (std::getline(ss, item, ','))
        if (!item.empty()) c.proxies.push_back({item, nlohmann::json::object()});
    } else if (p.IsSequence()) {
      for (const auto& e : p) {
        if (e.IsScalar()) {
          c.proxies.push_back({e.Scalar(), nlohmann::json::object()});
        } else {
          check_keys(src, e, "proxies[]", {"name", "settings"});
          if (!e["name"]) throw Error(where(src, e, "proxies[]"), "missing 'name'");
          ProxySpec s{get<std::string>(src, e["name"], "proxies[].name"), nlohmann::json::object()};
          if (e["settings"]) {
            if (!e["settings"].IsMap()) throw Error(where(src, e["settings"], "proxies[].settings"), "expected a mapping");
            s.settings = to_json(e["settings"]);
          }
          c.proxies.push_back(std::move(s));
        }
      }
    } else {
      throw Error(where(src, p, "proxies"), "expected a list of proxy names");
    }
  }
  if (root["combine"]) {
    c.combine = get<std::string>(src, root["combine"], "combine");
    if (c.combine != "single" && c.combine != "rank_average")
      throw Error(where(src, root["combine"], "combine"), "unknown value '" + c.combine + "'", "use single or rank_average");
  }
  if (c.combine == "single" && c.proxies.size() > 1)
    throw Error(where(src, root["proxies"], "proxies"), "several proxies with combine: single",
                "set combine: rank_average or list one proxy");
  if (auto s = root["strategy"]) {
    if (s.IsScalar()) {
      c.strategy = s.Scalar();
    } else {
      if (!s.IsMap() || !s["name"]) throw Error(where(src, s, "strategy"), "expected a name or a mapping with 'name'");
      c.strategy = get<std::string>(src, s["name"], "strategy.name");
      c.strategy_settings = to_json(s);
      c.strategy_settings.erase("name");
    }
  }
  if (auto b = root["budget"]) {
    check_keys(src, b, "budget", {"candidates", "seconds", "queries"});
    if (b["candidates"]) positive(src, b["candidates"], "budget.candidates", *(c.budget.candidates = get<std::int64_t>(src, b["candidates"], "budget.candidates")));
    if (b["seconds"]) positive(src, b["seconds"], "budget.seconds", *(c.budget.seconds = get<double>(src, b["seconds"], "budget.seconds")));
    if (b["queries"]) {
      c.budget.queries = get<std::int64_t>(src, b["queries"], "budget.queries");
      if (*c.budget.queries < 0) throw Error(where(src, b["queries"], "budget.queries"), "must be >= 0");
    }
  }
  if (auto k = root["constraints"]) {
    check_keys(src, k, "constraints", {"max_params", "max_flops"});
    if (k["max_params"]) positive(src, k["max_params"], "constraints.max_params", *(c.constraints.max_params = get<double>(src, k["max_params"], "constraints.max_params")));
    if (k["max_flops"]) positive(src, k["max_flops"], "constraints.max_flops", *(c.constraints.max_flops = get<double>(src, k["max_flops"], "constraints.max_flops")));
  }
  if (auto l = root["limits"]) {
    check_keys(src, l, "limits", {"candidate_seconds", "candidate_memory_mb"});
    if (l["candidate_seconds"]) positive(src, l["candidate_seconds"], "limits.candidate_seconds", c.limits.candidate_seconds = get<double>(src, l["candidate_seconds"], "limits.candidate_seconds"));
    if (l["candidate_memory_mb"]) positive(src, l["candidate_memory_mb"], "limits.candidate_memory_mb", c.limits.candidate_memory_mb = get<double>(src, l["candidate_memory_mb"], "limits.candidate_memory_mb"));
  }
  if (auto d = root["dedup"]) {
    check_keys(src, d, "dedup", {"structural"});
    if (d["structural"]) c.dedup.structural = get<bool>(src, d["structural"], "dedup.structural");
  }
  if (root["seed"]) c.seed = get<std::uint64_t>(src, root["seed"], "seed");
  if (root["threads"]) {
    c.threads = get<int>(src, root["threads"], "threads");
    if (c.threads < 0) throw Error(where(src, root["threads"], "threads"), "must be >= 0 (0 = all cores)");
  }
  if (root["intra_op_threads"]) positive(src, root["intra_op_threads"], "intra_op_threads", c.intra_op_threads = get<int>(src, root["intra_op_threads"], "intra_op_threads"));
  if (root["in_flight"]) {
    c.in_flight = get<int>(src, root["in_flight"], "in_flight");
    if (c.in_flight < 0) throw Error(where(src, root["in_flight"], "in_flight"), "must be >= 0 (0 = 2 x threads)");
  }
  if (root["batch_size"]) positive(src, root["batch_size"], "batch_size", c.batch_size = get<int>(src, root["batch_size"], "batch_size"));
  if (root["top_k"]) positive(src, root["top_k"], "top_k", c.top_k = get<int>(src, root["top_k"], "top_k"));
  if (root["device"]) c.device = get<std::string>(src, root["device"], "device");
  if (root["data"]) c.data = get<std::string>(src, root["data"], "data");
  if (root["database"]) c.database = get<std::string>(src, root["database"], "database");
  if (root["output"]) c.output = get<std::string>(src, root["output"], "output");
  if (c.name.empty()) c.name = c.space + "-" + c.dataset + "-" + c.strategy;
  return c;
}

SearchConfig load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path, "cannot open config file", "check the path; shipped configs are in configs/");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

nlohmann::json SearchConfig::to_json() const {
  nlohmann::json j;
  j["name"] = name;
  j["space"] = space;
  j["dataset"] = dataset;
  auto ps = nlohmann::json::array();
  for (const auto& p : proxies) ps.push_back({{"name", p.name}, {"settings", p.settings}});
  j["proxies"] = ps;
  j["combine"] = combine;
  j["strategy"] = strategy;
  j["strategy_settings"] = strategy_settings;
  auto opt = [](const auto& o) { return o ? nlohmann::json(*o) : nlohmann::json(nullptr); };
  j["budget"] = {{"candidates", opt(budget.candidates)}, {"seconds", opt(budget.seconds)}, {"queries", opt(budget.queries)}};
  j["constraints"] = {{"max_params", opt(constraints.max_params)}, {"max_flops", opt(constraints.max_flops)}};
  j["limits"] = {{"candidate_seconds", limits.candidate_seconds}, {"candidate_memory_mb", limits.candidate_memory_mb}};
  // Only when on, so the hashes of configs written before the key existed are unchanged
  // (structural sharing changes which score rows are stored, so it is part of the identity).
  if (dedup.structural) j["dedup"] = {{"structural", true}};
  j["seed"] = seed;
  j["batch_size"] = batch_size;
  j["device"] = device;
  j["data"] = data;
  j["top_k"] = top_k;
  return j;
}

std::string SearchConfig::config_hash() const {
  // Threads, in_flight, database and output don't change results (determinism contract), so they
  // are not part of the identity of a config.
  return hash128(to_json().dump()).hex();
}

}  // namespace zcnas::search
