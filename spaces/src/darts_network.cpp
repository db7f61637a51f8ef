// The DARTS / NAS-Bench-301 evaluation network compiled to the IR.
//
// NAS-Bench-Suite-Zero's NB301 params/flops were measured on NASLib's NasBench301SearchSpace
// (automl/NASLib, branch `zerocost`, naslib/search_spaces/nasbench301/graph.py; the ops in
// naslib/search_spaces/core/primitives.py and nasbench301/primitives.py). That makro-graph is
// DARTS' NetworkCIFAR (quark0/darts cnn/model.py, cnn/operations.py) with
//   C = 32 (stages 32/64/128; NASLib's current default branch builds 16/32/64 instead),
//   8 cells, reduction cells at 8/3 = 2 and 2*8/3 = 5, no auxiliary head, no drop path:
//   stem      conv3x3(3 -> 3C, pad 1, no bias) + BN(3C)
//   cell k    s0 = preprocess0(c_{k-2}), s1 = preprocess1(c_{k-1}):
//               preprocess0 = FactorizedReduce(C_pp -> C) when cell k-1 was a reduction cell,
//                             else ReLU -> conv1x1(C_pp -> C) -> BN(C)
//               preprocess1 = ReLU -> conv1x1(C_p -> C) -> BN(C)       (all these BNs affine)
//             node j+2 = op_{2j}(state[in_{2j}]) + op_{2j+1}(state[in_{2j+1}]), j = 0..3
//             output = concat(node 2..5)  -> 4C channels
//             In a reduction cell C doubles and the ops reading nodes 0/1 have stride 2.
//   head      global average pool + linear(4*128 -> classes)
// Cell ops on C channels, every BN inside them affine=False (with running stats):
//   max_pool_3x3   MaxPool2d(3, stride, pad 1) -> BN              (NASLib MaxPool(use_bn=True))
//   avg_pool_3x3   AvgPool2d(3, stride, pad 1, count_include_pad=False) -> BN
//                  (DARTS' evaluation network has no BN after pools; NASLib adds it)
//   skip_connect   identity; stride 2: FactorizedReduce(C -> C) = ReLU, conv1x1/2 (C -> C/2) on
//                  x and on x[:, :, 1:, 1:], concatenated, BN
//   sep_conv_kxk   ReLU, dwconv k (stride), conv1x1, BN, ReLU, dwconv k, conv1x1, BN (pad k/2)
//   dil_conv_kxk   ReLU, dwconv k dilation 2 (stride, pad k-1), conv1x1, BN
// Node names follow NetworkCIFAR's state_dict keys: "stem.0", "cells.3.preprocess0.op.1",
// "cells.3._ops.5.op.2", "cells.2._ops.0.conv_1" (factorized reduce), "classifier"; a pool
// is "<op>.op.0" and its BN "<op>.op.1".
#include "zcnas/spaces/darts.hpp"

namespace zcnas::spaces::darts {
namespace {

NodeId conv(NetGraph& g, NodeId x, std::int64_t c_out, std::int64_t k, std::int64_t stride, std::int64_t pad,
            std::int64_t dilation, std::int64_t groups, const std::string& name) {
  Conv2dAttr a;
  a.out_channels = c_out;
  a.kernel = k;
  a.stride = stride;
  a.padding = pad;
  a.dilation = dilation;
  a.groups = groups;
  return g.conv2d(x, a, name);
}

NodeId bn(NetGraph& g, NodeId x, bool affine, const std::string& name) {
  BatchNormAttr a;
  a.affine = affine;
  return g.batchnorm(x, a, name);
}

NodeId relu_conv_bn(NetGraph& g, NodeId x, std::int64_t c_out, const std::string& p) {
  const auto r = g.relu(x, p + ".op.0");
  const auto c = conv(g, r, c_out, 1, 1, 0, 1, 1, p + ".op.1");
  return bn(g, c, true, p + ".op.2");
}

// quark0/darts cnn/operations.py FactorizedReduce (NASLib's nasbench301/primitives.py is the same).
NodeId factorized_reduce(NetGraph& g, NodeId x, std::int64_t c_out, bool affine, const std::string& p) {
  const auto r = g.relu(x, p + ".relu");
  const auto a = conv(g, r, c_out / 2, 1, 2, 0, 1, 1, p + ".conv_1");
  SliceAttr crop;
  crop.left = 1;
  crop.top = 1;
  const auto shifted = g.slice2d(r, crop, p + ".shift");
  const auto b = conv(g, shifted, c_out / 2, 1, 2, 0, 1, 1, p + ".conv_2");
  const auto cat = g.concat({a, b}, p + ".cat");
  return bn(g, cat, affine, p + ".bn");
}

NodeId cell_op(NetGraph& g, NodeId x, int op, std::int64_t c, std::int64_t stride, const std::string& p) {
  const std::string s = p + ".op.";
  switch (op) {
    case 0:
    case 1: {
      PoolAttr a;
      a.kernel = 3;
      a.stride = stride;
      a.padding = 1;
      a.count_include_pad = false;
      const auto pooled = op == 0 ? g.max_pool(x, a, s + "0") : g.avg_pool(x, a, s + "0");
      return bn(g, pooled, false, s + "1");
    }
    case 2:
      return stride == 1 ? g.identity(x, p) : factorized_reduce(g, x, c, false, p);
    case 3:
    case 4: {
      const std::int64_t k = op == 3 ? 3 : 5;
      auto y = g.relu(x, s + "0");
      y = conv(g, y, c, k, stride, k / 2, 1, c, s + "1");
      y = conv(g, y, c, 1, 1, 0, 1, 1, s + "2");
      y = bn(g, y, false, s + "3");
      y = g.relu(y, s + "4");
      y = conv(g, y, c, k, 1, k / 2, 1, c, s + "5");
      y = conv(g, y, c, 1, 1, 0, 1, 1, s + "6");
      return bn(g, y, false, s + "7");
    }
    default: {
      const std::int64_t k = op == 5 ? 3 : 5;
      auto y = g.relu(x, s + "0");
      y = conv(g, y, c, k, stride, k - 1, 2, c, s + "1");
      y = conv(g, y, c, 1, 1, 0, 1, 1, s + "2");
      return bn(g, y, false, s + "3");
    }
  }
}

NodeId cell(NetGraph& g, NodeId prev_prev, NodeId prev, const Cell& genes, std::int64_t c, bool reduction,
            bool reduction_prev, const std::string& p) {
  const NodeId s0 = reduction_prev ? factorized_reduce(g, prev_prev, c, true, p + ".preprocess0")
                                   : relu_conv_bn(g, prev_prev, c, p + ".preprocess0");
  const NodeId s1 = relu_conv_bn(g, prev, c, p + ".preprocess1");
  std::vector<NodeId> states{s0, s1};
  for (int j = 0; j < kSteps; ++j) {
    std::vector<NodeId> terms;
    for (int e = 2 * j; e <= 2 * j + 1; ++e) {
      const int in = genes[e].input;
      const std::int64_t stride = reduction && in < 2 ? 2 : 1;
      terms.push_back(cell_op(g, states[in], genes[e].op, c, stride, p + "._ops." + std::to_string(e)));
    }
    states.push_back(g.add_n(terms, p + ".node" + std::to_string(j + 2)));
  }
  return g.concat({states.begin() + 2, states.end()}, p + ".concat");
}

}  // namespace

NetGraph build(const Genotype& genotype, const NetConfig& cfg) {
  NetGraph g;
  auto x = g.input({3, cfg.resolution, cfg.resolution});
  constexpr std::int64_t kStemMultiplier = 3;  // DARTS' stem_multiplier
  std::int64_t c = cfg.channels;
  x = conv(g, x, kStemMultiplier * c, 3, 1, 1, 1, 1, "stem.0");
  x = bn(g, x, true, "stem.1");
  NodeId prev_prev = x, prev = x;
  bool reduction_prev = false;
  for (int i = 0; i < cfg.layers; ++i) {
    const bool reduction = i == cfg.layers / 3 || i == 2 * cfg.layers / 3;
    if (reduction) c *= 2;
    const NodeId out = cell(g, prev_prev, prev, reduction ? genotype.reduce : genotype.normal, c, reduction,
                            reduction_prev, "cells." + std::to_string(i));
    prev_prev = prev;
    prev = out;
    reduction_prev = reduction;
  }
  x = g.global_avg_pool(prev, "global_pooling");
  LinearAttr head;
  head.out_features = cfg.num_classes;
  x = g.linear(x, head, "classifier");
  g.set_output(x);
  return g;
}

}  // namespace zcnas::spaces::darts
