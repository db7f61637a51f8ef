#include "zcnas/proxies/passes.hpp"

#include <cmath>
#include <limits>

#include "zcnas/common/error.hpp"
#include "zcnas/proxies/batch.hpp"

namespace zcnas::proxies {

std::vector<spaces::NodeId> metric_layers(const spaces::NetGraph& g) {
  std::vector<spaces::NodeId> out;
  for (spaces::NodeId id = 0; id < static_cast<spaces::NodeId>(g.size()); ++id) {
    auto op = g.node(id).op;
    if (op == spaces::OpKind::Conv2d || op == spaces::OpKind::Linear) out.push_back(id);
  }
  return out;
}

const LabelledPass& labelled_pass(ProxyContext& ctx) {
  return ctx.memo<LabelledPass>("labelled_pass", [&] {
    torch::AutoGradMode grad_on(true);
    auto net = ctx.fresh_net(torch::kFloat32);
    LabelledPass p;
    p.layers = metric_layers(ctx.graph());
    std::vector<bool> is_layer(ctx.graph().size(), false);
    for (auto id : p.layers) is_layer[id] = true;
    std::vector<torch::Tensor> acts(ctx.graph().size());
    auto out = net->forward(ctx.batch().inputs, [&](spaces::NodeId id, const spaces::Node&, const torch::Tensor& y) {
      if (is_layer[id] && y.requires_grad()) {
        y.retain_grad();
        acts[id] = y;
      }
    });
    auto loss = batch_loss(out, ctx.batch());
    loss.backward();
    p.loss = loss.item<double>();
    for (auto id : p.layers) {
      auto w = net->node_weight(id);
      p.weights.push_back(w.detach().clone());
      p.grads.push_back(w.grad().defined() ? w.grad().detach().clone() : torch::zeros_like(w));
      double f = 0;
      const auto& a = acts[id];
      if (a.defined() && a.grad().defined()) {
        auto prod = (a.detach() * a.grad().detach()).to(torch::kFloat64);
        auto g_nk = prod.dim() > 2 ? prod.flatten(2).sum(2) : prod;      // N x C
        auto del_k = g_nk.pow(2).mean(0).mul(0.5);                         // C
        f = del_k.abs().sum().item<double>() * static_cast<double>(w[0].numel());
      }
      p.fisher.push_back(f);
    }
    return p;
  });
}

const InputJacobian& input_jacobian(ProxyContext& ctx) {
  return ctx.memo<InputJacobian>("input_jacobian", [&] {
    torch::AutoGradMode grad_on(true);
    auto net = ctx.fresh_net(torch::kFloat32);
    auto x = ctx.batch().inputs.detach().clone().requires_grad_(true);
    auto y = net->forward(x);
    // A cell whose every input->output path is a zero op (TNB-101 / NB201 cells with
    // `none` edges) has no input Jacobian: say so instead of torch's undefined-tensor error.
    const char* why = "the network's output does not depend on its input (every input->output path is a zero op)";
    if (!y.requires_grad()) throw Error("input jacobian", why, "jacov and epe_nas are undefined for such a network");
    y.backward(torch::ones_like(y));
    if (!x.grad().defined()) throw Error("input jacobian", why, "jacov and epe_nas are undefined for such a network");
    InputJacobian j;
    j.jacobian = x.grad().detach().reshape({x.size(0), -1});
    j.n_outputs = y.size(-1);
    return j;
  });
}

const SynflowPass& synflow_pass(ProxyContext& ctx, bool keep_bn) {
  return ctx.memo<SynflowPass>(keep_bn ? "synflow_pass_bn" : "synflow_pass", [&] {
    torch::AutoGradMode grad_on(true);
    auto net = keep_bn ? ctx.fresh_net(torch::kFloat64) : ctx.fresh_net_without_batchnorm(torch::kFloat64);
    {
      torch::NoGradGuard no_grad;
      for (auto& p : net->parameters()) p.abs_();
    }
    // Token networks cannot take an all-ones float input: their input is token id 1 at every
    // position (one sequence), so every |embedding| row read is the same positive vector.
    const auto dtype = ctx.graph().has_token_input() ? torch::kInt64 : torch::kFloat64;
    auto x = torch::ones(spaces::batched(ctx.graph().input_shape(), 1), torch::TensorOptions(dtype).device(ctx.device()));
    net->forward(x).sum().backward();
    SynflowPass p;
    p.layers = metric_layers(ctx.graph());
    for (auto id : p.layers) {
      auto w = net->node_weight(id);
      p.numel.push_back(w.numel());
      if (!w.grad().defined()) {
        p.log_sum.push_back(-std::numeric_limits<double>::infinity());
        continue;
      }
      p.log_sum.push_back(log_sum_exp(std::vector<torch::Tensor>{w.detach().abs().log() + w.grad().detach().abs().log()}));
    }
    return p;
  });
}

double log_sum_exp(const std::vector<double>& xs) {
  double m = -std::numeric_limits<double>::infinity();
  for (double x : xs) m = std::max(m, x);
  if (std::isinf(m) || std::isnan(m)) return m;
  double s = 0;
  for (double x : xs) s += std::exp(x - m);
  return m + std::log(s);
}

double log_sum_exp(const std::vector<torch::Tensor>& xs) {
  double m = -std::numeric_limits<double>::infinity();
  for (const auto& x : xs)
    if (x.numel()) m = std::max(m, x.max().item<double>());
  if (std::isinf(m)) return m;  // all -inf, or +inf somewhere
  if (std::isnan(m)) return m;
  double s = 0;
  for (const auto& x : xs)
    if (x.numel()) s += (x.to(torch::kFloat64) - m).exp().sum().item<double>();
  return m + std::log(s);
}

}  // namespace zcnas::proxies
