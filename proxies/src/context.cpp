#include "zcnas/proxies/context.hpp"

#include "zcnas/common/text_hash.hpp"

namespace zcnas::proxies {

ProxyContext::ProxyContext(const spaces::NetGraph& graph, Batch batch, std::uint64_t seed, torch::Device device)
    : graph_(&graph), batch_(std::move(batch)), seed_(seed), device_(device) {}

spaces::TorchNet ProxyContext::fresh_net(torch::Dtype dtype) const { return pooled_net(true, dtype); }

spaces::TorchNet ProxyContext::fresh_net_without_batchnorm(torch::Dtype dtype) const { return pooled_net(false, dtype); }

spaces::TorchNet ProxyContext::pooled_net(bool batchnorm, torch::Dtype dtype) const {
  PooledNet* slot = nullptr;
  for (auto& s : pool_)  // use_count 1: only the pool holds the module, no proxy is still using it
    if (s.net.ptr().use_count() == 1) slot = &s;
  if (slot) {
    torch::NoGradGuard no_grad;
    slot->net->to(dtype);
    std::size_t i = 0;
    for (auto& p : slot->net->parameters()) {
      p.copy_(slot->initial[i++]);
      p.mutable_grad() = torch::Tensor();
    }
    for (auto& b : slot->net->buffers()) b.copy_(slot->initial[i++]);
  } else {
    spaces::TorchNet net(*graph_, seed_);
    net->to(device_, dtype);
    PooledNet fresh{net, {}};
    for (const auto& p : net->parameters()) fresh.initial.push_back(p.detach().clone());
    for (const auto& b : net->buffers()) fresh.initial.push_back(b.detach().clone());
    pool_.push_back(std::move(fresh));
    slot = &pool_.back();
  }
  slot->net->set_batchnorm_bypass(!batchnorm);
  slot->net->train();
  return slot->net;
}

at::Generator ProxyContext::generator(const std::string& salt) const {
  const auto h = hash128(salt);
  return at::make_generator<at::CPUGeneratorImpl>(seed_ ^ h.lo);
}

}  // namespace zcnas::proxies
