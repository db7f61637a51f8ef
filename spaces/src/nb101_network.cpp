// The NAS-Bench-101 network as the benchmark trained it, compiled to the IR.
//
// Structure (google-research/nasbench nasbench/lib/model_builder.py, build_model_fn /
// build_module / compute_vertex_channels / projection / truncate; the PyTorch port NASLib
// used for NAS-Bench-Suite-Zero's params/flops is naslib/search_spaces/nasbench101/model.py
// + base_ops.py, and our node names follow its state_dict):
//   stem      conv3x3(3 -> 128, pad 1, no bias) + BN + ReLU          "layers.0.conv_bn_relu.{0,1,2}"
//   stack 1   3 cells, 128 channels                                 "layers.1" .. "layers.3"
//   downsample MaxPool2d(2, stride 2), channels x2 for the next stack "layers.4", "layers.8"
//   stack 2   3 cells, 256;  stack 3   3 cells, 512
//   head      mean over H, W ("mean": torch.mean in the reference, a GlobalAvgPool marked
//             `functional`, so flops_naslib gives it 0 as tensorwatch does), linear 512 -> 10
// Cell with C_in inputs and C outputs, on the pruned matrix, vertex_channels vc:
//   vertex t = op_t( sum of truncate(vertex s, vc[t]) for interior s -> t
//                    + projection_t(input) when input -> t )
//   projection_t = conv1x1(C_in -> vc[t]) + BN + ReLU   "layers.L.input_op.t.conv_bn_relu.{0,1,2}"
//   op_t: conv3x3 / conv1x1 + BN + ReLU at vc[t]          "layers.L.vertex_op.t.conv3x3.conv_bn_relu.{0,1,2}"
//         max pool 3x3, stride 1, pad 1                    "layers.L.vertex_op.t.maxpool"
//   output = concat of the vertices feeding it (in order) [+ projection_out(input) when
//            input -> output]; a cell with only input -> output is projection_out(input).
// Every batchnorm is PyTorch's default BatchNorm2d (affine, eps 1e-5, momentum 0.1), as in
// NASLib's port (the TF original used momentum 0.997; momentum does not change params or
// FLOPs). All convs have no bias.
//
// Truncation without a channel-slice op: where a vertex with c+1 channels feeds one with
// c (the channel rule allows exactly this), the reference slices x[:, :c]. The IR has no
// channel slice, so such a producer is built as separate nodes per channel range -- its
// conv/BN/ReLU (or, for a max-pool vertex, its projection and pooling) split by output
// channels into [0, c) and [c, c+1) -- and consumers take the ranges they need (a Concat
// when they need several). Conv output channels, per-channel BN, ReLU and max pooling are
// independent per channel, so the function, the parameter count and the FLOP count are
// exactly the reference's; only the node names of a split op differ (suffix "_ch<lo>_<hi>").
#include <map>
#include <set>

#include "zcnas/common/error.hpp"
#include "zcnas/spaces/nb101.hpp"

namespace zcnas::spaces::nb101 {
namespace {

// Channels [lo, hi) of a vertex value held by one IR node.
struct Piece {
  NodeId id;
  std::int64_t lo, hi;
};
using Pieces = std::vector<Piece>;

NodeId conv_bn_relu(NetGraph& g, NodeId x, std::int64_t c_out, std::int64_t k, const std::string& p) {
  Conv2dAttr a;
  a.out_channels = c_out;
  a.kernel = k;
  a.padding = k / 2;
  const auto c = g.conv2d(x, a, p + ".0");
  const auto b = g.batchnorm(c, BatchNormAttr{}, p + ".1");
  return g.relu(b, p + ".2");
}

std::string range_suffix(std::int64_t lo, std::int64_t hi, bool split) {
  return split ? "_ch" + std::to_string(lo) + "_" + std::to_string(hi) : "";
}

class CellBuilder {
 public:
  CellBuilder(NetGraph& g, const Cell& cell, std::int64_t c_in, std::int64_t c_out, std::string prefix)
      : g_(g), c_(cell), c_out_(c_out), p_(std::move(prefix)), vc_(vertex_channels(c_in, c_out, cell)) {}

  NodeId build(NodeId x) {
    const int n = c_.n;
    // Channel cuts each vertex's value must offer, from the last vertex back: a consumer
    // with fewer channels needs a cut at its width; a max-pool consumer works range by
    // range, so its producers need its cuts too.
    std::vector<std::set<std::int64_t>> cuts(n);
    for (int v = n - 2; v >= 1; --v)
      for (int d = v + 1; d < n - 1; ++d)
        if (c_.edge(v, d)) {
          if (vc_[d] < vc_[v]) cuts[v].insert(vc_[d]);
          if (c_.ops[d] == kMaxPool3x3) cuts[v].insert(cuts[d].begin(), cuts[d].end());
        }
    std::vector<Pieces> value(n);
    for (int t = 1; t < n - 1; ++t) value[t] = vertex(t, x, value, cuts[t]);

    std::vector<NodeId> concat_in;
    for (int t = 1; t < n - 1; ++t)
      if (c_.edge(t, n - 1))
        for (const auto& piece : value[t]) concat_in.push_back(piece.id);
    const std::string proj = p_ + ".input_op." + std::to_string(n - 1) + ".conv_bn_relu";
    if (concat_in.empty()) return conv_bn_relu(g_, x, c_out_, 1, proj);  // only input -> output
    NodeId out = concat_in.size() == 1 ? concat_in[0] : g_.concat(concat_in, p_ + ".concat");
    if (c_.edge(0, n - 1)) out = g_.add_n({out, conv_bn_relu(g_, x, c_out_, 1, proj)}, p_ + ".add_input");
    return out;
  }

 private:
  // Node holding channels [lo, hi) of a vertex value; several pieces are concatenated.
  NodeId take(const Pieces& v, std::int64_t lo, std::int64_t hi) {
    std::vector<NodeId> ids;
    std::int64_t at = lo;
    for (const auto& piece : v)
      if (piece.lo >= lo && piece.hi <= hi) {
        if (piece.lo != at) break;
        ids.push_back(piece.id);
        at = piece.hi;
      }
    if (at != hi)  // cannot happen: the cuts were planned for every consumer
      throw Error(p_, "internal: no channel cut at " + std::to_string(hi) + " in a vertex value", "report this cell");
    return ids.size() == 1 ? ids[0] : g_.concat(ids, p_ + ".join" + std::to_string(joins_++));
  }

  Pieces vertex(int t, NodeId x, const std::vector<Pieces>& value, const std::set<std::int64_t>& cut_set) {
    std::vector<std::int64_t> bounds{0};
    for (auto c : cut_set) bounds.push_back(c);
    bounds.push_back(vc_[t]);
    const bool split = bounds.size() > 2;
    const std::string ts = std::to_string(t);
    const std::string vop = p_ + ".vertex_op." + ts;
    const std::string proj = p_ + ".input_op." + ts + ".conv_bn_relu";
    Pieces out;
    if (c_.ops[t] == kMaxPool3x3) {
      for (std::size_t r = 0; r + 1 < bounds.size(); ++r) {
        const auto lo = bounds[r], hi = bounds[r + 1];
        const auto sfx = range_suffix(lo, hi, split);
        std::vector<NodeId> fan;
        for (int s = 1; s < t; ++s)
          if (c_.edge(s, t)) fan.push_back(take(value[s], lo, hi));
        if (c_.edge(0, t)) fan.push_back(conv_bn_relu(g_, x, hi - lo, 1, proj + sfx));
        const NodeId in = fan.size() == 1 ? fan[0] : g_.add_n(fan, p_ + ".vertex" + ts + ".sum" + sfx);
        PoolAttr pool;
        pool.kernel = 3;
        pool.stride = 1;
        pool.padding = 1;
        out.push_back({g_.max_pool(in, pool, vop + ".maxpool" + sfx), lo, hi});
      }
      return out;
    }
    std::vector<NodeId> fan;
    for (int s = 1; s < t; ++s)
      if (c_.edge(s, t)) fan.push_back(take(value[s], 0, vc_[t]));
    if (c_.edge(0, t)) fan.push_back(conv_bn_relu(g_, x, vc_[t], 1, proj));
    const NodeId in = fan.size() == 1 ? fan[0] : g_.add_n(fan, p_ + ".vertex" + ts + ".sum");
    const bool k3 = c_.ops[t] == kConv3x3;
    const std::string op = vop + (k3 ? ".conv3x3" : ".conv1x1") + ".conv_bn_relu";
    for (std::size_t r = 0; r + 1 < bounds.size(); ++r) {
      const auto lo = bounds[r], hi = bounds[r + 1];
      out.push_back({conv_bn_relu(g_, in, hi - lo, k3 ? 3 : 1, op + range_suffix(lo, hi, split)), lo, hi});
    }
    return out;
  }

  NetGraph& g_;
  const Cell& c_;
  std::int64_t c_out_;
  std::string p_;
  std::array<std::int64_t, kMaxVertices> vc_;
  int joins_ = 0;
};

}  // namespace

NetGraph build(const Cell& written, const NetConfig& cfg) {
  const auto pruned = prune(written);
  if (!pruned || !invalid_reason(written).empty())
    throw Error("nb101 cell " + to_json(written), invalid_reason(written), "only valid NAS-Bench-101 cells compile");
  NetGraph g;
  NodeId x = g.input({3, cfg.resolution, cfg.resolution});
  x = conv_bn_relu(g, x, cfg.stem_channels, 3, "layers.0.conv_bn_relu");
  std::int64_t c_in = cfg.stem_channels, c = cfg.stem_channels;
  int layer = 1;
  for (int stack = 0; stack < cfg.stacks; ++stack) {
    if (stack > 0) {
      PoolAttr down;
      down.kernel = 2;
      down.stride = 2;
      down.padding = 0;
      x = g.max_pool(x, down, "layers." + std::to_string(layer++));
      c *= 2;
    }
    for (int k = 0; k < cfg.cells_per_stack; ++k) {
      x = CellBuilder(g, *pruned, c_in, c, "layers." + std::to_string(layer++)).build(x);
      c_in = c;
    }
  }
  GlobalPoolAttr mean;  // torch.mean(x, (2, 3)) in the reference: {C}, and no module for tensorwatch
  mean.keepdims = false;
  mean.functional = true;
  x = g.add(OpKind::GlobalAvgPool, {x}, mean, "mean");
  LinearAttr head;
  head.out_features = cfg.num_classes;
  x = g.linear(x, head, "classifier");
  g.set_output(x);
  return g;
}

}  // namespace zcnas::spaces::nb101
