// TransNAS-Bench-101 micro encodings and the structural key.
#include <algorithm>

#include "cell6.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/tnb101_micro.hpp"

namespace zcnas::spaces::tnb101 {
namespace {

constexpr std::string_view kSpace = "tnb101_micro";
// Edge k of the "a_bc_def" order: (from, to).
constexpr int kFrom[6] = {0, 0, 1, 0, 1, 2};
constexpr int kTo[6] = {1, 2, 2, 3, 3, 3};

Ops parse_arch_str(std::string_view text) {
  const auto t = cell6::trim(text);
  const auto label = cell6::input_label(kSpace, text);
  const std::string hint = "expected 64-41414-a_bc_def with digits 0..3, six digits abcdef, or (a, b, c, d, e, f)";
  if (t.substr(0, kMacroPrefix.size()) != kMacroPrefix) {
    const auto dash = t.rfind('-');
    if (dash == std::string_view::npos)
      throw Error(label, "is not a TransNAS-Bench-101 micro arch string", hint);
    throw Error(label, "macro skeleton '" + std::string(t.substr(0, dash + 1)) + "' is not the micro space's " +
                           std::string(kMacroPrefix), hint);
  }
  const auto cell = t.substr(kMacroPrefix.size());
  // Expected layout: d_dd_ddd
  static constexpr std::string_view kLayout = "d_dd_ddd";
  if (cell.size() != kLayout.size())
    throw Error(label, "cell code '" + std::string(cell) + "' has " + std::to_string(cell.size()) +
                           " characters, expected 8 (a_bc_def)", hint);
  Ops ops{};
  int k = 0;
  for (std::size_t i = 0; i < kLayout.size(); ++i) {
    const char c = cell[i];
    if (kLayout[i] == '_') {
      if (c != '_')
        throw Error(label, std::string("expected '_' at cell position ") + std::to_string(i + 1) + ", got '" + c + "'", hint);
      continue;
    }
    if (c < '0' || c > '9')
      throw Error(label, std::string("expected an op digit at cell position ") + std::to_string(i + 1) + ", got '" + c + "'",
                  hint);
    if (c - '0' >= kNumOps)
      throw Error(label, std::string("op code ") + c + " out of range", "op codes: 0 zero, 1 skip_connect, 2 conv1x1, 3 conv3x3");
    ops[k++] = c - '0';
  }
  return ops;
}

// One cell variant's NB201-style unique string; `reduce` marks the stride-2,
// channel-doubling variant where edges from node 0 are different ops.
std::string unique_cell(const Ops& ops, bool reduce) {
  std::array<std::string, 4> node{std::string(1, '0'), {}, {}, {}};  // (assigning "0" trips GCC 12 -Wstringop-overflow)
  for (int j = 1; j <= 3; ++j) {
    std::vector<std::string> terms;
    for (int k = 0; k < 6; ++k) {
      if (kTo[k] != j) continue;
      const int i = kFrom[k];
      const int op = ops[k];
      const bool strided = reduce && i == 0;
      if (op == 0 || node[i] == "#")
        terms.emplace_back("#");
      else if (op == 1 && !strided)
        terms.push_back(node[i]);
      else
        terms.push_back("(" + node[i] + ")@" + (op == 1 ? std::string("factorized_reduce") : std::string(kOpNames[op])) +
                        (strided ? "/2" : ""));
    }
    std::sort(terms.begin(), terms.end());
    std::string s;
    for (const auto& t : terms) s += (s.empty() ? "" : "+") + t;
    node[j] = s;
  }
  return node[3];
}

}  // namespace

Ops parse(std::string_view arch) {
  if (auto numeric = cell6::parse_numeric(arch, kNumOps, kSpace)) return *numeric;
  return parse_arch_str(arch);
}

std::string arch_str(const Ops& o) {
  std::string s(kMacroPrefix);
  const auto d = cell6::digits(o);
  return s + d.substr(0, 1) + "_" + d.substr(1, 2) + "_" + d.substr(3, 3);
}

std::string op_indices(const Ops& ops) { return cell6::digits(ops); }

std::string unique_str(const Ops& ops) { return unique_cell(ops, false) + "|" + unique_cell(ops, true); }

std::vector<std::string> tasks() {
  return {"class_scene", "class_object", "autoencoder", "normal", "jigsaw", "room_layout", "segmentsemantic"};
}

}  // namespace zcnas::spaces::tnb101
