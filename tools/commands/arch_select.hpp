#pragma once
// Which architectures a bulk command works on: `--sample N` (seeded, distinct),
// `--all` (enumerable spaces) or `--archs-file F` (one arch per line, any encoding,
// '#' comments). Shared by `zcnas score-space` and `zcnas features`.
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "zcnas/common/error.hpp"
#include "zcnas/spaces/space.hpp"

namespace zcnas::cli {

struct ArchSelection {
  std::size_t sample = 0;
  bool all = false;
  std::string archs_file;
};

inline std::vector<std::string> select_archs(const spaces::Space& space, const ArchSelection& a, std::uint64_t seed,
                                             const std::string& command) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& c) {
    if (seen.insert(c).second) out.push_back(c);
  };
  if (a.all) {
    space.enumerate(add);
  } else if (!a.archs_file.empty()) {
    std::ifstream in(a.archs_file);
    if (!in) throw Error(a.archs_file, "cannot open the architecture list");
    std::string line;
    while (std::getline(in, line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] == '#') continue;
      add(space.canonical(line));
    }
  } else {
    if (a.sample == 0) throw Error(command, "nothing to do", "give --sample N, --all or --archs-file F");
    if (auto n = space.size(); n && a.sample > *n)
      throw Error("--sample", std::to_string(a.sample) + " is more than the " + std::to_string(*n) + " archs of " + space.name(),
                  "use --all");
    spaces::Rng rng(seed);
    std::size_t tries = 0;
    while (out.size() < a.sample) {
      add(space.sample(rng));
      if (++tries > 100 * a.sample + 1000) throw Error("--sample", "could not draw enough distinct archs");
    }
  }
  return out;
}

}  // namespace zcnas::cli
