#include "zcnas/spaces/registry.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include "zcnas/common/error.hpp"
#include "zcnas/spaces/builtin.hpp"

namespace zcnas::spaces {
namespace {
struct Registry {
  std::mutex mu;
  std::map<std::string, std::unique_ptr<Space>, std::less<>> spaces;
};
Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry;
    for (auto& s : builtin_spaces()) reg->spaces[s->name()] = std::move(s);
    return reg;
  }();
  return *r;
}
}  // namespace

std::unique_ptr<Space> make_onnx_dir_space(const std::string& folder);  // onnx_dir_space.cpp

const Space& get_space(std::string_view name) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  auto it = r.spaces.find(name);
  // Parameterised spaces, built on first use: "onnx_dir:<folder>" (the .onnx files of a folder).
  constexpr std::string_view kOnnxDir = "onnx_dir:";
  if (it == r.spaces.end() && name.substr(0, kOnnxDir.size()) == kOnnxDir) {
    auto s = make_onnx_dir_space(std::string(name.substr(kOnnxDir.size())));
    it = r.spaces.emplace(std::string(name), std::move(s)).first;
  }
  if (it == r.spaces.end()) {
    std::string known;
    for (auto& [k, v] : r.spaces) known += (known.empty() ? "" : ", ") + k;
    throw Error("--space " + std::string(name), "unknown search space",
                "registered spaces: " + known + "; or onnx_dir:<folder> for the .onnx files of a folder");
  }
  return *it->second;
}

std::vector<std::string> space_names() {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  std::vector<std::string> names;
  for (auto& [k, v] : r.spaces) names.push_back(k);
  return names;
}

void register_space(std::unique_ptr<Space> space) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.spaces[space->name()] = std::move(space);
}

void Space::enumerate(const std::function<void(const std::string&)>&) const {
  throw Error("space " + name(), "is not enumerable", "use sampling instead");
}

std::string Space::resolve_dataset(std::string_view user_name) const {
  auto lower = [](std::string_view s) {
    std::string o(s);
    std::transform(o.begin(), o.end(), o.begin(), [](unsigned char c) { return std::tolower(c); });
    return o;
  };
  std::string known;
  for (const auto& d : datasets()) {
    if (lower(d) == lower(user_name)) return d;
    known += (known.empty() ? "" : ", ") + d;
  }
  throw Error("--dataset " + std::string(user_name), "unknown data set for space " + name(), "valid: " + known);
}

}  // namespace zcnas::spaces
