#pragma once
// NetGraph: the one network IR every candidate compiles to (see DESIGN.md).
//
// A DAG of typed nodes held in topological order (a node's inputs always have
// smaller ids). Shapes are per sample (no batch dimension): images are {C, H, W},
// flat features {F}. Every add_* call infers the output shape from the inputs and
// the attributes and throws zcnas::Error on a mismatch, so a graph that exists is
// a graph whose shapes are consistent. No torch here: the executor (executor.hpp)
// turns a NetGraph into a libtorch module; counting.hpp counts params and FLOPs.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace zcnas::spaces {

using NodeId = int;
using Shape = std::vector<std::int64_t>;
std::string shape_str(const Shape& s);

enum class OpKind {
  Input,
  Conv2d,
  BatchNorm2d,
  ReLU,
  AvgPool2d,
  MaxPool2d,
  GlobalAvgPool,  // {C,H,W} -> {C}
  Zero,           // output = 0 * input (kept in the autograd graph, as NAS-Bench-201 does)
  Identity,
  Add,            // sum of n >= 1 inputs of equal shape
  Concat,         // along the channel axis (axis 0 of the per-sample shape)
  Linear,
  Flatten,        // {C,H,W} -> {C*H*W}
  Pad2d,          // constant zero padding of H/W
  Slice2d,        // crop of H/W: rows [top, H-bottom), cols [left, W-right)
  Upsample2d,     // nearest-neighbour upsampling by an integer factor
  ConvTranspose2d,
  Sigmoid,
  Tanh,
  // Added with the NB201 / TransNAS-Bench-101 spaces (issue 4):
  LeakyReLU,      // LeakyReLUAttr
  FoldTiles,      // {n*C,H,W} per sample -> n samples of {C,H,W} (batch grows n-fold; shared-weight towers)
  UnfoldTiles,    // inverse: n consecutive samples of {C,H,W} -> one sample {n*C,H,W}, tile-major channels
  // Added with the ONNX reader (issue 8), for the CNN op set torchvision exports use:
  Mul,            // elementwise product of two inputs; per-sample shapes of equal rank, each dim equal or 1
                  // (broadcast), e.g. squeeze-excitation {C,H,W} * {C,1,1}
  HardSwish,      // x * relu6(x + 3) / 6 (torch.nn.Hardswish)
  HardSigmoid,    // relu6(x + 3) / 6 (torch.nn.Hardsigmoid; ONNX HardSigmoid alpha=1/6, beta=0.5)
  Clip,           // ClipAttr: min(max(x, lo), hi); ReLU6 = Clip(0, 6)
  Softmax,        // SoftmaxAttr: softmax over one per-sample axis
};
std::string_view op_name(OpKind k);

struct Conv2dAttr {
  std::int64_t out_channels = 0, kernel = 1, stride = 1, padding = 0, dilation = 1, groups = 1;
  bool bias = false;
  std::int64_t output_padding = 0;  // ConvTranspose2d only
};
struct BatchNormAttr {
  bool affine = true;
  bool track_running_stats = true;
  double eps = 1e-5, momentum = 0.1;
};
struct PoolAttr {
  std::int64_t kernel = 3, stride = 1, padding = 0;
  bool count_include_pad = false;  // AvgPool2d only
  bool ceil_mode = false;          // output size rounded up, as torch's ceil_mode (last window starts inside input+pad)
};
// GlobalAvgPool with keepdims: {C,H,W} -> {C,1,1} (ONNX GlobalAveragePool); without (NoAttr) -> {C}.
struct GlobalPoolAttr {
  bool keepdims = true;
  // The reference network takes the mean with a function (torch.mean), not a module: same
  // output, but NASLib's FLOP count (tensorwatch hooks modules) gives it 0 (NAS-Bench-101).
  bool functional = false;
};
struct ClipAttr {
  double lo = 0.0, hi = 6.0;
};
struct SoftmaxAttr {
  std::int64_t axis = 0;  // per-sample axis (0 = first dimension after the batch)
};
struct LinearAttr {
  std::int64_t out_features = 0;
  bool bias = true;
};
struct PadAttr {
  std::int64_t left = 0, right = 0, top = 0, bottom = 0;
};
struct SliceAttr {
  std::int64_t left = 0, right = 0, top = 0, bottom = 0;  // amounts removed from each side
};
struct UpsampleAttr {
  std::int64_t factor = 2;
};
struct LeakyReLUAttr {
  double negative_slope = 0.01;
};
// Zero with an attribute may change the shape, as NAS-Bench-201 / TransNAS-Bench-101's Zero
// op does on reduction edges: {C,H,W} -> {out_channels, (H+stride-1)/stride, (W+stride-1)/stride}
// (out_channels 0 = keep C). Same channels: x[:, :, ::s, ::s] * 0; else fresh zeros.
struct ZeroAttr {
  std::int64_t out_channels = 0, stride = 1;
};
struct TileAttr {
  std::int64_t tiles = 1;
};
struct NoAttr {};

using Attr = std::variant<NoAttr, Conv2dAttr, BatchNormAttr, PoolAttr, LinearAttr, PadAttr, SliceAttr, UpsampleAttr,
                          LeakyReLUAttr, ZeroAttr, TileAttr, GlobalPoolAttr, ClipAttr, SoftmaxAttr>;

struct Node {
  OpKind op = OpKind::Input;
  std::string name;           // unique, dotted path ("cells.3.edge_2_1.conv"); parameters are "<name>.weight"
  std::vector<NodeId> inputs;
  Attr attr;
  Shape shape;                // output shape per sample
  // How many rows of the executed batch one input sample has become at this node
  // (1 except between FoldTiles and UnfoldTiles, where it is the number of tiles).
  std::int64_t fold = 1;

  template <class T> const T& as() const { return std::get<T>(attr); }
  bool has_params() const;    // conv, linear, affine/tracking batchnorm
};

class NetGraph {
 public:
  // Generic builder: checks inputs exist and shapes agree; infers the output shape.
  NodeId add(OpKind op, std::vector<NodeId> inputs, Attr attr, std::string name);

  // Convenience builders (same checks).
  NodeId input(Shape shape, std::string name = "input");
  NodeId conv2d(NodeId x, Conv2dAttr a, std::string name);
  NodeId conv_transpose2d(NodeId x, Conv2dAttr a, std::string name);
  NodeId batchnorm(NodeId x, BatchNormAttr a, std::string name);
  NodeId relu(NodeId x, std::string name);
  NodeId avg_pool(NodeId x, PoolAttr a, std::string name);
  NodeId max_pool(NodeId x, PoolAttr a, std::string name);
  NodeId global_avg_pool(NodeId x, std::string name);
  NodeId zero(NodeId x, std::string name);
  NodeId identity(NodeId x, std::string name);
  NodeId add_n(std::vector<NodeId> xs, std::string name);
  NodeId concat(std::vector<NodeId> xs, std::string name);
  NodeId linear(NodeId x, LinearAttr a, std::string name);
  NodeId flatten(NodeId x, std::string name);
  NodeId pad2d(NodeId x, PadAttr a, std::string name);
  NodeId slice2d(NodeId x, SliceAttr a, std::string name);
  NodeId upsample2d(NodeId x, UpsampleAttr a, std::string name);
  NodeId sigmoid(NodeId x, std::string name);
  NodeId tanh(NodeId x, std::string name);
  NodeId leaky_relu(NodeId x, LeakyReLUAttr a, std::string name);
  NodeId zero(NodeId x, ZeroAttr a, std::string name);
  NodeId fold_tiles(NodeId x, TileAttr a, std::string name);
  NodeId unfold_tiles(NodeId x, TileAttr a, std::string name);
  NodeId mul(NodeId a, NodeId b, std::string name);
  NodeId hardswish(NodeId x, std::string name);
  NodeId hardsigmoid(NodeId x, std::string name);
  NodeId clip(NodeId x, ClipAttr a, std::string name);
  NodeId softmax(NodeId x, SoftmaxAttr a, std::string name);

  void set_output(NodeId id);
  NodeId output() const;                 // throws if unset
  NodeId input_id() const { return 0; }  // node 0 is always the input

  const std::vector<Node>& nodes() const { return nodes_; }
  const Node& node(NodeId id) const;
  std::size_t size() const { return nodes_.size(); }
  const Shape& input_shape() const;
  const Shape& output_shape() const { return node(output()).shape; }

  // Nodes that can reach the output (others are dead and skipped by the executor).
  std::vector<bool> live_nodes() const;

  // Deterministic, human-readable listing (one node a line), also the basis of
  // graph equality in tests.
  std::string to_text() const;

 private:
  std::vector<Node> nodes_;
  NodeId output_ = -1;
};

}  // namespace zcnas::spaces
