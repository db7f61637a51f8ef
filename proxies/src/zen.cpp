// Zen-score (Lin et al., "Zen-NAS: A Zero-Shot NAS for High-Performance Image
// Recognition", ICCV 2021; code github.com/idstcv/ZenNAS) as NASLib computes it
// (naslib/predictors/utils/pruners/measures/zen.py): Gaussian weights, Gaussian
// inputs of the batch's shape, mixup perturbation gamma = 1e-2, log of the mean
// L1 difference of the pre-GAP feature maps plus sum over batchnorms of
// log sqrt(mean running_var), network in train mode, averaged over `repeat`
// draws. Label-free (reads only the batch shape). See docs/proxies.md.
#include "zcnas/proxies/context.hpp"
#include "zcnas/proxies/label_free.hpp"
#include "zcnas/proxies/registry.hpp"

namespace zcnas::proxies {
namespace {

class Zen final : public Proxy {
 public:
  explicit Zen(const nlohmann::json& s)
      : repeat_(setting<int>("zen", s, "repeat", 1)),
        gamma_(setting<double>("zen", s, "mixup_gamma", 1e-2)),
        tracked_only_(setting<bool>("zen", s, "tracked_bn_only", false)) {
    if (repeat_ < 1) throw Error("proxy zen", "setting 'repeat' must be >= 1, got " + std::to_string(repeat_));
  }

  ProxyInfo info() const override {
    ProxyInfo i;
    i.name = "zen";
    i.version = 1;
    i.description = "Zen-score (Lin et al. ICCV 2021) as NASLib computes it: Gaussian init/input, mixup 1e-2, pre-GAP L1 + BN scaling";
    i.needs_data = false;  // synthetic Gaussian input of the batch's shape
    i.needs_labels = false;
    i.needs_grad = false;
    return i;
  }

  nlohmann::json settings() const override {
    return {{"repeat", repeat_}, {"mixup_gamma", gamma_}, {"tracked_bn_only", tracked_only_}};
  }

  double score(ProxyContext& ctx) const override {
    auto net = ctx.fresh_net(torch::kFloat32);
    auto weight_gen = ctx.generator("zen.weights");
    auto input_gen = ctx.generator("zen.inputs");
    const auto shape = spaces::batched(ctx.graph().input_shape(), std::max<std::int64_t>(ctx.batch().size(), 1));
    std::vector<std::pair<torch::Tensor, torch::Tensor>> inputs;
    for (int r = 0; r < repeat_; ++r) {
      auto x1 = torch::empty(shape, torch::kFloat32).normal_(0.0, 1.0, input_gen).to(ctx.device());
      auto x2 = torch::empty(shape, torch::kFloat32).normal_(0.0, 1.0, input_gen).to(ctx.device());
      inputs.emplace_back(x1, x2);
    }
    // NASLib re-draws the Gaussian weights before every repeat, while the
    // batchnorm running variances keep accumulating across repeats.
    return label_free::zen_score(net, inputs, gamma_, tracked_only_,
                                 [&](int) { label_free::gaussian_init(net, weight_gen); });
  }

 private:
  int repeat_;
  double gamma_;
  bool tracked_only_;
};

}  // namespace

ProxyPtr make_zen(const nlohmann::json& settings) {
  check_settings("zen", settings, {"repeat", "mixup_gamma", "tracked_bn_only"});
  return std::make_shared<Zen>(settings);
}

}  // namespace zcnas::proxies
