// Second-order Taylor-mode propagation through a NetGraph (see jet.hpp).
//
// Representation: one tensor J of shape [3*B, ...] holding the value, first and
// second derivative of a node's output stacked along the batch axis (rows
// [0, B), [B, 2B), [2B, 3B)), B = points * fold rows. Linear ops then run ONCE
// on all three orders (a conv of batch 3B instead of three convs), with the
// bias / additive constant on order 0 only. Per op, writing x = (x0, x1, x2)
// for the input jet and y for the output jet:
//
//   linear L (Conv2d, ConvTranspose2d, Linear, AvgPool2d, GlobalAvgPool, Add,
//   Concat, Pad2d (zero fill), Slice2d, Upsample2d (nearest), Flatten,
//   Fold/UnfoldTiles, Identity, Zero):
//       y_k = L(x_k), plus the bias on y0 only.
//   ReLU:      m = [x0 > 0] (derivative 0 at 0, as autograd's threshold_backward)
//              y_k = m x_k.
//   LeakyReLU: m = 1 where x0 > 0 else slope (as leaky_relu_backward); y_k = m x_k.
//   MaxPool2d: i = argmax indices of the window on x0 (max_pool2d_with_indices,
//              the indices autograd's backward uses); y_k = x_k gathered at i.
//   Clip [lo, hi]: m = [lo <= x0 <= hi] (inclusive, as autograd's clamp_backward);
//              y_k = clamp(x0) for k = 0, m x_k otherwise.
//   HardSigmoid: y_k = hardsigmoid_backward(x_k, x0) for k = 1, 2 (f'' = 0): the
//              library's own f' (1/6 on (-3, 3), 0 elsewhere), so the same constant.
//   HardSwish: y1 = hardswish_backward(x1, x0) (f' = 0 below -3, x/3 + 1/2 on
//              [-3, 3), 1 from 3 on), y2 = hardswish_backward(x2, x0) + f'' x1^2,
//              f'' = 1/3 on (-3, 3) else 0 (autograd's hardswish double backward).
//   Mul a * b (broadcast): y0 = a0 b0, y1 = a1 b0 + a0 b1, y2 = a2 b0 + 2 a1 b1 + a0 b2.
//   Softmax over axis d: s = softmax(x0), <.> the sum over d,
//              y1 = s (x1 - <s x1>),
//              y2 = y1 (x1 - <s x1>) + s (x2 - <y1 x1> - <s x2>)   (s' = y1).
//   Sigmoid / Tanh, f applied elementwise:
//       y0 = f(x0), y1 = f'(x0) x1, y2 = f'(x0) x2 + f''(x0) x1^2
//       sigmoid: s = f(x0), f' = s(1-s), f'' = s(1-s)(1-2s)
//       tanh:    t = f(x0), f' = 1-t^2, f'' = -2t(1-t^2)
//   BatchNorm2d with batch statistics (train mode, or no running stats): for
//   each point p separately (its fold rows and H*W positions, per channel;
//   "mean" below is that average), eps the layer's epsilon:
//       mu_k  = mean(x_k)                      (mean is linear)
//       c_k   = x_k - mu_k                     (centred jet)
//       v0 = mean(c0^2), v1 = 2 mean(c0 c1), v2 = 2 mean(c1^2 + c0 c2)
//                                               (biased variance, as batch_norm)
//       s = (v + eps)^(-1/2): s' = -1/2 s^3, s'' = 3/4 s^5, so
//       s0 = (v0+eps)^(-1/2), s1 = -1/2 s0^3 v1, s2 = 3/4 s0^5 v1^2 - 1/2 s0^3 v2
//       z = c s (product rule up to order 2):
//       z0 = c0 s0, z1 = c1 s0 + c0 s1, z2 = c2 s0 + 2 c1 s1 + c0 s2
//       y_k = gamma z_k, plus beta on y0.
//   BatchNorm2d with running statistics (eval mode): linear,
//       y_k = gamma (x_k - [k=0] running_mean) / sqrt(running_var + eps) (+ beta on y0).
//   LayerNorm over the last dim: the batchnorm-statistics rule above with the mean taken
//       over that dim of each row (biased variance, eps inside the root, as layer_norm).
//   GELU: y1 = f'(x0) x1, y2 = f'(x0) x2 + f''(x0) x1^2 with, for the erf form f = x Phi(x),
//       f' = Phi + x phi, f'' = phi (2 - x^2) (phi, Phi the normal pdf / cdf); for the tanh
//       form f = x/2 (1 + t), t = tanh(u), u = c (x + a x^3), c = sqrt(2/pi), a = 0.044715:
//       f' = (1 + t)/2 + x/2 (1 - t^2) u', f'' = (1 - t^2) u' + x/2 (1 - t^2)(u'' - 2 t u'^2),
//       u' = c (1 + 3 a x^2), u'' = 6 c a x.
//   Attention (q, k, v): per head, S = scale q k^T and O = softmax(S) v are bilinear /
//       softmax steps, each by the product rule / the softmax rule above; a causal mask
//       sets S0 to -inf (softmax 0) and S1, S2 to 0 above the diagonal.
//   PatchEmbed (conv, flatten, transpose), ClsToken (the learned token on order 0, zeros on
//       orders 1, 2), PositionalEmbedding (the table added to order 0): affine, the linear
//       part on every order and the constant on order 0 only.
#include "zcnas/proxies/jet.hpp"

#include <cmath>
#include <limits>

#include "zcnas/common/error.hpp"

namespace zcnas::proxies::jet {

using spaces::Node;
using spaces::NodeId;
using spaces::OpKind;

namespace {

// The ops with a rule below. An op added to the IR later gets `false` until someone
// writes its rule; Dextr then falls back to reverse-mode autograd. Without one: the token
// ops (Embedding, AdaptiveEmbedding: Dextr refuses token inputs), LinearTransform, Conv1d,
// DynamicConv.
bool has_rule(OpKind op) {
  switch (op) {
    case OpKind::Input:
    case OpKind::Conv2d:
    case OpKind::BatchNorm2d:
    case OpKind::ReLU:
    case OpKind::AvgPool2d:
    case OpKind::MaxPool2d:
    case OpKind::GlobalAvgPool:
    case OpKind::Zero:
    case OpKind::Identity:
    case OpKind::Add:
    case OpKind::Concat:
    case OpKind::Linear:
    case OpKind::Flatten:
    case OpKind::Pad2d:
    case OpKind::Slice2d:
    case OpKind::Upsample2d:
    case OpKind::ConvTranspose2d:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::LeakyReLU:
    case OpKind::FoldTiles:
    case OpKind::UnfoldTiles:
    case OpKind::Mul:
    case OpKind::HardSwish:
    case OpKind::HardSigmoid:
    case OpKind::Clip:
    case OpKind::ChannelShuffle:
    case OpKind::ChannelSlice:
    case OpKind::Softmax:
    case OpKind::LayerNorm:
    case OpKind::GELU:
    case OpKind::Attention:
    case OpKind::PatchEmbed:
    case OpKind::ClsToken:
    case OpKind::PositionalEmbedding:
    case OpKind::SelectToken:
    case OpKind::MeanTokens:
      return true;
    default:
      return false;
  }
}

// View of the stacked jet as [3, B, ...].
torch::Tensor orders(const torch::Tensor& j) {
  auto s = j.sizes().vec();
  s[0] /= 3;
  s.insert(s.begin(), 3);
  return j.reshape(s);
}

// Adds `b` (broadcast per channel: dim 1 of [N, C, ...]) to order 0 of the stacked jet `y`, in place.
void add_bias_order0(torch::Tensor& y, const torch::Tensor* b) {
  if (!b || !b->defined()) return;
  const auto rows = y.size(0) / 3;
  std::vector<std::int64_t> shape(static_cast<std::size_t>(y.dim() - 1), 1);
  shape[0] = b->numel();
  y.narrow(0, 0, rows).add_(b->view(shape));
}

// Adds `c` (broadcast against one order's [N, ...] by trailing dims: a feature bias of the
// last dim, a positional table) to order 0 of the stacked jet `y`, in place.
void add_order0(torch::Tensor& y, const torch::Tensor& c) {
  if (c.defined()) y.narrow(0, 0, y.size(0) / 3).add_(c);
}

// Product rule up to order 2 for a bilinear f (elementwise product, matmul) of two
// jets viewed as [3, ...]: returns the stacked [3, ...] jet of f(a, b).
template <class F>
torch::Tensor bilinear(const torch::Tensor& a, const torch::Tensor& b, F f) {
  return torch::stack({f(a[0], b[0]), f(a[1], b[0]) + f(a[0], b[1]), f(a[2], b[0]) + 2.0 * f(a[1], b[1]) + f(a[0], b[2])});
}

// Softmax over dim d of one order, for a jet viewed as [3, ...]: returns [3, ...].
torch::Tensor softmax_jet(const torch::Tensor& o, std::int64_t d) {
  auto x1 = o[1], x2 = o[2];
  auto s = torch::softmax(o[0], d);
  auto c1 = x1 - (s * x1).sum(d, true);
  auto y1 = s * c1;
  auto y2 = y1 * c1 + s * (x2 - (y1 * x1).sum(d, true) - (s * x2).sum(d, true));
  return torch::stack({s, y1, y2});
}

// (x - mean) / sqrt(var + eps) of a jet x viewed as [3, ...], the statistics (mean, biased
// variance) over `red`, dims of one order's tensor: returns the stacked [3, ...] jet.
torch::Tensor normalize_jet(const torch::Tensor& x, const std::vector<std::int64_t>& red, double eps) {
  std::vector<std::int64_t> red_all;
  for (auto d : red) red_all.push_back(d < 0 ? d : d + 1);
  auto c = x - x.mean(red_all, true);
  auto c0 = c[0], c1 = c[1], c2 = c[2];
  auto v0 = (c0 * c0).mean(red, true);
  auto v1 = 2.0 * (c0 * c1).mean(red, true);
  auto v2 = 2.0 * (c1 * c1 + c0 * c2).mean(red, true);
  auto s0 = (v0 + eps).rsqrt();
  auto s0_3 = s0 * s0 * s0;
  auto s1 = -0.5 * s0_3 * v1;
  auto s2 = 0.75 * s0_3 * s0 * s0 * v1 * v1 - 0.5 * s0_3 * v2;
  return torch::stack({c0 * s0, c1 * s0 + c0 * s1, c2 * s0 + 2.0 * c1 * s1 + c0 * s2});
}

torch::Tensor param(torch::nn::Module* m, const char* name) {
  if (!m) return {};
  auto p = m->named_parameters(false);
  if (auto* t = p.find(name)) return *t;
  return {};
}

torch::Tensor buffer(torch::nn::Module* m, const char* name) {
  if (!m) return {};
  auto b = m->named_buffers(false);
  if (auto* t = b.find(name)) return *t;
  return {};
}

torch::Tensor batchnorm(const Node& n, torch::nn::Module* m, const torch::Tensor& j) {
  const auto& a = n.as<spaces::BatchNormAttr>();
  const auto w = param(m, "weight"), b = param(m, "bias");
  const auto rm = buffer(m, "running_mean"), rv = buffer(m, "running_var");
  const bool batch_stats = (m && m->is_training()) || !a.track_running_stats || !rm.defined() || !rv.defined();
  const auto C = j.size(1);
  torch::Tensor y;
  if (!batch_stats) {
    auto scale = (rv + a.eps).rsqrt();
    if (w.defined()) scale = scale * w;
    y = j * scale.view({1, C, 1, 1});
    const auto rows = j.size(0) / 3;
    y.narrow(0, 0, rows).sub_((rm * scale).view({1, C, 1, 1}));
    add_bias_order0(y, &b);
    return y;
  }
  const auto fold = n.fold, H = j.size(2), W = j.size(3);
  const auto points = j.size(0) / 3 / fold;
  if (fold * H * W == 1)
    throw Error("jet batchnorm " + n.name, "expected more than 1 value per channel when training (one point, 1x1 map)");
  // [3, points, fold, C, H, W]; statistics per (point, channel) over fold, H, W.
  y = normalize_jet(j.reshape({3, points, fold, C, H, W}), {1, 3, 4}, a.eps).view(j.sizes());
  if (w.defined()) y = y * w.view({1, C, 1, 1});
  add_bias_order0(y, &b);
  return y;
}

torch::Tensor max_pool(const Node& n, const torch::Tensor& j) {
  const auto& a = n.as<spaces::PoolAttr>();
  auto o = orders(j);
  auto [y0, idx] = torch::max_pool2d_with_indices(o[0], a.kernel, a.stride, a.padding, 1, a.ceil_mode);
  const auto B = o.size(1), C = o.size(2);
  auto flat = o.reshape({3, B, C, -1});
  auto i = idx.reshape({1, B, C, -1}).expand({3, B, C, idx.size(2) * idx.size(3)});
  return flat.gather(3, i).reshape({3 * B, C, idx.size(2), idx.size(3)});
}

// Elementwise f by the chain rule, from f(x0), f'(x0), f''(x0).
torch::Tensor smooth(const torch::Tensor& j, const torch::Tensor& f0, const torch::Tensor& f1, const torch::Tensor& f2) {
  auto o = orders(j);
  auto x1 = o[1], x2 = o[2];
  return torch::stack({f0, f1 * x1, f1 * x2 + f2 * x1 * x1}).view(j.sizes());
}

torch::Tensor gelu(const Node& n, const torch::Tensor& j) {
  const auto* a = std::get_if<spaces::GeluAttr>(&n.attr);
  const auto x = orders(j)[0];
  if (a && a->tanh) {
    const double c = std::sqrt(2.0 / M_PI), k = 0.044715;
    auto t = torch::tanh(c * (x + k * x * x * x));
    auto sech2 = 1.0 - t * t;
    auto du = c * (1.0 + 3.0 * k * x * x), ddu = 6.0 * c * k * x;
    return smooth(j, torch::gelu(x, "tanh"), 0.5 * (1.0 + t) + 0.5 * x * sech2 * du,
                  sech2 * du + 0.5 * x * sech2 * (ddu - 2.0 * t * du * du));
  }
  auto phi = torch::exp(-0.5 * x * x) * (1.0 / std::sqrt(2.0 * M_PI));
  auto cdf = 0.5 * (1.0 + torch::erf(x * M_SQRT1_2));
  return smooth(j, torch::gelu(x), cdf + x * phi, phi * (2.0 - x * x));
}

torch::Tensor layer_norm(const Node& n, torch::nn::Module* m, const torch::Tensor& j) {
  auto y = normalize_jet(orders(j), {-1}, n.as<spaces::LayerNormAttr>().eps);
  if (const auto w = param(m, "weight"); w.defined()) y = y * w;
  y = y.view(j.sizes());
  add_order0(y, param(m, "bias"));
  return y;
}

// The executor's attention (spaces/src/executor.cpp) on stacked jets q, k, v [3N, T, A].
torch::Tensor attention(const Node& n, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const auto& a = n.as<spaces::AttentionAttr>();
  const auto rows = q.size(0), t = q.size(1), h = a.heads;
  // [3N, T, A] -> [3, N, H, T, A/H]
  auto heads = [&](const torch::Tensor& z) {
    return orders(z.reshape({rows, z.size(1), h, z.size(2) / h}).transpose(1, 2));
  };
  const auto dh = q.size(2) / h;
  const double scale = a.scale > 0 ? a.scale : 1.0 / std::sqrt(static_cast<double>(dh));
  auto s = bilinear(heads(q), heads(k), [](const torch::Tensor& x, const torch::Tensor& y) {
             return torch::matmul(x, y.transpose(-1, -2));
           }) * scale;  // [3, N, H, T, T]
  if (a.causal) {
    auto future = torch::ones({t, t}, torch::TensorOptions().dtype(torch::kBool).device(q.device())).triu(1);
    s = torch::stack({s[0].masked_fill(future, -std::numeric_limits<double>::infinity()), s[1].masked_fill(future, 0.0),
                      s[2].masked_fill(future, 0.0)});
  }
  auto p = softmax_jet(s, -1);
  auto o = bilinear(p, heads(v), [](const torch::Tensor& x, const torch::Tensor& y) { return torch::matmul(x, y); });
  return o.reshape({rows, h, t, -1}).transpose(1, 2).reshape({rows, t, v.size(2)});
}

}  // namespace

NodeId unsupported_node(const spaces::NetGraph& g) {
  const auto live = g.live_nodes();
  for (NodeId id = 0; id < static_cast<NodeId>(g.size()); ++id)
    if (live[id] && !has_rule(g.node(id).op)) return id;
  return -1;
}

Jet2 forward(spaces::TorchNet& net, const Jet2& input) {
  const auto& g = net->graph();
  if (const auto bad = unsupported_node(g); bad >= 0)
    throw Error("jet: node " + g.node(bad).name, "op " + std::string(spaces::op_name(g.node(bad).op)) + " has no jet rule",
                "use the autograd curvature");
  const auto& x = input.value;
  if (!x.defined() || !input.d1.defined() || !input.d2.defined() || x.sizes() != input.d1.sizes() ||
      x.sizes() != input.d2.sizes())
    throw Error("jet input", "value, first and second derivative must be defined and of one shape");
  const auto& in_shape = g.input_shape();
  if (x.dim() != static_cast<std::int64_t>(in_shape.size()) + 1)
    throw Error("jet input", "expected [points, " + spaces::shape_str(in_shape) + "], got " + std::to_string(x.dim()) + " dims");
  for (std::size_t d = 0; d < in_shape.size(); ++d)
    if (x.size(static_cast<std::int64_t>(d + 1)) != in_shape[d])
      throw Error("jet input", "expected per-sample shape " + spaces::shape_str(in_shape) + ", dimension " +
                                   std::to_string(d) + " is " + std::to_string(x.size(static_cast<std::int64_t>(d + 1))));
  torch::NoGradGuard no_grad;
  const auto points = x.size(0);
  const auto live = g.live_nodes();
  const auto& nodes = g.nodes();
  std::vector<torch::Tensor> v(nodes.size());
  for (NodeId id = 0; id < static_cast<NodeId>(nodes.size()); ++id) {
    if (!live[id]) continue;
    const Node& n = nodes[id];
    auto in = [&](std::size_t k) -> const torch::Tensor& { return v[n.inputs[k]]; };
    auto* m = net->node_module(id);
    // Linear per-sample ops: the stacked jet (orders along the batch dimension) goes
    // through the executor's own expression.
    torch::Tensor out = spaces::per_sample_linear(n, in);
    if (!out.defined()) switch (n.op) {
      case OpKind::Input: out = torch::cat({input.value, input.d1, input.d2}); break;
      case OpKind::Conv2d: {
        const auto& a = n.as<spaces::Conv2dAttr>();
        out = torch::conv2d(in(0), param(m, "weight"), {}, a.stride, a.padding, a.dilation, a.groups);
        const auto b = param(m, "bias");
        add_bias_order0(out, &b);
        break;
      }
      case OpKind::ConvTranspose2d: {
        const auto& a = n.as<spaces::Conv2dAttr>();
        out = torch::conv_transpose2d(in(0), param(m, "weight"), {}, a.stride, a.padding, a.output_padding, a.groups,
                                      a.dilation);
        const auto b = param(m, "bias");
        add_bias_order0(out, &b);
        break;
      }
      case OpKind::Linear:  // on the last dim of any rank: its bias broadcasts by trailing dims
        out = torch::linear(in(0), param(m, "weight"));
        add_order0(out, param(m, "bias"));
        break;
      case OpKind::PatchEmbed:
        out = torch::conv2d(in(0), param(m, "weight"), {}, n.as<spaces::PatchEmbedAttr>().patch).flatten(2).transpose(1, 2);
        add_order0(out, param(m, "bias"));
        break;
      case OpKind::ClsToken: {
        const auto& x = in(0);
        const auto rows = x.size(0) / 3;
        auto token = torch::cat({param(m, "weight").expand({rows, 1, x.size(2)}), torch::zeros({2 * rows, 1, x.size(2)}, x.options())});
        out = torch::cat({token, x}, 1);
        break;
      }
      case OpKind::PositionalEmbedding:
        out = in(0).clone();
        add_order0(out, spaces::positional_table(n, param(m, "weight"), in(0)));
        break;
      case OpKind::LayerNorm: out = layer_norm(n, m, in(0)); break;
      case OpKind::GELU: out = gelu(n, in(0)); break;
      case OpKind::Attention: out = attention(n, in(0), in(1), in(2)); break;
      case OpKind::BatchNorm2d: out = net->batchnorm_bypass() ? in(0) : batchnorm(n, m, in(0)); break;
      case OpKind::ReLU: {
        auto o = orders(in(0));
        out = (o * (o[0] > 0).to(o.scalar_type())).view(in(0).sizes());
        break;
      }
      case OpKind::LeakyReLU: {
        auto o = orders(in(0));
        const double slope = n.as<spaces::LeakyReLUAttr>().negative_slope;
        auto f = torch::where(o[0] > 0, torch::ones({}, o.options()), torch::full({}, slope, o.options()));
        out = (o * f).view(in(0).sizes());
        break;
      }
      case OpKind::Sigmoid: {
        auto s = torch::sigmoid(orders(in(0))[0]);
        out = smooth(in(0), s, s * (1.0 - s), s * (1.0 - s) * (1.0 - 2.0 * s));
        break;
      }
      case OpKind::Tanh: {
        auto t = torch::tanh(orders(in(0))[0]);
        out = smooth(in(0), t, 1.0 - t * t, -2.0 * t * (1.0 - t * t));
        break;
      }
      case OpKind::Clip: {
        const auto& a = n.as<spaces::ClipAttr>();
        auto o = orders(in(0));
        auto mask = ((o[0] >= a.lo) & (o[0] <= a.hi)).to(o.scalar_type());
        out = torch::stack({torch::clamp(o[0], a.lo, a.hi), o[1] * mask, o[2] * mask}).view(in(0).sizes());
        break;
      }
      case OpKind::HardSigmoid: {
        auto o = orders(in(0));
        out = torch::stack({torch::hardsigmoid(o[0]), torch::hardsigmoid_backward(o[1], o[0]),
                            torch::hardsigmoid_backward(o[2], o[0])})
                  .view(in(0).sizes());
        break;
      }
      case OpKind::HardSwish: {
        auto o = orders(in(0));
        auto inside = ((o[0] > -3.0) & (o[0] < 3.0)).to(o.scalar_type());
        out = torch::stack({torch::hardswish(o[0]), torch::hardswish_backward(o[1], o[0]),
                            torch::hardswish_backward(o[2], o[0]) + inside * o[1] * o[1] / 3.0})
                  .view(in(0).sizes());
        break;
      }
      case OpKind::Mul: {
        auto y = bilinear(orders(in(0)), orders(in(1)), [](const torch::Tensor& a, const torch::Tensor& b) { return a * b; });
        auto shape = y.sizes().vec();
        shape[1] *= 3;
        out = y.reshape(std::vector<std::int64_t>(shape.begin() + 1, shape.end()));
        break;
      }
      case OpKind::Softmax:  // over axis + 1 of one order's [B, ...]
        out = softmax_jet(orders(in(0)), n.as<spaces::SoftmaxAttr>().axis + 1).view(in(0).sizes());
        break;
      case OpKind::MaxPool2d: out = max_pool(n, in(0)); break;
      default:  // unreachable: unsupported_node() checked every live op above
        throw Error("jet: node " + n.name, "op " + std::string(spaces::op_name(n.op)) + " has no jet rule");
    }
    // Safety net against an attribute a rule does not know about: the jet of a
    // node has the node's per-sample shape and 3 x points x fold rows.
    bool ok = out.dim() == static_cast<std::int64_t>(n.shape.size()) + 1 && out.size(0) == 3 * points * n.fold;
    for (std::size_t d = 0; ok && d < n.shape.size(); ++d) ok = out.size(static_cast<std::int64_t>(d + 1)) == n.shape[d];
    if (!ok)
      throw Error("jet: node " + n.name, "jet rule gave shape " + std::to_string(out.dim()) + "-d " +
                                          c10::str(out.sizes()) + ", expected per-sample " + spaces::shape_str(n.shape),
                  "the jet rule for op " + std::string(spaces::op_name(n.op)) + " needs updating");
    v[id] = std::move(out);
  }
  auto o = orders(v[g.output()]);
  return {o[0], o[1], o[2]};
}

}  // namespace zcnas::proxies::jet
