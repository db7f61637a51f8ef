// Numerical cores of Dextr, MeCo and Zen (see label_free.hpp, docs/proxies.md).
#include "zcnas/proxies/label_free.hpp"

#include <cmath>
#include <map>
#include <numbers>

#include "zcnas/common/error.hpp"
#include "zcnas/proxies/context.hpp"
#include "zcnas/proxies/jet.hpp"

namespace zcnas::proxies::label_free {

using spaces::Node;
using spaces::NodeId;
using spaces::OpKind;

LayerSet parse_layer_set(const std::string& s) {
  if (s == "conv") return LayerSet::Conv;
  if (s == "all") return LayerSet::All;
  throw Error("proxy setting layers=\"" + s + "\"", "unknown layer set", "use \"conv\" or \"all\"");
}

std::string to_string(LayerSet s) { return s == LayerSet::Conv ? "conv" : "all"; }

namespace {

bool selected(const Node& n, LayerSet layers) {
  // C x H x W maps; in sequence models {T, D} token-major hidden states, read as D channels x T positions.
  if (n.shape.size() == 2) return layers == LayerSet::All && n.op != OpKind::Identity;
  if (n.shape.size() != 3) return false;
  switch (layers) {
    case LayerSet::Conv: return n.op == OpKind::Conv2d || n.op == OpKind::ConvTranspose2d;
    case LayerSet::All: return n.op != OpKind::Input && n.op != OpKind::Identity;
  }
  return false;
}

// Indices of `maps` (C x HW matrices) grouped by shape, for the batched cores below.
std::map<std::pair<std::int64_t, std::int64_t>, std::vector<std::size_t>> group_by_shape(
    const std::vector<torch::Tensor>& maps, const char* who) {
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<std::size_t>> by_shape;
  for (std::size_t i = 0; i < maps.size(); ++i) {
    if (maps[i].dim() != 2) throw Error(who, "expected C x HW matrices, got " + std::to_string(maps[i].dim()) + " dims");
    by_shape[{maps[i].size(0), maps[i].size(1)}].push_back(i);
  }
  return by_shape;
}

}  // namespace

std::vector<torch::Tensor> sample_feature_maps(spaces::TorchNet& net, const torch::Tensor& x, LayerSet layers) {
  if (x.size(0) != 1) throw Error("feature maps", "expected a batch of one sample, got " + std::to_string(x.size(0)));
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> maps;
  net->forward(x, [&](NodeId, const Node& n, const torch::Tensor& out) {
    if (!selected(n, layers)) return;
    if (n.shape.size() == 2) maps.push_back(out[0].t().to(torch::kFloat64));  // {T, D} -> D x T
    else maps.push_back(out[0].reshape({out.size(1), -1}).to(torch::kFloat64));
  });
  return maps;
}

const std::vector<torch::Tensor>& shared_sample_maps(ProxyContext& ctx, LayerSet layers) {
  using Maps = std::vector<torch::Tensor>;
  return ctx.memo<Maps>("label_free.sample_maps." + to_string(layers), [&]() -> Maps {
    const auto& in = ctx.batch().inputs;
    if (!in.defined() || in.size(0) < 1) throw Error("label-free proxies", "the batch is empty", "they need one input sample");
    auto net = ctx.fresh_net(torch::kFloat32);
    const auto x = in.slice(0, 0, 1);  // token ids stay int64
    return sample_feature_maps(net, x.is_floating_point() ? x.to(ctx.device(), torch::kFloat32) : x.to(ctx.device()), layers);
  });
}

double inverse_condition(const torch::Tensor& fmap) {
  const auto s = torch::linalg_svdvals(fmap.to(torch::kFloat64));
  const double smax = s.max().item<double>();
  const double smin = s.min().item<double>();
  if (!(smax > 0)) return 0.0;
  const double r = smin / smax;
  return std::isfinite(r) ? r : 0.0;
}

double inverse_condition_sum(const std::vector<torch::Tensor>& maps) {
  const auto by_shape = group_by_shape(maps, "inverse condition");
  std::vector<double> ratio(maps.size(), 0.0);
  for (const auto& [shape, idx] : by_shape) {
    std::vector<torch::Tensor> group;
    for (auto i : idx) group.push_back(maps[i].to(torch::kFloat64));
    auto f = torch::stack(group);  // [n, C, HW]
    if (shape.second > shape.first) f = std::get<1>(torch::linalg_qr(f.transpose(1, 2), "r"));  // [n, C, C]
    const auto s = torch::linalg_svdvals(f);
    const auto smax = std::get<0>(s.max(-1)), smin = std::get<0>(s.min(-1));
    auto r = torch::where(smax > 0, smin / smax, torch::zeros_like(smax));
    r = torch::where(torch::isfinite(r), r, torch::zeros_like(r)).to(torch::kCPU).contiguous();
    const auto* p = r.data_ptr<double>();
    for (std::size_t k = 0; k < idx.size(); ++k) ratio[idx[k]] = p[k];
  }
  double sum = 0.0;
  for (double x : ratio) sum += x;
  return sum;
}

namespace {

// With C >= HW the centred C x HW matrix has rank <= HW - 1 < C, so the correlation matrix
// (PSD; zeroed NaN rows keep it PSD) is singular and its minimum eigenvalue is exactly 0. The
// reference's eigensolver returns round-off of order 1e-15 there; we return the exact value and
// skip the C x C eigendecomposition, which for a language model's logits (C = 50,264
// vocabulary entries) would need 20 GB and minutes.
bool singular_correlation(std::int64_t channels, std::int64_t positions) { return channels >= positions; }

// Minimum eigenvalue of each [n] Pearson-correlation matrix of the rows (channels) of
// f = [n, C, HW], as torch.corrcoef: covariance normalised by the outer product of the
// standard deviations, NaN/Inf entries (constant channels) set to 0, clipped to [-1, 1]
// (rounding can leave |r| slightly above 1). Returns [n] float64 on the CPU.
torch::Tensor min_correlation_eigenvalues(const torch::Tensor& f) {
  const auto centred = f - f.mean(2, true);
  const auto cov = centred.matmul(centred.transpose(1, 2));
  const auto sd = cov.diagonal(0, 1, 2).sqrt();
  auto corr = cov / sd.unsqueeze(2) / sd.unsqueeze(1);
  corr = torch::where(torch::isfinite(corr), corr, torch::zeros_like(corr)).clamp(-1.0, 1.0);
  return std::get<0>(torch::linalg_eigvalsh(corr).min(-1)).to(torch::kCPU).contiguous();
}

}  // namespace

double min_correlation_eigenvalue(const torch::Tensor& fmap) {
  if (fmap.dim() == 2 && singular_correlation(fmap.size(0), fmap.size(1))) return 0.0;
  return min_correlation_eigenvalues(fmap.to(torch::kFloat64).unsqueeze(0)).item<double>();
}

double min_correlation_eigenvalue_sum(const std::vector<torch::Tensor>& maps) {
  // Maps of one shape go through one batched correlation + eigvalsh: one call (and, on a
  // GPU, one synchronisation) per shape instead of per layer; singular shapes add exactly 0.
  double sum = 0.0;
  for (const auto& [shape, idx] : group_by_shape(maps, "MeCo")) {
    if (singular_correlation(shape.first, shape.second)) continue;
    std::vector<torch::Tensor> group;
    for (auto i : idx) group.push_back(maps[i].to(torch::kFloat64));
    const auto mins = min_correlation_eigenvalues(torch::stack(group));
    const auto* p = mins.data_ptr<double>();
    for (std::size_t k = 0; k < idx.size(); ++k)
      if (std::isfinite(p[k])) sum += p[k];  // the reference drops NaN layer values
  }
  return sum;
}

std::pair<torch::Tensor, torch::Tensor> orthonormal_pair(const std::vector<std::int64_t>& shape, at::Generator gen,
                                                         torch::Dtype dtype) {
  std::int64_t d = 1;
  for (auto s : shape) d *= s;
  auto g = torch::empty({2, d}, torch::kFloat64).normal_(0.0, 1.0, gen);
  auto u = g[0] / g[0].norm();
  auto v = g[1] - (g[1] * u).sum() * u;
  v = v / v.norm();
  return {u.reshape(shape).to(dtype), v.reshape(shape).to(dtype)};
}

CurvatureEngine parse_curvature_engine(const std::string& s) {
  if (s == "auto") return CurvatureEngine::Auto;
  if (s == "jet") return CurvatureEngine::Jet;
  if (s == "autograd") return CurvatureEngine::Autograd;
  throw Error("proxy setting curvature=\"" + s + "\"", "unknown curvature engine", "use \"auto\", \"jet\" or \"autograd\"");
}

std::string to_string(CurvatureEngine e) {
  switch (e) {
    case CurvatureEngine::Auto: return "auto";
    case CurvatureEngine::Jet: return "jet";
    case CurvatureEngine::Autograd: return "autograd";
  }
  return "auto";
}

namespace {

// kappa = sqrt(|v|^2 |a|^2 - (v.a)^2) / |v|^3 over the coordinates ks of one
// point's (v, a), accumulated in double in coordinate order (both engines).
double curvature_from(const std::vector<double>& vel, const std::vector<double>& acc) {
  double vv = 0, aa = 0, va = 0;
  for (std::size_t i = 0; i < vel.size(); ++i) {
    vv += vel[i] * vel[i];
    aa += acc[i] * acc[i];
    va += vel[i] * acc[i];
  }
  return vv > 0 ? std::sqrt(std::max(vv * aa - va * va, 0.0)) / std::pow(vv, 1.5) : 0.0;
}

void check_coords(const std::vector<std::int64_t>& ks, std::int64_t n_out) {
  for (auto k : ks)
    if (k < 0 || k >= n_out) throw Error("dextr curvature", "output coordinate " + std::to_string(k) + " out of range");
}

CurvatureResult curvature_autograd(spaces::TorchNet& net, const torch::Tensor& u, const torch::Tensor& v, double radius,
                                   int points, const std::vector<std::int64_t>& coords) {
  using torch::autograd::grad;
  CurvatureResult res;
  const auto opts = torch::TensorOptions().dtype(u.scalar_type());
  for (int j = 0; j < points; ++j) {
    const double t = 2.0 * std::numbers::pi * j / points;
    auto theta = torch::full({}, t, opts).requires_grad_(true);
    auto x = (radius * (u * torch::cos(theta) + v * torch::sin(theta))).unsqueeze(0);
    auto y = net->forward(x).reshape({-1});
    std::vector<std::int64_t> ks = coords;
    if (ks.empty())
      for (std::int64_t k = 0; k < y.numel(); ++k) ks.push_back(k);
    check_coords(ks, y.numel());
    // Reverse mode, one output coordinate at a time: dy_k/dtheta with a graph,
    // then its derivative. Only first and second derivatives of every op are
    // needed (a Jacobian-vector trick needs third-order derivatives, which
    // libtorch 1.13's batchnorm double-backward does not provide correctly).
    std::vector<double> vel, acc;
    for (auto k : ks) {
      auto dk = grad({y[k]}, {theta}, {}, /*retain_graph=*/true, /*create_graph=*/true, /*allow_unused=*/true)[0];
      double vk = 0, ak = 0;
      if (dk.defined()) {
        vk = dk.item<double>();
        if (dk.requires_grad()) {
          auto a = grad({dk}, {theta}, {}, /*retain_graph=*/true, /*create_graph=*/false, /*allow_unused=*/true)[0];
          if (a.defined()) ak = a.item<double>();
        }
      }
      vel.push_back(vk);
      acc.push_back(ak);
    }
    const double k = curvature_from(vel, acc);
    res.per_point.push_back(k);
    res.mean += k / points;
  }
  return res;
}

// All points in one jet sweep: x(theta) = r (u cos + v sin), x' = r (-u sin + v cos), x'' = -x.
CurvatureResult curvature_jet(spaces::TorchNet& net, const torch::Tensor& u, const torch::Tensor& v, double radius,
                              int points, const std::vector<std::int64_t>& coords) {
  std::vector<double> angles;
  for (int j = 0; j < points; ++j) angles.push_back(2.0 * std::numbers::pi * j / points);
  const auto opts = torch::TensorOptions().dtype(u.scalar_type()).device(u.device());
  auto theta = torch::tensor(angles, torch::TensorOptions().dtype(torch::kFloat64)).to(opts);
  std::vector<std::int64_t> bshape(static_cast<std::size_t>(u.dim()) + 1, 1);
  bshape[0] = points;
  auto c = torch::cos(theta).view(bshape), s = torch::sin(theta).view(bshape);
  auto uu = u.unsqueeze(0), vv = v.unsqueeze(0);
  jet::Jet2 in;
  in.value = radius * (uu * c + vv * s);
  in.d1 = radius * (vv * c - uu * s);
  in.d2 = -in.value;
  auto out = jet::forward(net, in);
  auto y1 = out.d1.reshape({points, -1}), y2 = out.d2.reshape({points, -1});
  std::vector<std::int64_t> ks = coords;
  if (ks.empty())
    for (std::int64_t k = 0; k < y1.size(1); ++k) ks.push_back(k);
  check_coords(ks, y1.size(1));
  auto idx = torch::tensor(ks, torch::TensorOptions().dtype(torch::kInt64)).to(y1.device());
  // One device-to-host copy of the points x coords velocities and accelerations.
  auto va = torch::stack({y1.index_select(1, idx), y2.index_select(1, idx)}).to(torch::kCPU, torch::kFloat64).contiguous();
  const auto* p = va.data_ptr<double>();
  const auto n = static_cast<std::size_t>(ks.size());
  CurvatureResult res;
  for (int j = 0; j < points; ++j) {
    const double* vel = p + static_cast<std::size_t>(j) * n;
    const double* acc = p + (static_cast<std::size_t>(points) + static_cast<std::size_t>(j)) * n;
    const double k = curvature_from({vel, vel + n}, {acc, acc + n});
    res.per_point.push_back(k);
    res.mean += k / points;
  }
  return res;
}

}  // namespace

CurvatureResult extrinsic_curvature(spaces::TorchNet& net, const torch::Tensor& u, const torch::Tensor& v,
                                    double radius, int points, const std::vector<std::int64_t>& coords,
                                    CurvatureEngine engine) {
  if (points < 1) throw Error("dextr curvature", "points must be >= 1");
  if (engine == CurvatureEngine::Auto)
    engine = jet::supported(net->graph()) ? CurvatureEngine::Jet : CurvatureEngine::Autograd;
  if (engine == CurvatureEngine::Jet) return curvature_jet(net, u, v, radius, points, coords);
  return curvature_autograd(net, u, v, radius, points, coords);
}

double dextr_combine(double svd_sum, double kappa) {
  const double s = std::log1p(svd_sum), k = std::log1p(kappa);
  if (s + k == 0.0) return 0.0;
  return s * k / (s + k);
}

void gaussian_init(spaces::TorchNet& net, at::Generator gen) {
  torch::NoGradGuard no_grad;
  const auto& g = net->graph();
  for (NodeId id = 0; id < static_cast<NodeId>(g.size()); ++id) {
    auto* m = net->node_module(id);
    if (!m) continue;
    const auto op = g.node(id).op;
    auto params = m->named_parameters(false);
    if (op == OpKind::Conv2d || op == OpKind::Linear) {
      auto* w = params.find("weight");
      w->copy_(torch::empty(w->sizes(), torch::kFloat32).normal_(0.0, 1.0, gen));
      if (auto* b = params.find("bias")) b->zero_();
    } else if (op == OpKind::BatchNorm2d) {
      if (auto* w = params.find("weight")) w->fill_(1.0);
      if (auto* b = params.find("bias")) b->zero_();
    }
  }
}

double zen_score(spaces::TorchNet& net, const std::vector<std::pair<torch::Tensor, torch::Tensor>>& inputs,
                 double gamma, bool tracked_bn_only, const std::function<void(int)>& before_pair) {
  const auto& g = net->graph();
  NodeId gap = -1;
  for (const auto& n : g.nodes())
    if (n.op == OpKind::GlobalAvgPool) {
      if (gap >= 0) throw Error("zen", "the network has more than one global average pool", "zen needs one pre-GAP feature map");
      gap = n.inputs[0];
    }
  if (gap < 0) throw Error("zen", "the network has no global average pool", "zen reads the feature map before it");
  // Batchnorm nodes and the momentum of each; running_var starts at 1 (PyTorch's reset).
  // Batchnorm nodes. A tracking batchnorm's module buffer holds exactly the
  // running variance we need (reset to 1 here, then PyTorch's update at every
  // forward); for a non-tracking one we apply the same update to the unbiased
  // batch variance of its input ourselves.
  struct Bn {
    NodeId input;
    double momentum;
    torch::Tensor buffer;       // the module's running_var (tracking batchnorms)
    torch::Tensor running_var;  // our own (non-tracking batchnorms)
  };
  std::vector<Bn> bns;
  const auto live = g.live_nodes();
  torch::NoGradGuard no_grad;
  for (NodeId id = 0; id < static_cast<NodeId>(g.size()); ++id) {
    const auto& n = g.node(id);
    if (n.op != OpKind::BatchNorm2d || !live[id]) continue;
    const auto& a = n.as<spaces::BatchNormAttr>();
    if (tracked_bn_only && !a.track_running_stats) continue;
    Bn b{n.inputs[0], a.momentum, {}, {}};
    torch::Tensor buf;  // a handle to the module's buffer (the dict find() points into is a temporary)
    if (a.track_running_stats) {
      const auto buffers = net->node_module(id)->named_buffers(false);
      if (const auto* rv = buffers.find("running_var")) buf = *rv;
      if (const auto* rm = buffers.find("running_mean")) rm->zero_();
      if (const auto* nb = buffers.find("num_batches_tracked")) nb->zero_();
    }
    if (buf.defined()) {
      buf.fill_(1.0);
      b.buffer = buf;
    } else {
      const auto params = net->parameters();
      const auto dev = params.empty() ? torch::Device(torch::kCPU) : params.front().device();
      b.running_var = torch::ones({n.shape[0]}, torch::TensorOptions(torch::kFloat64).device(dev));
    }
    bns.push_back(std::move(b));
  }
  std::vector<char> keep(g.size(), 0);
  for (const auto& b : bns)
    if (!b.buffer.defined()) keep[b.input] = 1;
  auto run = [&](const torch::Tensor& x) {
    torch::Tensor pre_gap;
    std::vector<torch::Tensor> outs(g.size());
    net->forward(x, [&](NodeId id, const Node&, const torch::Tensor& out) {
      if (id == gap) pre_gap = out;
      if (keep[id]) outs[id] = out;
    });
    for (auto& b : bns) {
      if (b.buffer.defined()) continue;  // updated by the module itself
      auto var = outs[b.input].var({0, 2, 3}, /*unbiased=*/true).to(torch::kFloat64);
      b.running_var = (1.0 - b.momentum) * b.running_var + b.momentum * var;
    }
    return pre_gap;
  };
  double total = 0.0;
  for (std::size_t r = 0; r < inputs.size(); ++r) {
    if (before_pair) before_pair(static_cast<int>(r));
    const auto& [x1, x2] = inputs[r];
    auto out = run(x1);
    auto mixed = run(x1 + gamma * x2);
    auto delta = (out - mixed).abs().sum({1, 2, 3}).mean().item<double>();
    double bn = 0.0;
    for (const auto& b : bns)
      bn += std::log(std::sqrt((b.buffer.defined() ? b.buffer : b.running_var).to(torch::kFloat64).mean().item<double>()));
    total += std::log(delta) + bn;
  }
  return total / static_cast<double>(inputs.size());
}

}  // namespace zcnas::proxies::label_free
