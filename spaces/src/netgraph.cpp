#include "zcnas/spaces/netgraph.hpp"

#include <sstream>
#include <unordered_set>

#include "zcnas/common/error.hpp"

namespace zcnas::spaces {

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(s[i]);  // (one append at a time: GCC 12 -Wstringop-overflow false positive otherwise)
  }
  return out + "]";
}

std::string_view op_name(OpKind k) {
  switch (k) {
    case OpKind::Input: return "input";
    case OpKind::Conv2d: return "conv2d";
    case OpKind::BatchNorm2d: return "batchnorm2d";
    case OpKind::ReLU: return "relu";
    case OpKind::AvgPool2d: return "avgpool2d";
    case OpKind::MaxPool2d: return "maxpool2d";
    case OpKind::GlobalAvgPool: return "global_avgpool";
    case OpKind::Zero: return "zero";
    case OpKind::Identity: return "identity";
    case OpKind::Add: return "add";
    case OpKind::Concat: return "concat";
    case OpKind::Linear: return "linear";
    case OpKind::Flatten: return "flatten";
    case OpKind::Pad2d: return "pad2d";
    case OpKind::Slice2d: return "slice2d";
    case OpKind::Upsample2d: return "upsample2d";
    case OpKind::ConvTranspose2d: return "conv_transpose2d";
    case OpKind::Sigmoid: return "sigmoid";
    case OpKind::Tanh: return "tanh";
    case OpKind::LeakyReLU: return "leaky_relu";
    case OpKind::FoldTiles: return "fold_tiles";
    case OpKind::UnfoldTiles: return "unfold_tiles";
    case OpKind::Mul: return "mul";
    case OpKind::HardSwish: return "hardswish";
    case OpKind::HardSigmoid: return "hardsigmoid";
    case OpKind::Clip: return "clip";
    case OpKind::Softmax: return "softmax";
    case OpKind::Embedding: return "embedding";
    case OpKind::AdaptiveEmbedding: return "adaptive_embedding";
    case OpKind::PositionalEmbedding: return "positional_embedding";
    case OpKind::PatchEmbed: return "patch_embed";
    case OpKind::ClsToken: return "cls_token";
    case OpKind::LayerNorm: return "layernorm";
    case OpKind::GELU: return "gelu";
    case OpKind::Attention: return "attention";
    case OpKind::LinearTransform: return "linear_transform";
    case OpKind::Conv1d: return "conv1d";
    case OpKind::DynamicConv: return "dynamic_conv";
    case OpKind::SelectToken: return "select_token";
    case OpKind::MeanTokens: return "mean_tokens";
    case OpKind::ChannelShuffle: return "channel_shuffle";
    case OpKind::ChannelSlice: return "channel_slice";
  }
  return "?";
}

std::vector<std::int64_t> adaptive_cutoffs(std::int64_t n_token, std::vector<std::int64_t> cutoffs) {
  if (cutoffs.empty()) cutoffs = {19997, 39997, 199997};
  std::vector<std::int64_t> out;
  for (auto c : cutoffs) {
    if (c >= n_token) break;
    out.push_back(c);
  }
  out.push_back(n_token);
  return out;
}

bool Node::has_params() const {
  switch (op) {
    case OpKind::Conv2d:
    case OpKind::ConvTranspose2d:
    case OpKind::Linear:
    case OpKind::Embedding:
    case OpKind::AdaptiveEmbedding:
    case OpKind::PatchEmbed:
    case OpKind::ClsToken:
    case OpKind::Conv1d:
      return true;
    case OpKind::BatchNorm2d:
      return as<BatchNormAttr>().affine;
    case OpKind::LayerNorm:
      return as<LayerNormAttr>().affine;
    case OpKind::PositionalEmbedding:
      return as<PositionalEmbeddingAttr>().kind != PositionalKind::Sinusoidal;
    default:
      return false;
  }
}

bool Node::is_embedding() const {
  switch (op) {
    case OpKind::Embedding:
    case OpKind::AdaptiveEmbedding:
      return true;
    case OpKind::PositionalEmbedding:
      return as<PositionalEmbeddingAttr>().kind != PositionalKind::Sinusoidal;
    default:
      return false;
  }
}

namespace {

[[noreturn]] void fail(const std::string& node, const std::string& problem) {
  throw Error("graph node '" + node + "'", problem);
}

const Shape& need_image(const std::string& name, const Shape& s) {
  if (s.size() != 3) fail(name, "expects a {C,H,W} input, got " + shape_str(s));
  return s;
}
const Shape& need_seq(const std::string& name, const Shape& s) {
  if (s.size() != 2) fail(name, "expects a {T,D} sequence, got " + shape_str(s));
  return s;
}
const Shape& need_tokens(const std::string& name, const Shape& s) {
  if (s.size() != 1) fail(name, "expects {T} token ids, got " + shape_str(s));
  return s;
}

std::int64_t conv_out(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p, std::int64_t d) {
  return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

// torch's pooling_output_shape (aten/src/ATen/native/Pool.h): with ceil_mode the size is
// rounded up, but the last window must start inside the input or its left padding.
std::int64_t pool_out(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p, bool ceil_mode) {
  const std::int64_t span = in + 2 * p - (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
  std::int64_t out = (span < 0 ? span - s + 1 : span) / s + 1;  // floor division
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

template <class T>
const T& attr_as(const std::string& name, OpKind op, const Attr& a) {
  if (!std::holds_alternative<T>(a)) fail(name, std::string("wrong attribute type for op ") + std::string(op_name(op)));
  return std::get<T>(a);
}

Shape infer(OpKind op, const std::vector<const Shape*>& in, const Attr& attr, const std::string& name) {
  auto arity = [&](std::size_t n) {
    if (in.size() != n)
      fail(name, std::string(op_name(op)) + " takes " + std::to_string(n) + " input(s), got " + std::to_string(in.size()));
  };
  auto no_attr = [&] {
    if (!std::holds_alternative<NoAttr>(attr)) fail(name, std::string(op_name(op)) + " takes no attributes");
  };
  switch (op) {
    case OpKind::Input:
      fail(name, "input nodes are created with NetGraph::input()");
    case OpKind::Conv2d: {
      arity(1);
      const auto& s = need_image(name, *in[0]);
      const auto& a = attr_as<Conv2dAttr>(name, op, attr);
      if (a.out_channels <= 0 || a.kernel <= 0 || a.stride <= 0 || a.dilation <= 0 || a.groups <= 0 || a.padding < 0)
        fail(name, "invalid conv attributes");
      if (s[0] % a.groups || a.out_channels % a.groups)
        fail(name, "channels " + std::to_string(s[0]) + "->" + std::to_string(a.out_channels) +
                       " not divisible by groups " + std::to_string(a.groups));
      Shape o{a.out_channels, conv_out(s[1], a.kernel, a.stride, a.padding, a.dilation),
              conv_out(s[2], a.kernel, a.stride, a.padding, a.dilation)};
      if (o[1] <= 0 || o[2] <= 0) fail(name, "kernel larger than input " + shape_str(s));
      return o;
    }
    case OpKind::ConvTranspose2d: {
      arity(1);
      const auto& s = need_image(name, *in[0]);
      const auto& a = attr_as<Conv2dAttr>(name, op, attr);
      if (a.out_channels <= 0 || a.kernel <= 0 || a.stride <= 0 || a.groups <= 0) fail(name, "invalid conv attributes");
      if (s[0] % a.groups || a.out_channels % a.groups) fail(name, "channels not divisible by groups");
      auto o = [&](std::int64_t x) {
        return (x - 1) * a.stride - 2 * a.padding + a.dilation * (a.kernel - 1) + a.output_padding + 1;
      };
      return Shape{a.out_channels, o(s[1]), o(s[2])};
    }
    case OpKind::BatchNorm2d:
      arity(1);
      attr_as<BatchNormAttr>(name, op, attr);
      need_image(name, *in[0]);
      return *in[0];
    case OpKind::Zero: {
      arity(1);
      if (std::holds_alternative<NoAttr>(attr)) return *in[0];
      const auto& a = attr_as<ZeroAttr>(name, op, attr);
      const auto& s = need_image(name, *in[0]);
      if (a.out_channels < 0 || a.stride <= 0) fail(name, "invalid zero attributes");
      return Shape{a.out_channels ? a.out_channels : s[0], (s[1] + a.stride - 1) / a.stride, (s[2] + a.stride - 1) / a.stride};
    }
    case OpKind::LeakyReLU:
      arity(1);
      attr_as<LeakyReLUAttr>(name, op, attr);
      return *in[0];
    case OpKind::FoldTiles: {
      arity(1);
      const auto& s = need_image(name, *in[0]);
      const auto& a = attr_as<TileAttr>(name, op, attr);
      if (a.tiles <= 0 || s[0] % a.tiles)
        fail(name, "cannot split " + std::to_string(s[0]) + " channels into " + std::to_string(a.tiles) + " tiles");
      return Shape{s[0] / a.tiles, s[1], s[2]};
    }
    case OpKind::UnfoldTiles: {
      arity(1);
      const auto& s = need_image(name, *in[0]);
      const auto& a = attr_as<TileAttr>(name, op, attr);
      if (a.tiles <= 0) fail(name, "tiles must be positive");
      return Shape{s[0] * a.tiles, s[1], s[2]};
    }
    case OpKind::ReLU:
    case OpKind::Identity:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
      arity(1);
      no_attr();
      return *in[0];
    case OpKind::AvgPool2d:
    case OpKind::MaxPool2d: {
      arity(1);
      const auto& s = need_image(name, *in[0]);
      const auto& a = attr_as<PoolAttr>(name, op, attr);
      if (a.kernel <= 0 || a.stride <= 0 || a.padding < 0 || 2 * a.padding > a.kernel)
        fail(name, "invalid pool attributes");
      Shape o{s[0], pool_out(s[1], a.kernel, a.stride, a.padding, a.ceil_mode),
              pool_out(s[2], a.kernel, a.stride, a.padding, a.ceil_mode)};
      if (o[1] <= 0 || o[2] <= 0) fail(name, "pool window larger than input " + shape_str(s));
      return o;
    }
    case OpKind::GlobalAvgPool: {
      arity(1);
      const auto c = need_image(name, *in[0])[0];
      if (std::holds_alternative<NoAttr>(attr)) return Shape{c};
      return attr_as<GlobalPoolAttr>(name, op, attr).keepdims ? Shape{c, 1, 1} : Shape{c};
    }
    case OpKind::Mul: {
      arity(2);
      no_attr();
      const Shape& a = *in[0];
      const Shape& b = *in[1];
      if (a.size() != b.size())
        fail(name, "mul of shapes of different rank " + shape_str(a) + " and " + shape_str(b));
      Shape o = a;
      for (std::size_t d = 0; d < a.size(); ++d) {
        if (a[d] != b[d] && a[d] != 1 && b[d] != 1)
          fail(name, "mul of shapes " + shape_str(a) + " and " + shape_str(b) + " that do not broadcast");
        o[d] = a[d] == 1 ? b[d] : a[d];
      }
      return o;
    }
    case OpKind::HardSwish:
    case OpKind::HardSigmoid:
      arity(1);
      no_attr();
      return *in[0];
    case OpKind::Clip: {
      arity(1);
      const auto& a = attr_as<ClipAttr>(name, op, attr);
      if (!(a.lo <= a.hi)) fail(name, "clip bounds must satisfy lo <= hi");
      return *in[0];
    }
    case OpKind::Softmax: {
      arity(1);
      const auto& a = attr_as<SoftmaxAttr>(name, op, attr);
      if (a.axis < 0 || a.axis >= static_cast<std::int64_t>(in[0]->size()))
        fail(name, "softmax axis " + std::to_string(a.axis) + " out of range for " + shape_str(*in[0]));
      return *in[0];
    }
    case OpKind::Embedding:
    case OpKind::AdaptiveEmbedding: {
      arity(1);
      need_tokens(name, *in[0]);
      if (op == OpKind::Embedding) {
        const auto& a = attr_as<EmbeddingAttr>(name, op, attr);
        if (a.num_embeddings <= 0 || a.dim <= 0) fail(name, "embedding needs num_embeddings > 0 and dim > 0");
        return Shape{(*in[0])[0], a.dim};
      }
      const auto& a = attr_as<AdaptiveEmbeddingAttr>(name, op, attr);
      if (a.n_token <= 0 || a.d_embed <= 0 || a.d_proj <= 0 || a.div_val <= 0)
        fail(name, "adaptive embedding needs n_token, d_embed, d_proj, div_val > 0");
      if (a.cutoffs.empty() || a.cutoffs.back() != a.n_token)
        fail(name, "adaptive embedding cutoffs must end with n_token (" + std::to_string(a.n_token) + "; see adaptive_cutoffs())");
      std::int64_t prev = 0, div = 1;
      for (std::size_t i = 0; i < a.cutoffs.size(); ++i) {
        if (a.cutoffs[i] <= prev) fail(name, "adaptive embedding cutoffs must be positive and increasing");
        prev = a.cutoffs[i];
        if (a.div_val > 1 && a.d_embed / div < 1)
          fail(name, "cluster " + std::to_string(i) + " has d_embed / div_val^i = 0 dims");
        if (i + 1 < a.cutoffs.size()) div *= a.div_val;
      }
      return Shape{(*in[0])[0], a.d_proj};
    }
    case OpKind::PositionalEmbedding: {
      arity(1);
      const auto& s = need_seq(name, *in[0]);
      const auto& a = attr_as<PositionalEmbeddingAttr>(name, op, attr);
      if (a.kind != PositionalKind::Sinusoidal && a.rows <= 0) fail(name, "positional embedding needs rows > 0");
      if (a.kind == PositionalKind::Learned && s[0] > a.rows)
        fail(name, "sequence length " + std::to_string(s[0]) + " exceeds the " + std::to_string(a.rows) + " positions");
      return s;
    }
    case OpKind::PatchEmbed: {
      arity(1);
      const auto& s = need_image(name, *in[0]);
      const auto& a = attr_as<PatchEmbedAttr>(name, op, attr);
      if (a.patch <= 0 || a.dim <= 0) fail(name, "patch embed needs patch > 0 and dim > 0");
      if (s[1] < a.patch || s[2] < a.patch) fail(name, "patch " + std::to_string(a.patch) + " larger than input " + shape_str(s));
      return Shape{(s[1] / a.patch) * (s[2] / a.patch), a.dim};
    }
    case OpKind::ClsToken: {
      arity(1);
      const auto& s = need_seq(name, *in[0]);
      attr_as<ClsTokenAttr>(name, op, attr);
      return Shape{s[0] + 1, s[1]};
    }
    case OpKind::LayerNorm: {
      arity(1);
      const auto& a = attr_as<LayerNormAttr>(name, op, attr);
      if (in[0]->empty()) fail(name, "layernorm of a scalar");
      if (!(a.eps > 0)) fail(name, "layernorm eps must be positive");
      return *in[0];
    }
    case OpKind::GELU:
      arity(1);
      if (!std::holds_alternative<NoAttr>(attr)) attr_as<GeluAttr>(name, op, attr);
      return *in[0];
    case OpKind::Attention: {
      arity(3);
      const auto& a = attr_as<AttentionAttr>(name, op, attr);
      const auto& q = need_seq(name, *in[0]);
      const auto& k = need_seq(name, *in[1]);
      const auto& v = need_seq(name, *in[2]);
      if (a.heads <= 0 || a.scale < 0) fail(name, "attention needs heads > 0 and scale >= 0");
      if (q != k) fail(name, "attention query " + shape_str(q) + " and key " + shape_str(k) + " differ");
      if (v[0] != k[0]) fail(name, "attention keys " + shape_str(k) + " and values " + shape_str(v) + " differ in length");
      if (q[1] % a.heads || v[1] % a.heads)
        fail(name, "widths " + std::to_string(q[1]) + "/" + std::to_string(v[1]) + " not divisible by " + std::to_string(a.heads) + " heads");
      return v;
    }
    case OpKind::LinearTransform: {
      arity(1);
      const auto& s = need_seq(name, *in[0]);
      const auto& a = attr_as<LinearTransformAttr>(name, op, attr);
      if (a.heads <= 0 || s[1] % a.heads) fail(name, "width " + std::to_string(s[1]) + " not divisible by " + std::to_string(a.heads) + " heads");
      return s;
    }
    case OpKind::Conv1d: {
      arity(1);
      const auto& s = need_seq(name, *in[0]);
      const auto& a = attr_as<Conv1dAttr>(name, op, attr);
      if (a.out_channels <= 0 || a.kernel <= 0 || a.groups <= 0 || a.padding < 0) fail(name, "invalid conv1d attributes");
      if (s[1] % a.groups || a.out_channels % a.groups)
        fail(name, "channels " + std::to_string(s[1]) + "->" + std::to_string(a.out_channels) + " not divisible by groups " +
                       std::to_string(a.groups));
      const auto t = conv_out(s[0], a.kernel, 1, a.padding, 1);
      if (t <= 0) fail(name, "kernel larger than the sequence " + shape_str(s));
      return Shape{t, a.out_channels};
    }
    case OpKind::DynamicConv: {
      arity(2);
      const auto& v = need_seq(name, *in[0]);
      const auto& l = need_seq(name, *in[1]);
      const auto& a = attr_as<DynamicConvAttr>(name, op, attr);
      if (a.heads <= 0 || a.kernel <= 0 || a.kernel % 2 == 0) fail(name, "dynamic conv needs heads > 0 and an odd kernel");
      if (v[1] % a.heads) fail(name, "width " + std::to_string(v[1]) + " not divisible by " + std::to_string(a.heads) + " heads");
      if (l != Shape{v[0], a.heads * a.kernel})
        fail(name, "kernel logits " + shape_str(l) + " should be " + shape_str(Shape{v[0], a.heads * a.kernel}));
      return v;
    }
    case OpKind::SelectToken: {
      arity(1);
      const auto& s = need_seq(name, *in[0]);
      const auto& a = attr_as<SelectTokenAttr>(name, op, attr);
      if (a.index < 0 || a.index >= s[0]) fail(name, "token index " + std::to_string(a.index) + " outside " + shape_str(s));
      return Shape{s[1]};
    }
    case OpKind::MeanTokens: {
      arity(1);
      const auto& s = need_seq(name, *in[0]);
      if (!std::holds_alternative<NoAttr>(attr)) {
        const auto first = attr_as<MeanTokensAttr>(name, op, attr).first;
        if (first < 0 || first >= s[0])
          fail(name, "mean over tokens from " + std::to_string(first) + " of " + shape_str(s) + " averages no token");
      }
      return Shape{s[1]};
    }
    case OpKind::Add: {
      no_attr();
      if (in.empty()) fail(name, "add needs at least one input");
      for (auto* s : in)
        if (*s != *in[0]) fail(name, "add of mismatched shapes " + shape_str(*in[0]) + " and " + shape_str(*s));
      return *in[0];
    }
    case OpKind::Concat: {
      std::int64_t axis = 0;
      if (!std::holds_alternative<NoAttr>(attr)) axis = attr_as<ConcatAttr>(name, op, attr).axis;
      if (in.empty()) fail(name, "concat needs at least one input");
      Shape o = *in[0];
      if (axis < 0 || axis >= static_cast<std::int64_t>(o.size()))
        fail(name, "concat axis " + std::to_string(axis) + " out of range for " + shape_str(o));
      for (std::size_t i = 1; i < in.size(); ++i) {
        const Shape& s = *in[i];
        bool ok = s.size() == o.size();
        for (std::size_t d = 0; ok && d < s.size(); ++d) ok = static_cast<std::int64_t>(d) == axis || s[d] == o[d];
        if (!ok) fail(name, "concat of mismatched shapes " + shape_str(o) + " and " + shape_str(s));
        o[axis] += s[axis];
      }
      return o;
    }
    case OpKind::Linear: {
      arity(1);
      const auto& a = attr_as<LinearAttr>(name, op, attr);
      if (in[0]->empty()) fail(name, "linear of a scalar");
      if (a.out_features <= 0) fail(name, "linear needs out_features > 0");
      Shape o = *in[0];
      o.back() = a.out_features;
      return o;
    }
    case OpKind::Flatten: {
      arity(1);
      no_attr();
      std::int64_t n = 1;
      for (auto d : *in[0]) n *= d;
      return Shape{n};
    }
    case OpKind::Pad2d: {
      arity(1);
      const auto& s = need_image(name, *in[0]);
      const auto& a = attr_as<PadAttr>(name, op, attr);
      if (a.left < 0 || a.right < 0 || a.top < 0 || a.bottom < 0) fail(name, "negative padding");
      return Shape{s[0], s[1] + a.top + a.bottom, s[2] + a.left + a.right};
    }
    case OpKind::Slice2d: {
      arity(1);
      const auto& s = need_image(name, *in[0]);
      const auto& a = attr_as<SliceAttr>(name, op, attr);
      Shape o{s[0], s[1] - a.top - a.bottom, s[2] - a.left - a.right};
      if (a.left < 0 || a.right < 0 || a.top < 0 || a.bottom < 0 || o[1] <= 0 || o[2] <= 0)
        fail(name, "invalid crop of " + shape_str(s));
      return o;
    }
    case OpKind::Upsample2d: {
      arity(1);
      const auto& s = need_image(name, *in[0]);
      const auto& a = attr_as<UpsampleAttr>(name, op, attr);
      if (a.factor <= 0) fail(name, "upsample factor must be positive");
      return Shape{s[0], s[1] * a.factor, s[2] * a.factor};
    }
    case OpKind::ChannelShuffle: {
      arity(1);
      const auto& s = need_image(name, *in[0]);
      const auto& a = attr_as<ChannelShuffleAttr>(name, op, attr);
      if (a.groups <= 0 || s[0] % a.groups)
        fail(name, "cannot shuffle " + std::to_string(s[0]) + " channels in " + std::to_string(a.groups) + " groups");
      return s;
    }
    case OpKind::ChannelSlice: {
      arity(1);
      const auto& s = need_image(name, *in[0]);
      const auto& a = attr_as<ChannelSliceAttr>(name, op, attr);
      if (a.start < 0 || a.end <= a.start || a.end > s[0])
        fail(name, "channel slice [" + std::to_string(a.start) + ", " + std::to_string(a.end) + ") is not a non-empty range of " +
                       std::to_string(s[0]) + " channels");
      return Shape{a.end - a.start, s[1], s[2]};
    }
  }
  fail(name, "unknown op");
}

}  // namespace

NodeId NetGraph::add(OpKind op, std::vector<NodeId> inputs, Attr attr, std::string name) {
  if (nodes_.empty()) fail(name, "the first node of a graph must be its input");
  std::vector<const Shape*> shapes;
  for (NodeId i : inputs) {
    if (i < 0 || i >= static_cast<NodeId>(nodes_.size()))
      fail(name, "input id " + std::to_string(i) + " does not exist");
    shapes.push_back(&nodes_[i].shape);
  }
  const bool embeds = op == OpKind::Embedding || op == OpKind::AdaptiveEmbedding;
  for (NodeId i : inputs) {
    const bool ids = nodes_[i].op == OpKind::Input && std::holds_alternative<InputAttr>(nodes_[i].attr) &&
                     std::get<InputAttr>(nodes_[i].attr).tokens;
    if (ids != embeds)
      fail(name, ids ? std::string(op_name(op)) + " cannot read int64 token ids (only embedding ops can)"
                     : std::string(op_name(op)) + " reads token ids: its input must be the token input");
  }
  Shape s = infer(op, shapes, attr, name);
  // Batch folding: every input must come from the same fold level (a tile tower may
  // not be added to an unfolded tensor); FoldTiles/UnfoldTiles move between levels.
  std::int64_t fold = inputs.empty() ? 1 : nodes_[inputs[0]].fold;
  for (NodeId i : inputs)
    if (nodes_[i].fold != fold)
      fail(name, "inputs '" + nodes_[inputs[0]].name + "' and '" + nodes_[i].name + "' differ in tile folding (" +
                     std::to_string(fold) + " vs " + std::to_string(nodes_[i].fold) + ")");
  if (op == OpKind::FoldTiles) fold *= std::get<TileAttr>(attr).tiles;
  if (op == OpKind::UnfoldTiles) {
    const auto t = std::get<TileAttr>(attr).tiles;
    if (fold % t) fail(name, "unfolds " + std::to_string(t) + " tiles but the input is folded " + std::to_string(fold) + "-fold");
    fold /= t;
  }
  Node n;
  n.op = op;
  n.name = std::move(name);
  n.inputs = std::move(inputs);
  n.attr = std::move(attr);
  n.shape = std::move(s);
  n.fold = fold;
  nodes_.push_back(std::move(n));
  return static_cast<NodeId>(nodes_.size() - 1);
}

NodeId NetGraph::input(Shape shape, std::string name) {
  if (!nodes_.empty()) fail(name, "a graph has exactly one input, created first");
  for (auto d : shape)
    if (d <= 0) fail(name, "input shape " + shape_str(shape) + " has a non-positive dimension");
  Node n;
  n.op = OpKind::Input;
  n.name = std::move(name);
  n.shape = std::move(shape);
  nodes_.push_back(std::move(n));
  return 0;
}

NodeId NetGraph::token_input(std::int64_t seq_len, std::string name) {
  input(Shape{seq_len}, std::move(name));
  nodes_[0].attr = InputAttr{true};
  return 0;
}

bool NetGraph::has_token_input() const {
  return !nodes_.empty() && std::holds_alternative<InputAttr>(nodes_[0].attr) && std::get<InputAttr>(nodes_[0].attr).tokens;
}

NodeId NetGraph::conv2d(NodeId x, Conv2dAttr a, std::string name) { return add(OpKind::Conv2d, {x}, a, std::move(name)); }
NodeId NetGraph::conv_transpose2d(NodeId x, Conv2dAttr a, std::string name) {
  return add(OpKind::ConvTranspose2d, {x}, a, std::move(name));
}
NodeId NetGraph::batchnorm(NodeId x, BatchNormAttr a, std::string name) {
  return add(OpKind::BatchNorm2d, {x}, a, std::move(name));
}
NodeId NetGraph::relu(NodeId x, std::string name) { return add(OpKind::ReLU, {x}, NoAttr{}, std::move(name)); }
NodeId NetGraph::avg_pool(NodeId x, PoolAttr a, std::string name) { return add(OpKind::AvgPool2d, {x}, a, std::move(name)); }
NodeId NetGraph::max_pool(NodeId x, PoolAttr a, std::string name) { return add(OpKind::MaxPool2d, {x}, a, std::move(name)); }
NodeId NetGraph::global_avg_pool(NodeId x, std::string name) {
  return add(OpKind::GlobalAvgPool, {x}, NoAttr{}, std::move(name));
}
NodeId NetGraph::zero(NodeId x, std::string name) { return add(OpKind::Zero, {x}, NoAttr{}, std::move(name)); }
NodeId NetGraph::identity(NodeId x, std::string name) { return add(OpKind::Identity, {x}, NoAttr{}, std::move(name)); }
NodeId NetGraph::add_n(std::vector<NodeId> xs, std::string name) { return add(OpKind::Add, std::move(xs), NoAttr{}, std::move(name)); }
NodeId NetGraph::concat(std::vector<NodeId> xs, std::string name) {
  return add(OpKind::Concat, std::move(xs), NoAttr{}, std::move(name));
}
NodeId NetGraph::linear(NodeId x, LinearAttr a, std::string name) { return add(OpKind::Linear, {x}, a, std::move(name)); }
NodeId NetGraph::flatten(NodeId x, std::string name) { return add(OpKind::Flatten, {x}, NoAttr{}, std::move(name)); }
NodeId NetGraph::pad2d(NodeId x, PadAttr a, std::string name) { return add(OpKind::Pad2d, {x}, a, std::move(name)); }
NodeId NetGraph::slice2d(NodeId x, SliceAttr a, std::string name) { return add(OpKind::Slice2d, {x}, a, std::move(name)); }
NodeId NetGraph::upsample2d(NodeId x, UpsampleAttr a, std::string name) {
  return add(OpKind::Upsample2d, {x}, a, std::move(name));
}
NodeId NetGraph::sigmoid(NodeId x, std::string name) { return add(OpKind::Sigmoid, {x}, NoAttr{}, std::move(name)); }
NodeId NetGraph::tanh(NodeId x, std::string name) { return add(OpKind::Tanh, {x}, NoAttr{}, std::move(name)); }
NodeId NetGraph::leaky_relu(NodeId x, LeakyReLUAttr a, std::string name) {
  return add(OpKind::LeakyReLU, {x}, a, std::move(name));
}
NodeId NetGraph::zero(NodeId x, ZeroAttr a, std::string name) { return add(OpKind::Zero, {x}, a, std::move(name)); }
NodeId NetGraph::fold_tiles(NodeId x, TileAttr a, std::string name) {
  return add(OpKind::FoldTiles, {x}, a, std::move(name));
}
NodeId NetGraph::unfold_tiles(NodeId x, TileAttr a, std::string name) {
  return add(OpKind::UnfoldTiles, {x}, a, std::move(name));
}
NodeId NetGraph::mul(NodeId a, NodeId b, std::string name) { return add(OpKind::Mul, {a, b}, NoAttr{}, std::move(name)); }
NodeId NetGraph::hardswish(NodeId x, std::string name) { return add(OpKind::HardSwish, {x}, NoAttr{}, std::move(name)); }
NodeId NetGraph::hardsigmoid(NodeId x, std::string name) {
  return add(OpKind::HardSigmoid, {x}, NoAttr{}, std::move(name));
}
NodeId NetGraph::clip(NodeId x, ClipAttr a, std::string name) { return add(OpKind::Clip, {x}, a, std::move(name)); }
NodeId NetGraph::softmax(NodeId x, SoftmaxAttr a, std::string name) { return add(OpKind::Softmax, {x}, a, std::move(name)); }

NodeId NetGraph::concat(std::vector<NodeId> xs, ConcatAttr a, std::string name) {
  return add(OpKind::Concat, std::move(xs), a, std::move(name));
}
NodeId NetGraph::embedding(NodeId ids, EmbeddingAttr a, std::string name) {
  return add(OpKind::Embedding, {ids}, a, std::move(name));
}
NodeId NetGraph::adaptive_embedding(NodeId ids, AdaptiveEmbeddingAttr a, std::string name) {
  return add(OpKind::AdaptiveEmbedding, {ids}, std::move(a), std::move(name));
}
NodeId NetGraph::positional_embedding(NodeId x, PositionalEmbeddingAttr a, std::string name) {
  return add(OpKind::PositionalEmbedding, {x}, a, std::move(name));
}
NodeId NetGraph::patch_embed(NodeId x, PatchEmbedAttr a, std::string name) {
  return add(OpKind::PatchEmbed, {x}, a, std::move(name));
}
NodeId NetGraph::cls_token(NodeId x, std::string name) { return add(OpKind::ClsToken, {x}, ClsTokenAttr{}, std::move(name)); }
NodeId NetGraph::layer_norm(NodeId x, LayerNormAttr a, std::string name) {
  return add(OpKind::LayerNorm, {x}, a, std::move(name));
}
NodeId NetGraph::gelu(NodeId x, std::string name, GeluAttr a) { return add(OpKind::GELU, {x}, a, std::move(name)); }
NodeId NetGraph::attention(NodeId q, NodeId k, NodeId v, AttentionAttr a, std::string name) {
  return add(OpKind::Attention, {q, k, v}, a, std::move(name));
}
NodeId NetGraph::linear_transform(NodeId x, LinearTransformAttr a, std::string name) {
  return add(OpKind::LinearTransform, {x}, a, std::move(name));
}
NodeId NetGraph::conv1d(NodeId x, Conv1dAttr a, std::string name) { return add(OpKind::Conv1d, {x}, a, std::move(name)); }
NodeId NetGraph::dynamic_conv(NodeId values, NodeId kernel_logits, DynamicConvAttr a, std::string name) {
  return add(OpKind::DynamicConv, {values, kernel_logits}, a, std::move(name));
}
NodeId NetGraph::select_token(NodeId x, SelectTokenAttr a, std::string name) {
  return add(OpKind::SelectToken, {x}, a, std::move(name));
}
NodeId NetGraph::mean_tokens(NodeId x, std::string name, MeanTokensAttr a) {
  return add(OpKind::MeanTokens, {x}, a.first == 0 ? Attr{NoAttr{}} : Attr{a}, std::move(name));
}

NodeId NetGraph::channel_shuffle(NodeId x, ChannelShuffleAttr a, std::string name) {
  return add(OpKind::ChannelShuffle, {x}, a, std::move(name));
}
NodeId NetGraph::channel_slice(NodeId x, ChannelSliceAttr a, std::string name) {
  return add(OpKind::ChannelSlice, {x}, a, std::move(name));
}

void NetGraph::set_output(NodeId id) {
  if (id < 0 || id >= static_cast<NodeId>(nodes_.size())) fail("output", "node id does not exist");
  output_ = id;
}

NodeId NetGraph::output() const {
  if (output_ < 0) throw Error("graph", "no output node set");
  return output_;
}

const Node& NetGraph::node(NodeId id) const {
  if (id < 0 || id >= static_cast<NodeId>(nodes_.size())) throw Error("graph", "node id " + std::to_string(id) + " out of range");
  return nodes_[id];
}

const Shape& NetGraph::input_shape() const {
  if (nodes_.empty()) throw Error("graph", "empty graph");
  return nodes_[0].shape;
}

std::vector<bool> NetGraph::live_nodes() const {
  std::vector<bool> live(nodes_.size(), false);
  if (output_ < 0) return live;
  live[output_] = true;
  for (NodeId i = output_; i >= 0; --i)
    if (live[i])
      for (NodeId j : nodes_[i].inputs) live[j] = true;
  return live;
}

std::string NetGraph::to_text() const {
  std::ostringstream os;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    os << i << ' ' << op_name(n.op) << ' ' << n.name << " in=[";
    for (std::size_t k = 0; k < n.inputs.size(); ++k) os << (k ? "," : "") << n.inputs[k];
    os << "] out=" << shape_str(n.shape);
    std::visit(
        [&](const auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, Conv2dAttr>)
            os << " k=" << a.kernel << " s=" << a.stride << " p=" << a.padding << " d=" << a.dilation << " g=" << a.groups
               << " bias=" << a.bias << (a.output_padding ? " op=" + std::to_string(a.output_padding) : std::string());
          else if constexpr (std::is_same_v<T, BatchNormAttr>)
            os << " affine=" << a.affine << " track=" << a.track_running_stats;
          else if constexpr (std::is_same_v<T, PoolAttr>)
            os << " k=" << a.kernel << " s=" << a.stride << " p=" << a.padding << " cip=" << a.count_include_pad
               << (a.ceil_mode ? " ceil=1" : "");
          else if constexpr (std::is_same_v<T, LinearAttr>)
            os << " bias=" << a.bias;
          else if constexpr (std::is_same_v<T, PadAttr> || std::is_same_v<T, SliceAttr>)
            os << " l=" << a.left << " r=" << a.right << " t=" << a.top << " b=" << a.bottom;
          else if constexpr (std::is_same_v<T, UpsampleAttr>)
            os << " f=" << a.factor;
          else if constexpr (std::is_same_v<T, LeakyReLUAttr>)
            os << " slope=" << a.negative_slope;
          else if constexpr (std::is_same_v<T, ZeroAttr>)
            os << " c=" << a.out_channels << " s=" << a.stride;
          else if constexpr (std::is_same_v<T, TileAttr>)
            os << " tiles=" << a.tiles;
          else if constexpr (std::is_same_v<T, GlobalPoolAttr>)
            os << " keepdims=" << a.keepdims << (a.functional ? " functional" : "");
          else if constexpr (std::is_same_v<T, ClipAttr>)
            os << " lo=" << a.lo << " hi=" << a.hi;
          else if constexpr (std::is_same_v<T, SoftmaxAttr>)
            os << " axis=" << a.axis;
          else if constexpr (std::is_same_v<T, InputAttr>)
            os << (a.tokens ? " tokens" : "");
          else if constexpr (std::is_same_v<T, ConcatAttr>)
            os << " axis=" << a.axis;
          else if constexpr (std::is_same_v<T, EmbeddingAttr>)
            os << " n=" << a.num_embeddings;
          else if constexpr (std::is_same_v<T, AdaptiveEmbeddingAttr>) {
            os << " n=" << a.n_token << " d_embed=" << a.d_embed << " div=" << a.div_val << " cutoffs=" << shape_str(a.cutoffs);
          } else if constexpr (std::is_same_v<T, PositionalEmbeddingAttr>)
            os << " rows=" << a.rows << " kind="
               << (a.kind == PositionalKind::Learned ? "learned" : a.kind == PositionalKind::Sinusoidal ? "sinusoidal" : "row0");
          else if constexpr (std::is_same_v<T, PatchEmbedAttr>)
            os << " patch=" << a.patch << " bias=" << a.bias;
          else if constexpr (std::is_same_v<T, LayerNormAttr>)
            os << " eps=" << a.eps << " affine=" << a.affine;
          else if constexpr (std::is_same_v<T, GeluAttr>)
            os << (a.tanh ? " tanh" : "");
          else if constexpr (std::is_same_v<T, AttentionAttr>)
            os << " heads=" << a.heads << " causal=" << a.causal << (a.scale > 0 ? " scale=" + std::to_string(a.scale) : std::string());
          else if constexpr (std::is_same_v<T, LinearTransformAttr>)
            os << (a.kind == TransformKind::DFT ? " dft" : " dct") << " heads=" << a.heads;
          else if constexpr (std::is_same_v<T, Conv1dAttr>)
            os << " k=" << a.kernel << " p=" << a.padding << " g=" << a.groups << " bias=" << a.bias;
          else if constexpr (std::is_same_v<T, DynamicConvAttr>)
            os << " heads=" << a.heads << " k=" << a.kernel;
          else if constexpr (std::is_same_v<T, SelectTokenAttr>)
            os << " index=" << a.index;
          else if constexpr (std::is_same_v<T, MeanTokensAttr>)
            os << " first=" << a.first;
          else if constexpr (std::is_same_v<T, ChannelShuffleAttr>)
            os << " groups=" << a.groups;
          else if constexpr (std::is_same_v<T, ChannelSliceAttr>)
            os << " start=" << a.start << " end=" << a.end;
        },
        n.attr);
    if (n.fold != 1) os << " fold=" << n.fold;
    os << '\n';
  }
  os << "output " << output_ << '\n';
  return os.str();
}

}  // namespace zcnas::spaces
