#include "zcnas/proxies/context.hpp"

#include "zcnas/common/text_hash.hpp"

namespace zcnas::proxies {

ProxyContext::ProxyContext(const spaces::NetGraph& graph, Batch batch, std::uint64_t seed, torch::Device device)
    : graph_(&graph), batch_(std::move(batch)), seed_(seed), device_(device) {}

spaces::TorchNet ProxyContext::fresh_net(torch::Dtype dtype) const { return pooled_net(true, dtype); }

spaces::TorchNet ProxyContext::fresh_net_without_batchnorm(torch::Dtype dtype) const { return pooled_net(false, dtype); }

spaces::NetGraph ProxyContext::without_batchnorm() const {
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
  return g;
}

spaces::TorchNet ProxyContext::pooled_net(bool batchnorm, torch::Dtype dtype) const {
  for (auto& slot : pool_) {
    // use_count 1: only the pool holds the module, no proxy is still using it.
    if (slot.batchnorm != batchnorm || slot.dtype != dtype || slot.net.ptr().use_count() != 1) continue;
    torch::NoGradGuard no_grad;
    std::size_t i = 0;
    for (auto& p : slot.net->parameters()) {
      p.copy_(slot.initial[i++]);
      p.mutable_grad() = torch::Tensor();
    }
    for (auto& b : slot.net->buffers()) b.copy_(slot.initial[i++]);
    slot.net->train();
    return slot.net;
  }
  spaces::TorchNet net = batchnorm ? spaces::TorchNet(*graph_, seed_) : spaces::TorchNet(without_batchnorm(), seed_);
  net->to(device_, dtype);
  net->train();
  PooledNet slot{batchnorm, dtype, net, {}};
  for (const auto& p : net->parameters()) slot.initial.push_back(p.detach().clone());
  for (const auto& b : net->buffers()) slot.initial.push_back(b.detach().clone());
  pool_.push_back(std::move(slot));
  return net;
}

at::Generator ProxyContext::generator(const std::string& salt) const {
  const auto h = hash128(salt);
  return at::make_generator<at::CPUGeneratorImpl>(seed_ ^ h.lo);
}

}  // namespace zcnas::proxies
