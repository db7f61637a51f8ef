#include "zcnas/proxies/context.hpp"

#include "zcnas/common/text_hash.hpp"

namespace zcnas::proxies {

ProxyContext::ProxyContext(const spaces::NetGraph& graph, Batch batch, std::uint64_t seed, torch::Device device)
    : graph_(&graph), batch_(std::move(batch)), seed_(seed), device_(device) {}

spaces::TorchNet ProxyContext::fresh_net(torch::Dtype dtype) const {
  spaces::TorchNet net(*graph_, seed_);
  net->to(device_, dtype);
  net->train();
  return net;
}

spaces::TorchNet ProxyContext::fresh_net_without_batchnorm(torch::Dtype dtype) const {
  spaces::NetGraph g;
  for (const auto& n : graph_->nodes()) {
    if (n.op == spaces::OpKind::Input && graph_->has_token_input())
      g.token_input(n.shape.at(0), n.name);  // int64 ids stay ids (embedding ops read only those)
    else if (n.op == spaces::OpKind::Input)
      g.input(n.shape, n.name);
    else if (n.op == spaces::OpKind::BatchNorm2d)
      g.add(spaces::OpKind::Identity, n.inputs, spaces::NoAttr{}, n.name);
    else
      g.add(n.op, n.inputs, n.attr, n.name);
  }
  g.set_output(graph_->output());
  spaces::TorchNet net(std::move(g), seed_);
  net->to(device_, dtype);
  net->train();
  return net;
}

at::Generator ProxyContext::generator(const std::string& salt) const {
  const auto h = hash128(salt);
  return at::make_generator<at::CPUGeneratorImpl>(seed_ ^ h.lo);
}

}  // namespace zcnas::proxies
