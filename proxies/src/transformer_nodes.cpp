// Transformer node discovery and the NAS-Bench-BERT terms (transformer.hpp).
#include <cmath>
#include <limits>
#include <map>
#include <regex>

#include "zcnas/common/error.hpp"
#include "zcnas/proxies/transformer.hpp"

namespace zcnas::proxies {

using spaces::NodeId;
using spaces::OpKind;

TransformerNodes transformer_nodes(const spaces::NetGraph& g) {
  static const std::regex layer_re(R"(^layers\.(\d+)\.(.*)$)");
  static const std::regex fc1_re(R"(^ffn\.(\d+)\.fc1$)");
  static const std::regex attn_re(R"(^attn\.(.+)$)");
  TransformerNodes t;
  std::map<int, std::pair<int, NodeId>> first_fc1;  // layer -> (lowest j, node)
  int max_layer = -1;
  for (NodeId id = 0; id < static_cast<NodeId>(g.size()); ++id) {
    const auto& n = g.node(id);
    if (t.body_output < 0 && n.name.rfind("head.", 0) == 0) {
      if (n.inputs.empty()) throw Error(n.name, "a head node without inputs");
      t.body_output = n.inputs.front();
    }
    std::smatch m;
    if (!std::regex_match(n.name, m, layer_re)) continue;
    const int layer = std::stoi(m[1].str());
    max_layer = std::max(max_layer, layer);
    const std::string rest = m[2].str();
    std::smatch f;
    if (n.op == OpKind::Linear && std::regex_match(rest, f, fc1_re)) {
      const int j = std::stoi(f[1].str());
      auto it = first_fc1.find(layer);
      if (it == first_fc1.end() || j < it->second.first) first_fc1[layer] = {j, id};
    }
    if (n.op == OpKind::GELU && rest.rfind("ffn.", 0) == 0) t.ffn_gelus.push_back(id);
    if (n.op == OpKind::Attention) t.attention_cores.push_back(id);
    if (n.op == OpKind::LinearTransform) t.linear_transforms.push_back(id);
    std::smatch a;
    if (n.op == OpKind::Linear && std::regex_match(rest, a, attn_re)) {
      t.mixing_linears.push_back(id);
      const std::string leaf = a[1].str();
      if (leaf != "o" && leaf.find("conv") == std::string::npos) t.head_projections.push_back(id);
    }
  }
  if (max_layer < 0)
    throw Error("transformer proxy", "the network has no `layers.<i>` block",
                "transformer proxies score the flexibert, gpt and autoformer spaces");
  t.layers = max_layer + 1;
  for (const auto& [layer, jn] : first_fc1) t.ffn_first_linear.push_back(jn.second);
  if (t.body_output < 0) t.body_output = g.output();
  return t;
}

spaces::NetGraph with_output(const spaces::NetGraph& g, NodeId out) {
  spaces::NetGraph c = g;
  c.set_output(out);
  return c;
}

torch::Tensor attention_probabilities(const torch::Tensor& q, const torch::Tensor& k, const spaces::AttentionAttr& a) {
  if (q.dim() != 3 || k.dim() != 3 || q.size(2) != k.size(2) || q.size(2) % a.heads != 0)
    throw Error("attention", "q and k must be [N, T, A] with A divisible by the heads");
  const auto n = q.size(0), tq = q.size(1), tk = k.size(1), hd = q.size(2) / a.heads;
  auto qh = q.reshape({n, tq, a.heads, hd}).transpose(1, 2);
  auto kh = k.reshape({n, tk, a.heads, hd}).transpose(1, 2);
  const double scale = a.scale > 0 ? a.scale : 1.0 / std::sqrt(static_cast<double>(hd));
  auto scores = torch::matmul(qh, kh.transpose(-1, -2)) * scale;
  if (a.causal) {
    auto mask = torch::ones({tq, tk}, torch::TensorOptions(torch::kBool).device(q.device())).triu(1);
    scores = scores.masked_fill(mask, -std::numeric_limits<double>::infinity());
  }
  return torch::softmax(scores, -1);
}

double head_confidence_term(const torch::Tensor& y) {
  if (y.dim() != 3) throw Error("head confidence", "expects a projection output [N, T, D]");
  return std::get<0>(y.to(torch::kFloat64).max(1)).mean().item<double>();
}

double softmax_confidence_term(const torch::Tensor& p) {
  if (p.dim() < 3) throw Error("head softmax confidence", "expects softmax outputs [N, H, ...]");
  return std::get<0>(p.to(torch::kFloat64).max(1)).mean().item<double>();
}

double activation_distance_term(const torch::Tensor& act) {
  if (act.dim() != 3) throw Error("activation distance", "expects activations [N, T, F]");
  const auto x = (act[0] > 0).to(torch::kFloat64);  // [T, F]
  const double t = static_cast<double>(x.size(0));
  const auto c = x.sum(0);                          // active tokens per unit
  return (c * c + (t - c) * (t - c)).sum().item<double>();
}

double synaptic_diversity_term(const torch::Tensor& w, const torch::Tensor& g) {
  if (!g.defined()) return 0.0;  // no gradient reached the weight (reference: skipped)
  const auto w2 = w.to(torch::kFloat64).reshape({w.size(0), -1});
  const auto g2 = g.to(torch::kFloat64).reshape({g.size(0), -1});
  return std::abs(torch::linalg_matrix_norm(w2, "nuc").item<double>() * torch::linalg_matrix_norm(g2, "nuc").item<double>());
}

}  // namespace zcnas::proxies
