// The NAS-Bench-201 network as the benchmark trained it, compiled to the IR.
//
// Structure (facts from D-X-Y/AutoDL-Projects xautodl/models/cell_infers/tiny_network.py,
// cells.py and cell_operations.py; NASLib builds the same network in
// naslib/search_spaces/nasbench201/graph.py + primitives.py, which is what produced the
// Suite-Zero params/flops this is checked against):
//   stem      conv3x3(3 -> C, pad 1, no bias) + BN(C)
//   stage 1   N cells at C          (C = 16, N = 5)
//   reduction ResNet basic block C -> 2C, stride 2
//   stage 2   N cells at 2C
//   reduction ResNet basic block 2C -> 4C, stride 2
//   stage 3   N cells at 4C
//   lastact   BN(4C) + ReLU, global average pool, linear(4C -> classes)
// Cell: nodes 0..3 (README nodes 1..4), node j = sum over i < j of op_(i->j)(node i),
// output node 3. Ops: skip_connect = identity, none = x * 0, nor_conv_kxk = ReLU -> conv
// (no bias) -> BN (affine, tracking), avg_pool_3x3 = AvgPool2d(3, 1, 1,
// count_include_pad=False). Basic block: conv_a = ReLUConvBN 3x3 stride 2, conv_b =
// ReLUConvBN 3x3, downsample = AvgPool2d(2, 2) + conv1x1 (no bias, no BN), out =
// downsample(x) + conv_b(conv_a(x)). All batchnorms affine (NASLib makes the chosen ops'
// BNs affine in convert_op_indices_to_naslib/update_batchnorms).
//
// Node names follow TinyNetwork's state_dict keys ("stem.0.weight",
// "cells.3.layers.2.op.1.weight", "cells.5.conv_a.op.2.bias", "classifier.weight"), where
// InferCell's `layers` list the edges node by node: 0:(0->1) 1:(0->2) 2:(1->2) 3:(0->3)
// 4:(1->3) 5:(2->3).
#include "cell6.hpp"
#include "zcnas/spaces/nb201.hpp"

namespace zcnas::spaces::nb201 {
namespace {

NodeId relu_conv_bn(NetGraph& g, NodeId x, std::int64_t c_out, std::int64_t k, std::int64_t stride, const std::string& p) {
  return cell6::relu_conv_bn(g, x, c_out, k, stride, p, "op");
}

NodeId edge_op(NetGraph& g, NodeId x, int op, std::int64_t c, const std::string& p) {
  switch (op) {
    case 0: return g.identity(x, p);
    case 1: return g.zero(x, p);
    case 2: return relu_conv_bn(g, x, c, 3, 1, p);
    case 3: return relu_conv_bn(g, x, c, 1, 1, p);
    default: {
      PoolAttr a;
      a.kernel = 3;
      a.stride = 1;
      a.padding = 1;
      a.count_include_pad = false;
      return g.avg_pool(x, a, p + ".op");
    }
  }
}

NodeId infer_cell(NetGraph& g, NodeId x, const Ops& ops, std::int64_t c, const std::string& p) {
  // README digit of layer l (InferCell order): (0->1)=0 (0->2)=1 (1->2)=3 (0->3)=2 (1->3)=4 (2->3)=5
  static constexpr int kDigitOfLayer[6] = {0, 1, 3, 2, 4, 5};
  std::vector<NodeId> node{x};
  int layer = 0;
  for (int j = 1; j <= 3; ++j) {
    std::vector<NodeId> terms;
    for (int i = 0; i < j; ++i, ++layer)
      terms.push_back(edge_op(g, node[i], ops[kDigitOfLayer[layer]], c, p + ".layers." + std::to_string(layer)));
    node.push_back(g.add_n(terms, p + ".node" + std::to_string(j)));
  }
  return node[3];
}

NodeId basic_block(NetGraph& g, NodeId x, std::int64_t c_out, const std::string& p) {
  const auto a = relu_conv_bn(g, x, c_out, 3, 2, p + ".conv_a");
  const auto b = relu_conv_bn(g, a, c_out, 3, 1, p + ".conv_b");
  PoolAttr pool;
  pool.kernel = 2;
  pool.stride = 2;
  pool.padding = 0;
  const auto d0 = g.avg_pool(x, pool, p + ".downsample.0");
  Conv2dAttr proj;
  proj.out_channels = c_out;
  proj.kernel = 1;
  const auto d1 = g.conv2d(d0, proj, p + ".downsample.1");
  return g.add_n({d1, b}, p + ".add");
}

}  // namespace

NetGraph build(const Ops& ops, const NetConfig& cfg) {
  NetGraph g;
  auto x = g.input({3, cfg.resolution, cfg.resolution});
  Conv2dAttr stem;
  stem.out_channels = cfg.channels;
  stem.kernel = 3;
  stem.padding = 1;
  x = g.conv2d(x, stem, "stem.0");
  x = g.batchnorm(x, BatchNormAttr{}, "stem.1");
  std::int64_t c = cfg.channels;
  int cell = 0;
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) {
      c *= 2;
      x = basic_block(g, x, c, "cells." + std::to_string(cell++));
    }
    for (int k = 0; k < cfg.cells_per_stage; ++k) x = infer_cell(g, x, ops, c, "cells." + std::to_string(cell++));
  }
  x = g.batchnorm(x, BatchNormAttr{}, "lastact.0");
  x = g.relu(x, "lastact.1");
  x = g.global_avg_pool(x, "global_pooling");
  LinearAttr head;
  head.out_features = cfg.num_classes;
  x = g.linear(x, head, "classifier");
  g.set_output(x);
  return g;
}

}  // namespace zcnas::spaces::nb201
