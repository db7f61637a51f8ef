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
  }
  return "?";
}

bool Node::has_params() const {
  switch (op) {
    case OpKind::Conv2d:
    case OpKind::ConvTranspose2d:
    case OpKind::Linear:
      return true;
    case OpKind::BatchNorm2d:
      return as<BatchNormAttr>().affine;
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
    case OpKind::Add: {
      no_attr();
      if (in.empty()) fail(name, "add needs at least one input");
      for (auto* s : in)
        if (*s != *in[0]) fail(name, "add of mismatched shapes " + shape_str(*in[0]) + " and " + shape_str(*s));
      return *in[0];
    }
    case OpKind::Concat: {
      no_attr();
      if (in.empty()) fail(name, "concat needs at least one input");
      Shape o = *in[0];
      for (std::size_t i = 1; i < in.size(); ++i) {
        const Shape& s = *in[i];
        if (s.size() != o.size() || !std::equal(s.begin() + 1, s.end(), o.begin() + 1))
          fail(name, "concat of mismatched shapes " + shape_str(o) + " and " + shape_str(s));
        o[0] += s[0];
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
        },
        n.attr);
    if (n.fold != 1) os << " fold=" << n.fold;
    os << '\n';
  }
  os << "output " << output_ << '\n';
  return os.str();
}

}  // namespace zcnas::spaces
