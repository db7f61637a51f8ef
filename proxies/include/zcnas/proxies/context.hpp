#pragma once
// ProxyContext: everything a proxy may read while scoring one network, with
// memoized shared work so several proxies on one network pay for a forward /
// backward pass once (see scorer.hpp). Every proxy must give the same value
// whether it runs alone or beside others: shared results are computed from the
// same initial weights (fresh_net) and the same batch, never from a network a
// previous proxy has modified.
#include <torch/torch.h>

#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "zcnas/spaces/executor.hpp"
#include "zcnas/spaces/netgraph.hpp"

namespace zcnas::proxies {

// A batch of inputs (N x per-sample shape) with integer class labels (N) or,
// for dense tasks, target tensors.
struct Batch {
  torch::Tensor inputs;
  torch::Tensor labels;       // int64 class ids, or a float target tensor for dense heads
  std::string description;    // provenance, e.g. "cifar10:train[0:64]"
  std::int64_t size() const { return inputs.defined() ? inputs.size(0) : 0; }
};

class ProxyContext {
 public:
  ProxyContext(const spaces::NetGraph& graph, Batch batch, std::uint64_t seed,
               torch::Device device = torch::kCPU);

  const spaces::NetGraph& graph() const { return *graph_; }
  const Batch& batch() const { return batch_; }
  std::uint64_t seed() const { return seed_; }
  torch::Device device() const { return device_; }

  // A network initialised from the context seed (same seed, same weights,
  // whatever else ran before), in train mode, on device(), in dtype, with no
  // gradients. The module is built once per context: later calls hand out the same
  // module, converted to dtype, its parameters and buffers copied back from the
  // initial state, unless a caller still holds it (then another one is built).
  // Building draws every weight on the CPU -- 8 builds per cell were most of a
  // TNB-101 cell's scoring time on a GPU; restoring is a device copy and gives
  // bit-identical weights (float32 -> float64 -> float32 is exact).
  spaces::TorchNet fresh_net(torch::Dtype dtype = torch::kFloat32) const;
  // The same network with every BatchNorm2d passed through as identity (NASLib's
  // get_prunable_copy(bn=False), used by synflow): fresh_net()'s module with
  // TorchNetImpl::set_batchnorm_bypass(true).
  spaces::TorchNet fresh_net_without_batchnorm(torch::Dtype dtype = torch::kFloat32) const;

  // A generator private to (seed, salt): proxies that draw random numbers
  // (Gaussian inputs, random directions) use this, never the global RNG.
  at::Generator generator(const std::string& salt) const;

  // Memoized shared computation: the first call with `key` runs `make` and keeps
  // its result; later calls return it. Keys name the pass, e.g. "labelled_pass".
  template <class T>
  const T& memo(const std::string& key, const std::function<T()>& make) {
    auto it = memo_.find(key);
    if (it == memo_.end()) it = memo_.emplace(key, std::any(make())).first;
    return std::any_cast<const T&>(it->second);
  }

 private:
  const spaces::NetGraph* graph_;
  Batch batch_;
  std::uint64_t seed_;
  torch::Device device_;
  std::map<std::string, std::any> memo_;

  struct PooledNet {
    spaces::TorchNet net;
    std::vector<torch::Tensor> initial;  // parameters then buffers, as built
  };
  spaces::TorchNet pooled_net(bool batchnorm, torch::Dtype dtype) const;
  mutable std::vector<PooledNet> pool_;
};

}  // namespace zcnas::proxies
