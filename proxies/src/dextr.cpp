// Dextr (Asthana, Conrad, Ortmanns, Belagiannis, "Dextr: Zero-Shot Neural
// Architecture Search with Singular Value Decomposition and Extrinsic
// Curvature", TMLR 2025; code github.com/rohanasthana/Dextr).
//
//   S = log(1 + sum over layers of sigma_min / sigma_max of the layer's feature
//       map of ONE sample reshaped to channels x (H*W))
//   K = log(1 + kappa), kappa the extrinsic curvature (Poole et al. 2016) of the
//       network output along the input-space circle r (u cos t + v sin t),
//       averaged over `points` equispaced t (over `coordinates` output
//       coordinates: all when the output has at most that many)
//   Dextr = S K / (S + K)
// Label-free. Where the reference code differs, and what we chose: docs/proxies.md.
#include <cmath>

#include "zcnas/proxies/context.hpp"
#include "zcnas/proxies/label_free.hpp"
#include "zcnas/proxies/registry.hpp"

namespace zcnas::proxies {
namespace {

class Dextr final : public Proxy {
 public:
  explicit Dextr(const nlohmann::json& s)
      : layers_(label_free::parse_layer_set(setting<std::string>("dextr", s, "layers", "all"))),
        points_(setting<int>("dextr", s, "points", 8)),
        radius_scale_(setting<double>("dextr", s, "radius_scale", 1.0)),
        coordinates_(setting<int>("dextr", s, "coordinates", 10)),
        engine_(label_free::parse_curvature_engine(setting<std::string>("dextr", s, "curvature", "auto"))) {
    if (coordinates_ < 0) throw Error("proxy dextr", "setting 'coordinates' must be >= 0 (0 = all)");
    if (points_ < 1) throw Error("proxy dextr", "setting 'points' must be >= 1, got " + std::to_string(points_));
    if (!(radius_scale_ > 0)) throw Error("proxy dextr", "setting 'radius_scale' must be > 0");
  }

  ProxyInfo info() const override {
    ProxyInfo i;
    i.name = "dextr";
    i.version = 1;
    i.description = "Dextr (Asthana et al. TMLR 2025): harmonic combination of log(1+sum inverse condition numbers) and log(1+output curvature)";
    i.needs_data = true;  // one sample for S; the curvature circle is synthetic
    i.needs_labels = false;
    i.needs_grad = true;  // the curvature differentiates the output twice
    i.float64 = true;     // SVD and the curvature pass run in float64
    return i;
  }

  // `curvature` (the engine: auto = jet where every op has a rule, else
  // autograd; "jet" or "autograd" to force one) does not change the value beyond
  // rounding (tests/proxies/test_jet.cpp), so the default is left out of the
  // settings and rows cached before the jet engine existed stay valid.
  nlohmann::json settings() const override {
    nlohmann::json j = {{"layers", label_free::to_string(layers_)}, {"points", points_}, {"radius_scale", radius_scale_},
                        {"coordinates", coordinates_}};
    if (engine_ != label_free::CurvatureEngine::Auto) j["curvature"] = label_free::to_string(engine_);
    return j;
  }

  double score(ProxyContext& ctx) const override {
    if (ctx.graph().has_token_input())
      throw Error("dextr", "its curvature term moves the input along a continuous circle; token ids are discrete",
                  "score token networks with the other proxies (docs/proxies.md, transformer proxies)");
    const double svd_sum = label_free::inverse_condition_sum(label_free::shared_sample_maps(ctx, layers_));
    auto net = ctx.fresh_net(torch::kFloat64);
    const auto& shape = ctx.graph().input_shape();
    auto [u, v] = label_free::orthonormal_pair(shape, ctx.generator("dextr.circle"), torch::kFloat64);
    double dim = 1;
    for (auto d : shape) dim *= static_cast<double>(d);
    const double radius = radius_scale_ * std::sqrt(dim);
    // Output coordinates: all when there are at most `coordinates` (0 = all),
    // else that many distinct ones drawn from the context generator.
    std::vector<std::int64_t> coords;
    const auto& out_shape = ctx.graph().output_shape();
    std::int64_t k_out = 1;
    for (auto d : out_shape) k_out *= d;
    if (coordinates_ > 0 && k_out > coordinates_) {
      auto perm = torch::randperm(k_out, ctx.generator("dextr.coordinates"), torch::kInt64).slice(0, 0, coordinates_);
      perm = std::get<0>(perm.sort());
      for (std::int64_t i = 0; i < coordinates_; ++i) coords.push_back(perm[i].item<std::int64_t>());
    }
    const auto kappa = label_free::extrinsic_curvature(net, u.to(ctx.device()), v.to(ctx.device()), radius, points_, coords, engine_);
    return label_free::dextr_combine(svd_sum, kappa.mean);
  }

 private:
  label_free::LayerSet layers_;
  int points_;
  double radius_scale_;
  int coordinates_;
  label_free::CurvatureEngine engine_;
};

}  // namespace

ProxyPtr make_dextr(const nlohmann::json& settings) {
  check_settings("dextr", settings, {"layers", "points", "radius_scale", "coordinates", "curvature"});
  return std::make_shared<Dextr>(settings);
}

}  // namespace zcnas::proxies
