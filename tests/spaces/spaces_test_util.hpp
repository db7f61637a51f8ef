#pragma once
// Helpers shared by the spaces tests.
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "zcnas/spaces/executor.hpp"

namespace zcnas::spaces::testing {

inline std::string benchdata(const std::string& rel) { return std::string(ZCNAS_BENCHDATA_DIR) + "/" + rel; }

// NAS-Bench-Suite-Zero JSON: one value is the bare literal -Infinity (not JSON), which
// appears only as a value, never inside a key or string; read it as null.
inline nlohmann::json read_naslib_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const std::string bad = "-Infinity";
  for (auto pos = text.find(bad); pos != std::string::npos; pos = text.find(bad, pos)) text.replace(pos, bad.size(), "null");
  return nlohmann::json::parse(text);
}

inline std::int64_t module_numel(TorchNet& net) {
  std::int64_t n = 0;
  for (const auto& p : net->parameters()) n += p.numel();
  return n;
}

inline bool rel_close(double got, double want, double rel = 1e-4) {
  return std::abs(got - want) <= rel * std::max(std::abs(want), 1e-12);
}

}  // namespace zcnas::spaces::testing
