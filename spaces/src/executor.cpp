#include "zcnas/spaces/executor.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "transformer_tables.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/gelu.hpp"

namespace zcnas::spaces {
namespace {

// A plain container so nested names ("cells.3.conv") become nested modules.
struct Container : torch::nn::Module {
  using torch::nn::Module::register_buffer;
  using torch::nn::Module::register_module;
  using torch::nn::Module::register_parameter;
};

torch::Tensor transform_matrix(std::int64_t n, int which, const torch::TensorOptions& o) {
  return detail::transform_matrix(n, which).to(o);
}
torch::Tensor sinusoid_table(std::int64_t t, std::int64_t d, const torch::TensorOptions& o) {
  return detail::sinusoid_table(t, d).to(o);
}

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
  // A node's "weight" (and a "bias" of `bias` elements, none when 0) as raw parameters, left
  // for reset_parameters() to fill: torch::nn modules would first fill them from the global
  // torch generator (a lock shared by every worker thread) only to be overwritten.
  auto own = [&](NodeId id, const std::vector<std::int64_t>& weight, std::int64_t bias) {
    auto holder = std::make_shared<Container>();
    typed_[id].weight = holder->register_parameter("weight", torch::empty(weight));
    if (bias > 0) typed_[id].bias = holder->register_parameter("bias", torch::empty({bias}));
    attach(id, holder);
    return holder;
  };

  for (NodeId id = 0; id < static_cast<NodeId>(graph_.size()); ++id) {
    const Node& n = graph_.node(id);
    switch (n.op) {
      case OpKind::Conv2d: {
        const auto& a = n.as<Conv2dAttr>();
        const auto in_c = graph_.node(n.inputs[0]).shape[0];
        own(id, {a.out_channels, in_c / a.groups, a.kernel, a.kernel}, a.bias ? a.out_channels : 0);
        weighted_.push_back(id);
        break;
      }
      case OpKind::ConvTranspose2d: {
        const auto& a = n.as<Conv2dAttr>();
        const auto in_c = graph_.node(n.inputs[0]).shape[0];
        own(id, {in_c, a.out_channels / a.groups, a.kernel, a.kernel}, a.bias ? a.out_channels : 0);
        weighted_.push_back(id);
        break;
      }
      case OpKind::Linear: {
        const auto& a = n.as<LinearAttr>();
        own(id, {a.out_features, graph_.node(n.inputs[0]).shape.back()}, a.bias ? a.out_features : 0);
        weighted_.push_back(id);
        break;
      }
      case OpKind::BatchNorm2d: {  // nn.BatchNorm2d's parameters and buffers, in its order
        const auto& a = n.as<BatchNormAttr>();
        const auto c = n.shape[0];
        auto holder = a.affine ? own(id, {c}, c) : std::make_shared<Container>();
        if (a.track_running_stats) {
          typed_[id].running_mean = holder->register_buffer("running_mean", torch::zeros({c}));
          typed_[id].running_var = holder->register_buffer("running_var", torch::ones({c}));
          typed_[id].batches = holder->register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
        }
        if (!a.affine) attach(id, holder);
        break;
      }
      case OpKind::Conv1d: {
        const auto& a = n.as<Conv1dAttr>();
        const auto in_c = graph_.node(n.inputs[0]).shape.back();
        own(id, {a.out_channels, in_c / a.groups, a.kernel}, a.bias ? a.out_channels : 0);
        weighted_.push_back(id);
        break;
      }
      case OpKind::PatchEmbed: {
        const auto& a = n.as<PatchEmbedAttr>();
        own(id, {a.dim, graph_.node(n.inputs[0]).shape[0], a.patch, a.patch}, a.bias ? a.dim : 0);
        weighted_.push_back(id);
        break;
      }
      case OpKind::Embedding: {
        const auto& a = n.as<EmbeddingAttr>();
        own(id, {a.num_embeddings, a.dim}, 0);
        break;
      }
      case OpKind::AdaptiveEmbedding: {
        // archai's module layout: emb_layers.<i> (nn.Embedding), emb_projs.<i> ({d_proj, d_i}).
        const auto& a = n.as<AdaptiveEmbeddingAttr>();
        auto holder = std::make_shared<Container>();
        auto layers = std::make_shared<Container>();
        auto projs = std::make_shared<Container>();
        holder->register_module("emb_layers", layers);
        holder->register_module("emb_projs", projs);
        auto& t = typed_[id];
        auto table = [&](const std::string& name, std::int64_t rows, std::int64_t dim) {
          auto c = std::make_shared<Container>();
          t.tables.push_back(c->register_parameter("weight", torch::empty({rows, dim})));
          layers->register_module(name, c);
        };
        if (a.div_val == 1) {
          table("0", a.n_token, a.d_embed);
          t.projs.push_back(a.d_proj != a.d_embed ? projs->register_parameter("0", torch::empty({a.d_proj, a.d_embed}))
                                                  : torch::Tensor());
        } else {
          std::int64_t lo = 0, div = 1;
          for (std::size_t i = 0; i < a.cutoffs.size(); ++i) {
            const auto d = a.d_embed / div;
            table(std::to_string(i), a.cutoffs[i] - lo, d);
            t.projs.push_back(projs->register_parameter(std::to_string(i), torch::empty({a.d_proj, d})));
            lo = a.cutoffs[i];
            div *= a.div_val;
          }
        }
        attach(id, holder);
        break;
      }
      case OpKind::PositionalEmbedding:
      case OpKind::ClsToken: {
        if (!n.has_params()) break;  // sinusoidal
        auto holder = std::make_shared<Container>();
        const auto d = n.shape.back();
        typed_[id].param = holder->register_parameter(
            "weight", n.op == OpKind::ClsToken ? torch::empty({1, 1, d}) : torch::empty({n.as<PositionalEmbeddingAttr>().rows, d}));
        attach(id, holder);
        break;
      }
      case OpKind::LayerNorm:
        if (n.as<LayerNormAttr>().affine) own(id, {n.shape.back()}, n.shape.back());
        break;
      default:
        break;
    }
  }
  reset_parameters(seed);
}

std::vector<std::string> TorchNetImpl::embedding_parameter_names() const {
  std::vector<std::string> names;
  for (NodeId id = 0; id < static_cast<NodeId>(graph_.size()); ++id) {
    const Node& n = graph_.node(id);
    if (!n.is_embedding() || !node_modules_[id]) continue;
    for (const auto& p : node_modules_[id]->named_parameters(true)) names.push_back(n.name + "." + p.key());
  }
  return names;
}

std::int64_t TorchNetImpl::nonembedding_numel() const {
  const auto emb = embedding_parameter_names();
  const std::set<std::string> skip(emb.begin(), emb.end());
  std::int64_t total = 0;
  for (const auto& p : named_parameters(true))
    if (!skip.count(p.key())) total += p.value().numel();
  return total;
}

torch::Tensor TorchNetImpl::node_weight(NodeId id) const {
  // typed_ holds the registered "weight" of every node that has one (the same tensor).
  return typed_.at(id).weight;
}

void TorchNetImpl::reset_parameters(std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (NodeId id = 0; id < static_cast<NodeId>(graph_.size()); ++id) {
    auto* m = node_modules_[id].get();
    if (!m) continue;
    const Node& n = graph_.node(id);
    auto params = m->named_parameters(false);
    auto normal = [&](torch::Tensor& t) {  // nn.Embedding's N(0, 1)
      if (t.device().is_cpu() && t.is_contiguous())
        t.normal_(0.0, 1.0, gen);
      else
        t.copy_(torch::empty(t.sizes(), t.options().device(torch::kCPU)).normal_(0.0, 1.0, gen));
    };
    auto uniform = [&](torch::Tensor& t, double bound) {
      if (t.device().is_cpu() && t.is_contiguous())
        t.uniform_(-bound, bound, gen);
      else
        t.copy_(torch::empty(t.sizes(), t.options().device(torch::kCPU)).uniform_(-bound, bound, gen));
    };
    // Tables and learned tokens: N(0, 1) as nn.Embedding (our choice for the raw positional /
    // cls parameters, which have no PyTorch default); adaptive-embedding projections
    // U(+-1/sqrt(d_i)) as an nn.Linear(d_i, d_proj) weight (archai zero-fills them and leaves the
    // init to the training script; zeros would make every output 0); LayerNorm weight 1, bias 0.
    if (n.op == OpKind::Embedding || n.op == OpKind::PositionalEmbedding || n.op == OpKind::ClsToken) {
      normal(*params.find("weight"));
      continue;
    }
    if (n.op == OpKind::AdaptiveEmbedding) {
      for (auto& t : typed_[id].tables) normal(t);
      for (auto& p : typed_[id].projs)
        if (p.defined()) uniform(p, 1.0 / std::sqrt(static_cast<double>(p.size(1))));
      continue;
    }
    if (n.op == OpKind::LayerNorm) {
      if (auto* w = params.find("weight")) w->fill_(1.0);
      if (auto* b = params.find("bias")) b->zero_();
      continue;
    }
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
    auto fill = [&](torch::Tensor& t) { uniform(t, bound); };
    fill(*w);
    if (auto* b = params.find("bias")) fill(*b);
  }
}

torch::Tensor positional_table(const Node& n, const torch::Tensor& weight, const torch::Tensor& x) {
  const auto& a = n.as<PositionalEmbeddingAttr>();
  const auto len = x.size(1);
  if (a.kind == PositionalKind::Learned) return weight.slice(0, 0, len);
  if (a.kind == PositionalKind::Row0) return weight[0];
  return sinusoid_table(len, x.size(2), x.options());
}

torch::Tensor per_sample_linear(const Node& n, const std::function<const torch::Tensor&(std::size_t)>& in) {
  switch (n.op) {
    case OpKind::Identity: return in(0);
    case OpKind::Add: {
      torch::Tensor out = in(0);
      for (std::size_t k = 1; k < n.inputs.size(); ++k) out = out + in(k);
      return out;
    }
    case OpKind::Concat: {
      std::vector<torch::Tensor> xs;
      for (std::size_t k = 0; k < n.inputs.size(); ++k) xs.push_back(in(k));
      const auto* a = std::get_if<ConcatAttr>(&n.attr);
      return torch::cat(xs, a ? a->axis + 1 : 1);
    }
    case OpKind::Flatten: return in(0).flatten(1);
    case OpKind::Pad2d: {
      const auto& a = n.as<PadAttr>();
      return torch::constant_pad_nd(in(0), {a.left, a.right, a.top, a.bottom}, 0.0);
    }
    case OpKind::Slice2d: {
      const auto& a = n.as<SliceAttr>();
      const auto h = in(0).size(2), w = in(0).size(3);
      return in(0).slice(2, a.top, h - a.bottom).slice(3, a.left, w - a.right);
    }
    case OpKind::Upsample2d: {
      const auto& a = n.as<UpsampleAttr>();
      return torch::upsample_nearest2d(in(0), {in(0).size(2) * a.factor, in(0).size(3) * a.factor});
    }
    case OpKind::FoldTiles: {
      const auto& x = in(0);
      return x.reshape({x.size(0) * n.as<TileAttr>().tiles, n.shape[0], n.shape[1], n.shape[2]});
    }
    case OpKind::UnfoldTiles: {
      const auto& x = in(0);
      return x.reshape({x.size(0) / n.as<TileAttr>().tiles, n.shape[0], n.shape[1], n.shape[2]});
    }
    case OpKind::ChannelShuffle: {  // torchvision shufflenetv2.channel_shuffle: view, transpose(1, 2), flatten
      const auto g = n.as<ChannelShuffleAttr>().groups;
      const auto& x = in(0);
      return x.reshape({x.size(0), g, x.size(1) / g, x.size(2), x.size(3)}).transpose(1, 2).reshape(x.sizes());
    }
    case OpKind::ChannelSlice: {
      const auto& a = n.as<ChannelSliceAttr>();
      return in(0).slice(1, a.start, a.end);
    }
    case OpKind::AvgPool2d: {
      const auto& a = n.as<PoolAttr>();
      return torch::avg_pool2d(in(0), a.kernel, a.stride, a.padding, a.ceil_mode, a.count_include_pad);
    }
    case OpKind::GlobalAvgPool: return in(0).mean({2, 3}, n.shape.size() == 3);
    case OpKind::SelectToken: return in(0).select(1, n.as<SelectTokenAttr>().index);
    case OpKind::MeanTokens:
      if (const auto* m = std::get_if<MeanTokensAttr>(&n.attr)) return in(0).slice(1, m->first).mean(1);
      return in(0).mean(1);
    case OpKind::Zero: {
      if (!std::holds_alternative<ZeroAttr>(n.attr)) return in(0).mul(0.0);
      // NAS-Bench-201 / TransNAS-Bench-101 Zero: strided slice * 0 when the channels
      // stay, else fresh zeros (outside the autograd graph, as x.new_zeros there).
      const auto& a = n.as<ZeroAttr>();
      const auto& x = in(0);
      if (n.shape[0] == x.size(1))
        return (a.stride == 1 ? x : x.slice(2, 0, x.size(2), a.stride).slice(3, 0, x.size(3), a.stride)).mul(0.0);
      return torch::zeros({x.size(0), n.shape[0], n.shape[1], n.shape[2]}, x.options());
    }
    default: return {};
  }
}

// nn.BatchNorm2d's forward (torch/nn/modules/batchnorm.h, functional/batchnorm.h in libtorch 1.13):
// count the batch when training with running statistics, normalise over the batch when
// training or when there are no running statistics, refuse one value per channel.
torch::Tensor TorchNetImpl::batchnorm(NodeId id, const Node& n, const torch::Tensor& x) {
  const auto& a = n.as<BatchNormAttr>();
  auto& t = typed_[id];
  const bool batch_stats = is_training() || !a.track_running_stats;
  if (is_training() && t.batches.defined()) {
    torch::NoGradGuard no_grad;
    t.batches += 1;
  }
  if (batch_stats && x.numel() / x.size(1) == 1)
    throw Error("batchnorm " + n.name, "expected more than 1 value per channel when training, got input " + c10::str(x.sizes()),
                "use a batch of more than one sample (or larger feature maps)");
  return torch::batch_norm(x, t.weight, t.bias, t.running_mean, t.running_var, batch_stats, a.momentum, a.eps,
                           at::globalContext().userEnabledCuDNN());
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
  torch::Tensor input = x;
  std::int64_t id_min = 0, id_max = -1;
  if (graph_.has_token_input()) {
    if (x.scalar_type() != torch::kLong && x.scalar_type() != torch::kInt)
      throw Error("network input", std::string("expected int64 token ids, got ") + std::string(c10::toString(x.scalar_type())));
    input = x.to(torch::kLong);
    if (input.numel()) {
      id_min = input.min().item<std::int64_t>();
      id_max = input.max().item<std::int64_t>();
    }
  } else if (!x.is_floating_point()) {
    throw Error("network input", "expected a floating-point tensor, got " + std::string(c10::toString(x.scalar_type())));
  }
  auto check_ids = [&](const Node& n, std::int64_t vocab) {
    if (id_max >= id_min && (id_min < 0 || id_max >= vocab))
      throw Error("network input", "token ids range over [" + std::to_string(id_min) + ", " + std::to_string(id_max) +
                                       "], outside the vocabulary of '" + n.name + "' (" + std::to_string(vocab) + " entries)");
  };
  std::vector<torch::Tensor> v(nodes.size());
  for (NodeId id = 0; id < static_cast<NodeId>(nodes.size()); ++id) {
    if (!live_[id]) continue;
    const Node& n = nodes[id];
    auto in = [&](std::size_t k) -> const torch::Tensor& { return v[n.inputs[k]]; };
    torch::Tensor out = per_sample_linear(n, in);
    if (!out.defined()) switch (n.op) {
      case OpKind::Input: out = input; break;
      case OpKind::Conv2d: {
        const auto& a = n.as<Conv2dAttr>();
        out = torch::conv2d(in(0), typed_[id].weight, typed_[id].bias, a.stride, a.padding, a.dilation, a.groups);
        break;
      }
      case OpKind::ConvTranspose2d: {
        const auto& a = n.as<Conv2dAttr>();
        out = torch::conv_transpose2d(in(0), typed_[id].weight, typed_[id].bias, a.stride, a.padding, a.output_padding,
                                      a.groups, a.dilation);
        break;
      }
      case OpKind::Linear: out = torch::linear(in(0), typed_[id].weight, typed_[id].bias); break;
      case OpKind::BatchNorm2d: out = bypass_bn_ ? in(0) : batchnorm(id, n, in(0)); break;
      case OpKind::ReLU: out = torch::relu(in(0)); break;
      case OpKind::Sigmoid: out = torch::sigmoid(in(0)); break;
      case OpKind::Tanh: out = torch::tanh(in(0)); break;
      case OpKind::MaxPool2d: {
        const auto& a = n.as<PoolAttr>();
        out = torch::max_pool2d(in(0), a.kernel, a.stride, a.padding, 1, a.ceil_mode);
        break;
      }
      case OpKind::Mul: out = in(0) * in(1); break;
      case OpKind::HardSwish: out = torch::hardswish(in(0)); break;
      case OpKind::HardSigmoid: out = torch::hardsigmoid(in(0)); break;
      case OpKind::Clip: out = torch::clamp(in(0), n.as<ClipAttr>().lo, n.as<ClipAttr>().hi); break;
      case OpKind::Softmax: out = torch::softmax(in(0), n.as<SoftmaxAttr>().axis + 1); break;
      case OpKind::LeakyReLU: out = torch::leaky_relu(in(0), n.as<LeakyReLUAttr>().negative_slope); break;
      case OpKind::Embedding:
        check_ids(n, n.as<EmbeddingAttr>().num_embeddings);
        out = torch::embedding(typed_[id].weight, in(0));
        break;
      case OpKind::AdaptiveEmbedding: {
        // archai's forward: each id looks up its cluster's table and projection; the masks make the
        // clusters' contributions disjoint, so their sum is archai's index_copy_ into zeros.
        const auto& a = n.as<AdaptiveEmbeddingAttr>();
        check_ids(n, a.n_token);
        auto& t = typed_[id];
        const auto& ids = in(0);
        if (a.div_val == 1) {
          out = torch::embedding(t.tables[0], ids);
          if (t.projs[0].defined()) out = torch::linear(out, t.projs[0]);
        } else {
          std::int64_t lo = 0;
          for (std::size_t i = 0; i < a.cutoffs.size(); ++i) {
            const auto hi = a.cutoffs[i];
            const auto mask = (ids >= lo).logical_and(ids < hi);
            const auto local = torch::where(mask, ids - lo, torch::zeros_like(ids));
            auto e = torch::linear(torch::embedding(t.tables[i], local), t.projs[i]) * mask.unsqueeze(-1).to(t.projs[i].scalar_type());
            out = i == 0 ? e : out + e;
            lo = hi;
          }
        }
        out = out * std::sqrt(static_cast<double>(a.d_proj));
        break;
      }
      case OpKind::PositionalEmbedding: out = in(0) + positional_table(n, typed_[id].param, in(0)); break;
      case OpKind::PatchEmbed: {
        const auto p = n.as<PatchEmbedAttr>().patch;
        out = torch::conv2d(in(0), typed_[id].weight, typed_[id].bias, p).flatten(2).transpose(1, 2);
        break;
      }
      case OpKind::ClsToken: {
        const auto& x = in(0);
        out = torch::cat({typed_[id].param.expand({x.size(0), 1, x.size(2)}), x}, 1);
        break;
      }
      case OpKind::LayerNorm:
        out = torch::layer_norm(in(0), {n.shape.back()}, typed_[id].weight, typed_[id].bias, n.as<LayerNormAttr>().eps);
        break;
      case OpKind::GELU: {
        const auto* a = std::get_if<GeluAttr>(&n.attr);
        // erf form through contiguous_grad_gelu: libtorch 1.13's oneDNN gelu_backward misreads a
        // non-contiguous gradient (gelu.hpp). Same forward; the same backward when it was contiguous.
        out = a && a->tanh ? torch::gelu(in(0), "tanh") : contiguous_grad_gelu(in(0));
        break;
      }
      case OpKind::Attention: {
        const auto& a = n.as<AttentionAttr>();
        const auto& q = in(0);
        const auto b = q.size(0), t = q.size(1), h = a.heads;
        auto heads = [&](const torch::Tensor& z) { return z.reshape({b, z.size(1), h, z.size(2) / h}).transpose(1, 2); };
        const auto dh = q.size(2) / h;
        const double scale = a.scale > 0 ? a.scale : 1.0 / std::sqrt(static_cast<double>(dh));
        auto scores = torch::matmul(heads(q), heads(in(1)).transpose(-1, -2)) * scale;  // [B, H, T, T]
        if (a.causal) {
          auto future = torch::ones({t, t}, torch::TensorOptions().dtype(torch::kBool).device(q.device())).triu(1);
          scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
        }
        const auto& vv = in(2);
        out = torch::matmul(torch::softmax(scores, -1), heads(vv)).transpose(1, 2).reshape({b, t, vv.size(2)});
        break;
      }
      case OpKind::LinearTransform: {
        const auto& a = n.as<LinearTransformAttr>();
        const auto& x = in(0);
        const auto b = x.size(0), t = x.size(1), w = x.size(2), dh = w / a.heads;
        auto xh = x.reshape({b, t, a.heads, dh}).transpose(1, 2);  // [B, H, T, dh]
        const auto o = x.options();
        if (a.kind == TransformKind::DFT) {
          out = torch::matmul(torch::matmul(transform_matrix(t, 0, o), xh), transform_matrix(dh, 0, o)) -
                torch::matmul(torch::matmul(transform_matrix(t, 1, o), xh), transform_matrix(dh, 1, o));
        } else {
          out = torch::matmul(torch::matmul(transform_matrix(t, 2, o), xh), transform_matrix(dh, 2, o).t());
        }
        out = out.transpose(1, 2).reshape({b, t, w});
        break;
      }
      case OpKind::Conv1d: {
        const auto& a = n.as<Conv1dAttr>();
        out = torch::conv1d(in(0).transpose(1, 2), typed_[id].weight, typed_[id].bias, 1, a.padding, 1, a.groups)
                  .transpose(1, 2);
        break;
      }
      case OpKind::DynamicConv: {
        const auto& a = n.as<DynamicConvAttr>();
        const auto& x = in(0);
        const auto b = x.size(0), t = x.size(1), w = x.size(2), k = a.kernel, pad = (a.kernel - 1) / 2;
        auto weights = torch::softmax(in(1).reshape({b, t, a.heads, 1, k}), -1);
        auto windows = torch::constant_pad_nd(x, {0, 0, pad, pad}, 0.0).unfold(1, k, 1);  // [B, T, W, k]
        out = (windows.reshape({b, t, a.heads, w / a.heads, k}) * weights).sum(-1).reshape({b, t, w});
        break;
      }
      case OpKind::Identity: case OpKind::Add: case OpKind::Concat: case OpKind::Flatten: case OpKind::Pad2d:
      case OpKind::Slice2d: case OpKind::Upsample2d: case OpKind::FoldTiles: case OpKind::UnfoldTiles:
      case OpKind::ChannelShuffle: case OpKind::ChannelSlice: case OpKind::AvgPool2d: case OpKind::GlobalAvgPool:
      case OpKind::Zero: case OpKind::SelectToken: case OpKind::MeanTokens:
        break;  // per_sample_linear() above
    }
    if (observe) observe(id, n, out);
    v[id] = std::move(out);
  }
  return v[graph_.output()];
}

}  // namespace zcnas::spaces
