#pragma once
// DARTS / NAS-Bench-301 (Liu et al., ICLR 2019; Siems et al. 2020): a normal and a reduction
// cell, each with two inputs (nodes 0 and 1: the outputs of the two previous cells) and four
// intermediate nodes 2..5; node k sums two ops applied to two *different* earlier nodes
// (0..k-1) and the cell output concatenates nodes 2..5. The space object ("darts") is
// registered in builtin.cpp; these functions are its building blocks.
//
// Encodings accepted by parse():
//  * the NAS-Bench-301 / NASLib "compact" pair form of nasbench301_sample.csv:
//    "[[(0, 0), (1, 5), ...8 pairs], [...8 pairs]]" = [normal, reduce], each pair
//    (input node, op code), pairs 2j and 2j+1 feeding node j+2. Tuples may be written with
//    '(' or '[' (NASLib stores the compact form as tuples of tuples), and a pair may name
//    its op instead of giving the code: (1, 'sep_conv_3x3') or DARTS order ('sep_conv_3x3', 1).
//  * the DARTS genotype "Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5],
//    reduce=[...], reduce_concat=[2, 3, 4, 5])" (quark0/darts cnn/genotypes.py; concat may be
//    written range(2, 6); it must be nodes 2..5, the only concat of the NAS-Bench-301 space).
// Op codes (benchdata README; NASLib's NB301 op list without `zero`): 0 max_pool_3x3,
// 1 avg_pool_3x3, 2 skip_connect, 3 sep_conv_3x3, 4 sep_conv_5x5, 5 dil_conv_3x3, 6 dil_conv_5x5.
// DARTS' `none` is not an op of the NAS-Bench-301 space (NASLib removes Zero before sampling
// and NAS-Bench-301's configspace lists only these seven), so it is rejected.
//
// Canonical string = benchmark key = the pair form with every space removed
// (zcnas::normalize_whitespace of the CSV text): "[[(0,0),(1,5),...],[...]]". Pair order is
// kept as written (the benchmark keys are the genotypes as sampled); structural_hash() is
// the order-free identity.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "zcnas/spaces/netgraph.hpp"
#include "zcnas/spaces/space.hpp"

namespace zcnas::spaces::darts {

inline constexpr int kNumOps = 7;
inline constexpr int kSteps = 4;  // intermediate nodes per cell
inline constexpr std::array<std::string_view, kNumOps> kOpNames{
    "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"};

struct Edge {
  int input = 0;  // 0, 1 = cell inputs (c_{k-2}, c_{k-1}); 2.. = intermediate nodes
  int op = 0;     // code into kOpNames
  bool operator==(const Edge&) const = default;
};
using Cell = std::array<Edge, 2 * kSteps>;  // edges 2j, 2j+1 feed node j+2
struct Genotype {
  Cell normal{}, reduce{};
  bool operator==(const Genotype&) const = default;
};

// Any accepted encoding -> genotype; throws zcnas::Error naming the input (bad brackets,
// unknown op, node index out of range, wrong number of pairs, a node reading one input twice).
Genotype parse(std::string_view text);
// Throws zcnas::Error (input = `label`) unless every node reads two different earlier nodes
// and every op code is in range.
void validate(const Genotype& g, const std::string& label);

std::string compact_str(const Genotype& g);   // canonical / benchmark key, no spaces
std::string genotype_str(const Genotype& g);  // DARTS Genotype(...) form

// Structural identity (see darts_genotype.cpp): per cell, the two edges of a node are
// unordered and the intermediate nodes are relabelled to the smallest valid order.
std::string unique_str(const Genotype& g);

// NASLib's NasBench301SearchSpace.sample_random_architecture: per node, ops uniform over the
// 7 and two distinct inputs uniform over 0..k-1, independently for both cells.
Genotype sample(Rng& rng);
// NASLib's mutate: one uniformly chosen cell / edge / field (op or input) changed to a
// different valid value.
Genotype mutate(const Genotype& g, Rng& rng);
// NASLib's get_nbhd moves (unshuffled): per cell, per edge, every other op (ascending), then
// every other input not used by the node's other edge (ascending): 120 neighbours.
std::vector<Genotype> neighbours(const Genotype& g);

struct NetConfig {
  int channels = 32;  // C of the first stage (stages C, 2C, 4C); stem 3C
  int layers = 8;     // cells; reduction cells at layers/3 and 2*layers/3
  int num_classes = 10;
  int resolution = 32;
};
std::vector<std::string> datasets();  // cifar10
NetConfig config_for(std::string_view dataset);

// DARTS NetworkCIFAR as NAS-Bench-Suite-Zero measured it (see darts_network.cpp).
NetGraph build(const Genotype& g, const NetConfig& cfg);

}  // namespace zcnas::spaces::darts
