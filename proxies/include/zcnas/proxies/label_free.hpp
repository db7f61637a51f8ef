#pragma once
// The numerical cores of the label-free proxies Dextr, MeCo and Zen, taking
// every random ingredient (input sample, circle directions, Gaussian inputs)
// as an explicit argument. The registered proxies (dextr.cpp, meco.cpp,
// zen.cpp) draw those ingredients from the ProxyContext and call these; the
// golden-value tests (tests/proxies/test_golden.cpp) call them with the
// closed-form inputs of tests/reference/golden.py. Definitions and the
// differences from the authors' code: docs/proxies.md.
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "zcnas/spaces/executor.hpp"

namespace zcnas::proxies {
class ProxyContext;
}

namespace zcnas::proxies::label_free {

// Which nodes count as "layers" for Dextr's S and for MeCo.
//   Conv: outputs of Conv2d / ConvTranspose2d nodes.
//   All:  every live node whose output is a C x H x W map, except the input and
//         Identity nodes (those repeat another node's output). This is the
//         NetGraph analogue of the reference code's hook on every nn.Module.
enum class LayerSet { Conv, All };
LayerSet parse_layer_set(const std::string& s);  // "conv" | "all"; throws zcnas::Error
std::string to_string(LayerSet s);

// One sample's feature maps, C x (H*W), float64, one per selected node (in node
// order). `x` is a batch of exactly one sample; `net` runs in whatever mode it is in.
std::vector<torch::Tensor> sample_feature_maps(spaces::TorchNet& net, const torch::Tensor& x, LayerSet layers);

// sample_feature_maps of the context batch's first sample through
// ctx.fresh_net() (float32, train mode), memoized per layer set so Dextr and
// MeCo on one network share one forward pass.
const std::vector<torch::Tensor>& shared_sample_maps(ProxyContext& ctx, LayerSet layers);

// sigma_min / sigma_max of a C x HW matrix (float64 SVD); 0 when sigma_max == 0
// or the ratio is not finite (the reference code maps NaN/Inf to 0).
double inverse_condition(const torch::Tensor& fmap);

// Sum of inverse_condition over `maps`, computed in batches: maps of one shape
// go through one batched SVD, and a wide C x HW map (HW > C) is first reduced
// to the C x C triangular factor R of its QR decomposition F^T = QR, which has
// the same singular values (F = R^T Q^T, Q orthonormal columns). Equal to the
// per-map sum up to rounding (tests/proxies/test_jet.cpp); the terms are added
// in map order.
double inverse_condition_sum(const std::vector<torch::Tensor>& maps);

// Minimum eigenvalue of the C x C Pearson-correlation matrix of the rows of a
// C x HW matrix; entries that are NaN/Inf (constant channels) are set to 0
// first, as the MeCo reference code does. Exactly 0 without an eigendecomposition when
// C >= HW (the matrix is then singular; see label_free.cpp).
double min_correlation_eigenvalue(const torch::Tensor& fmap);

// Sum of min_correlation_eigenvalue over `maps`, non-finite layer values dropped (MeCo's
// sum), with the maps of one shape batched (equal to the per-map sum up to rounding).
double min_correlation_eigenvalue_sum(const std::vector<torch::Tensor>& maps);

// Extrinsic curvature (Poole et al. 2016) of the network output along the
// circle x(theta) = radius * (u cos theta + v sin theta), averaged over
// `points` equispaced angles theta_j = 2 pi j / points. u, v: per-sample input
// shape, orthonormal. Each point is run as its own batch of one (so train-mode
// batchnorm normalises over that sample only). kappa(theta) = sqrt(|v|^2 |a|^2 -
// (v.a)^2) / |v|^3 with v = dy/dtheta, a = d2y/dtheta2 over the output
// coordinates `coords` (empty: all), computed exactly in the network's dtype by
// one of two engines that agree up to rounding (tests/proxies/test_jet.cpp):
//   Jet:      second-order Taylor-mode propagation (jet.hpp), all points in one
//             forward sweep of a batch of 3 x points rows; per-point batchnorm
//             statistics keep the batch-of-one semantics.
//   Autograd: reverse mode, per point a forward of a batch of one and, per
//             output coordinate, dy_k/dtheta with a graph then its derivative.
//   Auto:     Jet when every live op of the graph has a jet rule, else Autograd.
// The jet engine does not update batchnorm running statistics; the autograd
// one does (train-mode forwards), which no caller reads afterwards.
enum class CurvatureEngine { Auto, Jet, Autograd };
CurvatureEngine parse_curvature_engine(const std::string& s);  // "auto" | "jet" | "autograd"; throws zcnas::Error
std::string to_string(CurvatureEngine e);

struct CurvatureResult {
  double mean = 0;
  std::vector<double> per_point;
};
CurvatureResult extrinsic_curvature(spaces::TorchNet& net, const torch::Tensor& u, const torch::Tensor& v,
                                    double radius, int points, const std::vector<std::int64_t>& coords = {},
                                    CurvatureEngine engine = CurvatureEngine::Auto);

// Two orthonormal directions of the given per-sample shape from a generator
// (Gaussian D x 2 matrix, Gram-Schmidt in float64).
std::pair<torch::Tensor, torch::Tensor> orthonormal_pair(const std::vector<std::int64_t>& shape, at::Generator gen,
                                                         torch::Dtype dtype);

// Dextr = S K / (S + K) with S = log(1 + svd_sum), K = log(1 + kappa).
double dextr_combine(double svd_sum, double kappa);

// Zen-score (Lin et al. 2021) as NASLib computes it, for networks whose weights
// are already set: with no grad, in the net's current mode, for each (x, x2) pair
//   delta = mean_n sum_chw |f(x) - f(x + gamma x2)|   (f = input of the global avg pool)
//   bn    = sum over BatchNorm2d nodes of log sqrt(mean_c running_var)
// where running_var starts at 1 and follows PyTorch's momentum update with the
// unbiased batch variance at every forward (two per pair, accumulated across
// pairs as NASLib's repeat loop does); score = log(delta) + bn, averaged over pairs.
// `tracked_bn_only`: count only batchnorms with track_running_stats.
// `before_pair(r)`, when given, runs before pair r (NASLib re-draws the Gaussian
// weights there).
double zen_score(spaces::TorchNet& net, const std::vector<std::pair<torch::Tensor, torch::Tensor>>& inputs,
                 double gamma, bool tracked_bn_only, const std::function<void(int)>& before_pair = {});

// NASLib's network_weight_gaussian_init: Conv2d and Linear weights N(0, 1),
// their biases 0, batchnorm weight 1 and bias 0 (ConvTranspose2d untouched).
void gaussian_init(spaces::TorchNet& net, at::Generator gen);

}  // namespace zcnas::proxies::label_free
