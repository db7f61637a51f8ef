// The shared transformer passes (transformer_pass.hpp).
#include "transformer_pass.hpp"

#include <map>

#include "zcnas/common/error.hpp"

namespace zcnas::proxies {
namespace {

spaces::TorchNet body_net(const ProxyContext& ctx, const TransformerNodes& t) {
  spaces::TorchNet net(with_output(ctx.graph(), t.body_output), ctx.seed());
  net->to(ctx.device(), torch::kFloat32);
  net->train();
  return net;
}

}  // namespace

const TransformerForward& transformer_forward(ProxyContext& ctx) {
  return ctx.memo<TransformerForward>("transformer_forward", [&] {
    torch::NoGradGuard no_grad;
    TransformerForward f;
    f.nodes = transformer_nodes(ctx.graph());
    const auto& t = f.nodes;
    const auto& g = ctx.graph();
    enum Role : unsigned { FfnFirst = 1, Gelu = 2, Projection = 4, AttnInput = 8, Transform = 16 };
    std::vector<unsigned> role(g.size(), 0);
    for (auto id : t.ffn_first_linear) role[id] |= FfnFirst;
    for (auto id : t.ffn_gelus) role[id] |= Gelu;
    for (auto id : t.head_projections) role[id] |= Projection;
    for (auto id : t.attention_cores) {
      role[g.node(id).inputs.at(0)] |= AttnInput;  // q
      role[g.node(id).inputs.at(1)] |= AttnInput;  // k
    }
    for (auto id : t.linear_transforms) role[id] |= Transform;
    std::map<spaces::NodeId, torch::Tensor> qk;  // q/k outputs, kept until their core runs
    std::map<spaces::NodeId, Eigen::MatrixXf> ffn;
    auto net = body_net(ctx, t);
    net->forward(ctx.batch().inputs, [&](spaces::NodeId id, const spaces::Node& n, const torch::Tensor& y) {
      if (role[id] & FfnFirst) {
        auto m = y.detach().to(torch::kCPU, torch::kFloat32).reshape({-1, y.size(-1)}).contiguous();
        ffn[id] = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            m.data_ptr<float>(), m.size(0), m.size(1));
      }
      if (role[id] & Gelu) f.activation_distance += activation_distance_term(y);
      if (role[id] & Projection) f.head_confidence += head_confidence_term(y);
      if (role[id] & AttnInput) qk[id] = y;
      if (n.op == spaces::OpKind::Attention && qk.count(n.inputs[0]) && qk.count(n.inputs[1]))
        f.softmax_confidence +=
            softmax_confidence_term(attention_probabilities(qk[n.inputs[0]], qk[n.inputs[1]], n.as<spaces::AttentionAttr>()));
      if (role[id] & Transform) {
        // The reference's LT modules also apply (and the harness hooks) a softmax over the head
        // dim of the transformed heads [N, H, T, dh]; its output is unused by the network.
        const auto h = n.as<spaces::LinearTransformAttr>().heads;
        auto heads = y.reshape({y.size(0), y.size(1), h, y.size(2) / h}).transpose(1, 2);
        f.softmax_confidence += softmax_confidence_term(torch::softmax(heads, -1));
      }
    });
    for (auto id : t.ffn_first_linear) {
      auto it = ffn.find(id);
      if (it == ffn.end()) throw Error(g.node(id).name, "the FFN linear did not run in the forward pass");
      f.ffn_first.push_back(std::move(it->second));
    }
    return f;
  });
}

const TransformerBackward& transformer_backward(ProxyContext& ctx) {
  return ctx.memo<TransformerBackward>("transformer_backward", [&] {
    torch::AutoGradMode grad_on(true);
    const auto t = transformer_nodes(ctx.graph());
    auto net = body_net(ctx, t);
    auto out = net->forward(ctx.batch().inputs);
    out.backward(torch::ones_like(out));
    TransformerBackward b;
    for (auto id : t.mixing_linears) {
      auto w = net->node_weight(id);
      b.weights.push_back(w.detach());
      b.grads.push_back(w.grad().defined() ? w.grad().detach() : torch::Tensor());
    }
    return b;
  });
}

}  // namespace zcnas::proxies
