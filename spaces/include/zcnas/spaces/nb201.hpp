#pragma once
// NAS-Bench-201 (Dong & Yang, ICLR 2020): a 4-node cell with 6 edges, 5 ops per edge,
// 15,625 cells, stacked into the benchmark's TinyNetwork. The space object ("nb201")
// is registered in builtin.cpp; these functions are its building blocks, public for
// tests, tools and other spaces that reuse the cell.
//
// Edge order ("op_indices", benchdata README): (1->2), (1->3), (1->4), (2->3), (2->4), (3->4),
// nodes 1..4 with node 1 the cell input. Op codes: 0 skip_connect, 1 none, 2 nor_conv_3x3,
// 3 nor_conv_1x1, 4 avg_pool_3x3.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "zcnas/spaces/netgraph.hpp"

namespace zcnas::spaces::nb201 {

using Ops = std::array<int, 6>;
inline constexpr int kNumOps = 5;
inline constexpr std::array<std::string_view, kNumOps> kOpNames{"skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1",
                                                                 "avg_pool_3x3"};

// Accepts the NB201 arch_str "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|", six digits "432323",
// or NASLib's tuple "(4, 3, 3, 3, 2, 3)". Throws zcnas::Error naming the input.
Ops parse(std::string_view arch);
std::string arch_str(const Ops& ops);    // canonical form
std::string op_indices(const Ops& ops);  // benchmark key, six digits

// NAS-Bench-201's own isomorphism key: Structure.to_unique_str(consider_zero=True) of
// D-X-Y/AutoDL-Projects (xautodl/models/cell_searchs/genotypes.py). Equal strings = same
// function; 15,625 cells give 6,466 distinct keys.
std::string unique_str(const Ops& ops);

struct NetConfig {
  int channels = 16;     // C of the first stage (stages C, 2C, 4C)
  int cells_per_stage = 5;
  int num_classes = 10;
  int resolution = 32;   // square input, 3 channels
};
// cifar10 (10 classes, 32x32), cifar100 (100, 32x32), ImageNet16-120 (120, 16x16).
NetConfig config_for(std::string_view dataset);
std::vector<std::string> datasets();

// The TinyNetwork NAS-Bench-201 trained (see nb201_network.cpp for the structure and
// node names, which follow the reference module's state_dict keys).
NetGraph build(const Ops& ops, const NetConfig& cfg);

}  // namespace zcnas::spaces::nb201
