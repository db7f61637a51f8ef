// NAS-Bench-201 encodings and the structural (isomorphism) key.
#include <algorithm>

#include "cell6.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/nb201.hpp"

namespace zcnas::spaces::nb201 {
namespace {

constexpr std::string_view kSpace = "nb201";

// arch_str lists node j's inputs i < j; README digit index of edge (i -> j), nodes 0-based.
constexpr int edge_digit(int from, int to) {
  // (0->1)=0, (0->2)=1, (0->3)=2, (1->2)=3, (1->3)=4, (2->3)=5
  return from == 0 ? to - 1 : (from == 1 ? to + 1 : 5);
}

std::string op_list() {
  std::string s;
  for (auto n : kOpNames) s += (s.empty() ? "" : ", ") + std::string(n);
  return s;
}

Ops parse_arch_str(std::string_view text) {
  const auto t = cell6::trim(text);
  const auto label = cell6::input_label(kSpace, text);
  const std::string shape_hint = "expected |op~0|+|op~0|op~1|+|op~0|op~1|op~2|, or six digits, or (d, d, d, d, d, d)";
  std::vector<std::string_view> nodes;
  for (std::string_view rest = t;;) {
    const auto plus = rest.find('+');
    nodes.push_back(rest.substr(0, plus));
    if (plus == std::string_view::npos) break;
    rest.remove_prefix(plus + 1);
  }
  if (nodes.size() != 3)
    throw Error(label, "has " + std::to_string(nodes.size()) + " node group(s) separated by '+', expected 3", shape_hint);
  Ops ops{};
  for (int j = 1; j <= 3; ++j) {
    const auto node = nodes[j - 1];
    if (node.size() < 2 || node.front() != '|' || node.back() != '|')
      throw Error(label, "node " + std::to_string(j) + " group '" + std::string(node) + "' must start and end with '|'",
                  shape_hint);
    std::vector<std::string_view> edges;
    for (auto rest = node.substr(1, node.size() - 2);;) {
      const auto bar = rest.find('|');
      edges.push_back(rest.substr(0, bar));
      if (bar == std::string_view::npos) break;
      rest.remove_prefix(bar + 1);
    }
    if (static_cast<int>(edges.size()) != j)
      throw Error(label, "node " + std::to_string(j) + " has " + std::to_string(edges.size()) + " edge(s), expected " +
                             std::to_string(j), shape_hint);
    for (int i = 0; i < j; ++i) {
      const auto e = edges[i];
      const auto tilde = e.find('~');
      if (tilde == std::string_view::npos)
        throw Error(label, "edge '" + std::string(e) + "' lacks '~<input node>'", shape_hint);
      const auto name = e.substr(0, tilde);
      const auto from = e.substr(tilde + 1);
      if (from != std::to_string(i))
        throw Error(label, "edge '" + std::string(e) + "' of node " + std::to_string(j) + " should read from node " +
                               std::to_string(i), "inputs are listed in order ~0, ~1, ~2");
      const auto it = std::find(kOpNames.begin(), kOpNames.end(), name);
      if (it == kOpNames.end())
        throw Error(label, "unknown op '" + std::string(name) + "'", "NAS-Bench-201 ops: " + op_list());
      ops[edge_digit(i, j)] = static_cast<int>(it - kOpNames.begin());
    }
  }
  return ops;
}

}  // namespace

Ops parse(std::string_view arch) {
  if (auto numeric = cell6::parse_numeric(arch, kNumOps, kSpace)) return *numeric;
  return parse_arch_str(arch);
}

std::string arch_str(const Ops& ops) {
  std::string s;
  for (int j = 1; j <= 3; ++j) {
    s += j > 1 ? "+|" : "|";
    for (int i = 0; i < j; ++i) s += std::string(kOpNames[ops[edge_digit(i, j)]]) + "~" + std::to_string(i) + "|";
  }
  return s;
}

std::string op_indices(const Ops& ops) { return cell6::digits(ops); }

// Follows Structure.to_unique_str(consider_zero=True) (AutoDL-Projects,
// xautodl/models/cell_searchs/genotypes.py), the rule behind NAS-Bench-201's count of
// 6,466 unique cells (exps/NAS-Bench-201/test-correlation.py in the same repository):
// each node is the sorted '+'-join of its input terms; an edge term is "#" when the op is
// `none` or its source term is exactly "#", the source's term itself for skip_connect, and
// "(<source>)@<op>" otherwise. Only a single-edge zero ("#") propagates: a node whose
// inputs are all zero reads "#+#" and is not treated as zero downstream -- kept as the
// authors wrote it, since that is what yields their 6,466.
std::string unique_str(const Ops& ops) {
  std::array<std::string, 4> node{std::string(1, '0'), {}, {}, {}};  // (assigning "0" trips GCC 12 -Wstringop-overflow)
  for (int j = 1; j <= 3; ++j) {
    std::vector<std::string> terms;
    for (int i = 0; i < j; ++i) {
      const int op = ops[edge_digit(i, j)];
      if (op == 1 || node[i] == "#")
        terms.emplace_back("#");
      else if (op == 0)
        terms.push_back(node[i]);
      else
        terms.push_back("(" + node[i] + ")@" + std::string(kOpNames[op]));
    }
    std::sort(terms.begin(), terms.end());
    std::string s;
    for (const auto& t : terms) s += (s.empty() ? "" : "+") + t;
    node[j] = s;
  }
  return node[3];
}

std::vector<std::string> datasets() { return {"cifar10", "cifar100", "ImageNet16-120"}; }

NetConfig config_for(std::string_view dataset) {
  NetConfig c;
  if (dataset == "cifar10") {
    c.num_classes = 10;
  } else if (dataset == "cifar100") {
    c.num_classes = 100;
  } else if (dataset == "ImageNet16-120") {
    c.num_classes = 120;
    c.resolution = 16;
  } else {
    throw Error("--dataset " + std::string(dataset), "unknown data set for nb201", "valid: cifar10, cifar100, ImageNet16-120");
  }
  return c;
}

}  // namespace zcnas::spaces::nb201
