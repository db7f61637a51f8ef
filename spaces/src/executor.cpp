#include "zcnas/spaces/executor.hpp"

#include <cmath>
#include <map>

#include "zcnas/common/error.hpp"

namespace zcnas::spaces {
namespace {

// A plain container so nested names ("cells.3.conv") become nested modules.
struct Container : torch::nn::Module {
  using torch::nn::Module::register_module;
};

std::vector<std::string> split_dots(const std::string& s) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : s) {
    if (c == '.') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  parts.push_back(cur);
  return parts;
}

}  // namespace

std::vector<std::int64_t> batched(const Shape& s, std::int64_t batch) {
  std::vector<std::int64_t> out{batch};
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

TorchNetImpl::TorchNetImpl(NetGraph graph, std::uint64_t seed) : graph_(std::move(graph)) {
  live_ = graph_.live_nodes();
  node_modules_.resize(graph_.size());
  typed_.resize(graph_.size());
  std::map<std::string, std::shared_ptr<Container>> containers;
  auto parent_for = [&](const std::vector<std::string>& path) -> torch::nn::Module& {
    torch::nn::Module* parent = this;
    std::string prefix;
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
      prefix += (i ? "." : "") + path[i];
      auto it = containers.find(prefix);
      if (it == containers.end()) {
        auto c = std::make_shared<Container>();
        if (parent == this)
          register_module(path[i], c);
        else
          static_cast<Container*>(parent)->register_module(path[i], c);
        it = containers.emplace(prefix, c).first;
      }
      parent = it->second.get();
    }
    return *parent;
  };
  auto attach = [&](NodeId id, std::shared_ptr<torch::nn::Module> m) {
    const Node& n = graph_.node(id);
    auto path = split_dots(n.name);
    torch::nn::Module& parent = parent_for(path);
    if (&parent == this)
      register_module(path.back(), m);
    else
      static_cast<Container&>(parent).register_module(path.back(), m);
    node_modules_[id] = std::move(m);
  };

  for (NodeId id = 0; id < static_cast<NodeId>(graph_.size()); ++id) {
    const Node& n = graph_.node(id);
    switch (n.op) {
      case OpKind::Conv2d: {
        const auto& a = n.as<Conv2dAttr>();
        const auto in_c = graph_.node(n.inputs[0]).shape[0];
        auto opts = torch::nn::Conv2dOptions(in_c, a.out_channels, a.kernel)
                        .stride(a.stride).padding(a.padding).dilation(a.dilation).groups(a.groups).bias(a.bias);
        typed_[id].conv = torch::nn::Conv2d(opts);
        attach(id, typed_[id].conv.ptr());
        weighted_.push_back(id);
        break;
      }
      case OpKind::ConvTranspose2d: {
        const auto& a = n.as<Conv2dAttr>();
        const auto in_c = graph_.node(n.inputs[0]).shape[0];
        auto opts = torch::nn::ConvTranspose2dOptions(in_c, a.out_channels, a.kernel)
                        .stride(a.stride).padding(a.padding).dilation(a.dilation).groups(a.groups).bias(a.bias)
                        .output_padding(a.output_padding);
        typed_[id].convt = torch::nn::ConvTranspose2d(opts);
        attach(id, typed_[id].convt.ptr());
        weighted_.push_back(id);
        break;
      }
      case OpKind::Linear: {
        const auto& a = n.as<LinearAttr>();
        const auto in_f = graph_.node(n.inputs[0]).shape.back();
        typed_[id].linear = torch::nn::Linear(torch::nn::LinearOptions(in_f, a.out_features).bias(a.bias));
        attach(id, typed_[id].linear.ptr());
        weighted_.push_back(id);
        break;
      }
      case OpKind::BatchNorm2d: {
        const auto& a = n.as<BatchNormAttr>();
        auto opts = torch::nn::BatchNorm2dOptions(n.shape[0]).affine(a.affine).track_running_stats(a.track_running_stats)
                        .eps(a.eps).momentum(a.momentum);
        typed_[id].bn = torch::nn::BatchNorm2d(opts);
        attach(id, typed_[id].bn.ptr());
        break;
      }
      default:
        break;
    }
  }
  reset_parameters(seed);
}

torch::Tensor TorchNetImpl::node_weight(NodeId id) const {
  auto* m = node_modules_.at(id).get();
  if (!m) return {};
  auto* w = m->named_parameters(false).find("weight");
  return w ? *w : torch::Tensor();
}

void TorchNetImpl::reset_parameters(std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (NodeId id = 0; id < static_cast<NodeId>(graph_.size()); ++id) {
    auto* m = node_modules_[id].get();
    if (!m) continue;
    const Node& n = graph_.node(id);
    auto params = m->named_parameters(false);
    if (n.op == OpKind::BatchNorm2d) {
      if (auto* w = params.find("weight")) w->fill_(1.0);
      if (auto* b = params.find("bias")) b->zero_();
      auto buffers = m->named_buffers(false);
      if (auto* rm = buffers.find("running_mean")) rm->zero_();
      if (auto* rv = buffers.find("running_var")) rv->fill_(1.0);
      if (auto* nb = buffers.find("num_batches_tracked")) nb->zero_();
      continue;
    }
    // fan_in as torch.nn.init._calculate_fan_in_and_fan_out computes it (dim 1 of the weight).
    auto* w = params.find("weight");
    const auto& ws = w->sizes();
    double fan_in = static_cast<double>(ws[1]);
    for (std::size_t d = 2; d < ws.size(); ++d) fan_in *= static_cast<double>(ws[d]);
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(fan_in) : 0.0;
    // The generator is a CPU one: fill CPU parameters in place (same values as filling a
    // fresh CPU tensor, without the temporary), others via a CPU tensor and a copy.
    auto fill = [&](torch::Tensor& t) {
      if (t.device().is_cpu() && t.is_contiguous())
        t.uniform_(-bound, bound, gen);
      else
        t.copy_(torch::empty(t.sizes(), t.options().device(torch::kCPU)).uniform_(-bound, bound, gen));
    };
    fill(*w);
    if (auto* b = params.find("bias")) fill(*b);
  }
}

torch::Tensor TorchNetImpl::forward(const torch::Tensor& x, const Observer& observe) {
  const auto& nodes = graph_.nodes();
  if (x.dim() != static_cast<int64_t>(graph_.input_shape().size()) + 1)
    throw Error("network input", "expected a batch of shape " + shape_str(graph_.input_shape()) + " with a batch dimension, got " +
                                     std::to_string(x.dim()) + " dims");
  for (std::size_t d = 0; d < graph_.input_shape().size(); ++d)
    if (x.size(static_cast<int64_t>(d + 1)) != graph_.input_shape()[d])
      throw Error("network input", "expected per-sample shape " + shape_str(graph_.input_shape()) + ", dimension " +
                                       std::to_string(d) + " is " + std::to_string(x.size(static_cast<int64_t>(d + 1))));
  std::vector<torch::Tensor> v(nodes.size());
  for (NodeId id = 0; id < static_cast<NodeId>(nodes.size()); ++id) {
    if (!live_[id]) continue;
    const Node& n = nodes[id];
    auto in = [&](std::size_t k) -> const torch::Tensor& { return v[n.inputs[k]]; };
    torch::Tensor out;
    switch (n.op) {
      case OpKind::Input: out = x; break;
      case OpKind::Conv2d: out = typed_[id].conv->forward(in(0)); break;
      case OpKind::ConvTranspose2d: out = typed_[id].convt->forward(in(0)); break;
      case OpKind::Linear: out = typed_[id].linear->forward(in(0)); break;
      case OpKind::BatchNorm2d: out = typed_[id].bn->forward(in(0)); break;
      case OpKind::ReLU: out = torch::relu(in(0)); break;
      case OpKind::Sigmoid: out = torch::sigmoid(in(0)); break;
      case OpKind::Tanh: out = torch::tanh(in(0)); break;
      case OpKind::AvgPool2d: {
        const auto& a = n.as<PoolAttr>();
        out = torch::avg_pool2d(in(0), a.kernel, a.stride, a.padding, a.ceil_mode, a.count_include_pad);
        break;
      }
      case OpKind::MaxPool2d: {
        const auto& a = n.as<PoolAttr>();
        out = torch::max_pool2d(in(0), a.kernel, a.stride, a.padding, 1, a.ceil_mode);
        break;
      }
      case OpKind::GlobalAvgPool: out = in(0).mean({2, 3}, n.shape.size() == 3); break;
      case OpKind::Mul: out = in(0) * in(1); break;
      case OpKind::HardSwish: out = torch::hardswish(in(0)); break;
      case OpKind::HardSigmoid: out = torch::hardsigmoid(in(0)); break;
      case OpKind::Clip: out = torch::clamp(in(0), n.as<ClipAttr>().lo, n.as<ClipAttr>().hi); break;
      case OpKind::Softmax: out = torch::softmax(in(0), n.as<SoftmaxAttr>().axis + 1); break;
      case OpKind::Zero: {
        if (!std::holds_alternative<ZeroAttr>(n.attr)) {
          out = in(0).mul(0.0);
          break;
        }
        // NAS-Bench-201 / TransNAS-Bench-101 Zero: strided slice * 0 when the channels
        // stay, else fresh zeros (outside the autograd graph, as x.new_zeros there).
        const auto& a = n.as<ZeroAttr>();
        const auto& x = in(0);
        if (n.shape[0] == x.size(1)) {
          out = (a.stride == 1 ? x : x.slice(2, 0, x.size(2), a.stride).slice(3, 0, x.size(3), a.stride)).mul(0.0);
        } else {
          out = torch::zeros({x.size(0), n.shape[0], n.shape[1], n.shape[2]}, x.options());
        }
        break;
      }
      case OpKind::LeakyReLU: out = torch::leaky_relu(in(0), n.as<LeakyReLUAttr>().negative_slope); break;
      case OpKind::FoldTiles: {
        const auto& x = in(0);
        out = x.reshape({x.size(0) * n.as<TileAttr>().tiles, n.shape[0], n.shape[1], n.shape[2]});
        break;
      }
      case OpKind::UnfoldTiles: {
        const auto& x = in(0);
        out = x.reshape({x.size(0) / n.as<TileAttr>().tiles, n.shape[0], n.shape[1], n.shape[2]});
        break;
      }
      case OpKind::Identity: out = in(0); break;
      case OpKind::Add: {
        out = in(0);
        for (std::size_t k = 1; k < n.inputs.size(); ++k) out = out + in(k);
        break;
      }
      case OpKind::Concat: {
        std::vector<torch::Tensor> xs;
        for (std::size_t k = 0; k < n.inputs.size(); ++k) xs.push_back(in(k));
        out = torch::cat(xs, 1);
        break;
      }
      case OpKind::Flatten: out = in(0).flatten(1); break;
      case OpKind::Pad2d: {
        const auto& a = n.as<PadAttr>();
        out = torch::constant_pad_nd(in(0), {a.left, a.right, a.top, a.bottom}, 0.0);
        break;
      }
      case OpKind::Slice2d: {
        const auto& a = n.as<SliceAttr>();
        const auto h = in(0).size(2), w = in(0).size(3);
        out = in(0).slice(2, a.top, h - a.bottom).slice(3, a.left, w - a.right);
        break;
      }
      case OpKind::Upsample2d: {
        const auto& a = n.as<UpsampleAttr>();
        out = torch::upsample_nearest2d(in(0), {in(0).size(2) * a.factor, in(0).size(3) * a.factor});
        break;
      }
    }
    if (observe) observe(id, n, out);
    v[id] = std::move(out);
  }
  return v[graph_.output()];
}

}  // namespace zcnas::spaces
