#pragma once
// TransNAS-Bench-101 micro (Duan et al., CVPR 2021): a 4-node cell with 6 edges and 4 ops,
// 4,096 cells, in the fixed macro skeleton "64-41414" (stem, 5 stages of 2 cells), with one
// decoder/head per Taskonomy task. The space object ("tnb101_micro") is registered in
// builtin.cpp; these are its building blocks.
//
// Encoding: the benchmark's arch_str "64-41414-a_bc_def", one digit per edge grouped by
// target node (nodes 0..3, node 0 the cell input): a = 0->1; b, c = 0->2, 1->2;
// d, e, f = 0->3, 1->3, 2->3 -- a different edge order from NAS-Bench-201's op_indices.
// The six-digit key "abcdef" (CSV op_indices) and NASLib's tuple "(a, b, c, d, e, f)" are
// the same digits. Op codes: 0 zero, 1 skip_connect (factorized reduce when the edge
// strides), 2 ReLU-conv1x1-BN, 3 ReLU-conv3x3-BN.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "zcnas/spaces/netgraph.hpp"

namespace zcnas::spaces::tnb101 {

using Ops = std::array<int, 6>;
inline constexpr int kNumOps = 4;
inline constexpr std::array<std::string_view, kNumOps> kOpNames{"zero", "skip_connect", "conv1x1", "conv3x3"};
inline constexpr std::string_view kMacroPrefix = "64-41414-";

Ops parse(std::string_view arch);        // throws zcnas::Error naming the input
std::string arch_str(const Ops& ops);    // canonical "64-41414-a_bc_def"
std::string op_indices(const Ops& ops);  // benchmark key "abcdef"

// Structural key by NAS-Bench-201's rules (see nb201::unique_str) applied to both cell
// variants the network uses: the stride-1 cell and the reduction cell, whose edges from
// the cell input stride and double the channels (skip becomes a factorized reduce, so it
// is no longer the identity). "<normal>|<reduction>".
std::string unique_str(const Ops& ops);

// class_scene, class_object, autoencoder, normal, jigsaw, room_layout, segmentsemantic.
std::vector<std::string> tasks();

// Input per sample: {3, 256, 256}; jigsaw: 9 tiles of {3, 64, 64} stacked on the channel
// axis, {27, 64, 64} (tile t = channels 3t..3t+2).
Shape input_shape(std::string_view task);

// The encoder (MacroNet "64-41414-<cell>", backbone) with the task's decoder, as the
// benchmark's model_builder.create_model builds it (tnb101_network.cpp has the details).
NetGraph build(const Ops& ops, std::string_view task);

}  // namespace zcnas::spaces::tnb101
