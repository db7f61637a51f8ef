#pragma once
// Helpers shared by the spaces tests.
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "zcnas/common/error.hpp"
#include "zcnas/spaces/executor.hpp"
#include "zcnas/spaces/space.hpp"

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

// Every (text, needle) is rejected by space.canonical() with a zcnas::Error whose
// input names the text and whose message contains the needle.
inline void check_rejects(const Space& space, const std::vector<std::pair<std::string, std::string>>& bad) {
  for (const auto& [text, needle] : bad) {
    INFO("input: '" << text << "'");
    try {
      space.canonical(text);
      FAIL("accepted");
    } catch (const zcnas::Error& e) {
      CHECK_THAT(e.input(), Catch::Contains("'" + text + "'"));
      CHECK_THAT(e.what(), Catch::Contains(needle));
    }
  }
}

}  // namespace zcnas::spaces::testing
