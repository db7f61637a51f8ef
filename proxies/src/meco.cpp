// MeCo (Jiang, Wang, Bie, "MeCo: Zero-Shot NAS with One Data and Single Forward
// Pass via Minimum Eigenvalue of Correlation", NeurIPS 2023; code
// github.com/HamsterMimi/MeCo): for each layer, the minimum eigenvalue of the
// Pearson-correlation matrix between the channels of the layer's feature map of
// ONE sample (channels x H*W), summed over layers. NaN correlations (constant
// channels) are set to 0 before the eigen-decomposition, as the reference code
// does. Label-free, one forward pass (shared with Dextr). See docs/proxies.md.
#include "zcnas/proxies/context.hpp"
#include "zcnas/proxies/label_free.hpp"
#include "zcnas/proxies/registry.hpp"

namespace zcnas::proxies {
namespace {

class MeCo final : public Proxy {
 public:
  explicit MeCo(const nlohmann::json& s)
      : layers_(label_free::parse_layer_set(setting<std::string>("meco", s, "layers", "all"))) {}

  ProxyInfo info() const override {
    ProxyInfo i;
    i.name = "meco";
    i.version = 1;
    i.description = "MeCo (Jiang et al. NeurIPS 2023): sum over layers of the min eigenvalue of the channel correlation matrix (one sample)";
    i.needs_data = true;
    i.needs_labels = false;
    i.needs_grad = false;
    i.float64 = true;  // correlation and eigenvalues in float64
    return i;
  }

  nlohmann::json settings() const override { return {{"layers", label_free::to_string(layers_)}}; }

  double score(ProxyContext& ctx) const override {
    return label_free::min_correlation_eigenvalue_sum(label_free::shared_sample_maps(ctx, layers_));
  }

 private:
  label_free::LayerSet layers_;
};

}  // namespace

ProxyPtr make_meco(const nlohmann::json& settings) {
  check_settings("meco", settings, {"layers"});
  return std::make_shared<MeCo>(settings);
}

}  // namespace zcnas::proxies
