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

at::Generator ProxyContext::generator(const std::string& salt) const {
  const auto h = hash128(salt);
  return at::make_generator<at::CPUGeneratorImpl>(seed_ ^ h.lo);
}

}  // namespace zcnas::proxies
