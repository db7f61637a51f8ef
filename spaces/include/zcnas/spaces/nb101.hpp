#pragma once
// NAS-Bench-101 (Ying et al., ICML 2019): cells are DAGs of at most 7 vertices and 9
// edges; vertex 0 is the input, the last vertex the output, every other vertex holds one
// op (conv3x3-bn-relu, conv1x1-bn-relu, maxpool3x3). 423,624 unique cells up to graph
// isomorphism, each stacked into the benchmark's 3 x 3-cell CIFAR-10 network. The space
// object ("nb101") is registered in builtin.cpp; these functions are its building blocks,
// public for tests and tools.
//
// Encodings (parse() accepts all; docs/spaces.md has examples):
//  - NASLib's key (benchdata README): the 7x7 adjacency matrix row-major (49 ints) then
//    the 7 op codes, as a tuple "(0, 1, ...)", a list "[0,1,...]" or bare "0,1,...";
//  - NAS-Bench-101's own spec as JSON: {"matrix": [[...]], "ops": ["input", ..., "output"]}
//    with 2..7 vertices and op names as NAS-Bench-101 writes them.
// The canonical string is the compact JSON of the cell exactly as written (NOT pruned):
// benchmark keys are unpruned (NASLib stores the sampled matrices), so pruning in the
// canonical form would lose the key. Two specs that prune to isomorphic cells have
// different canonical strings but the same structural hash (graph_hash).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zcnas/common/text_hash.hpp"
#include "zcnas/spaces/netgraph.hpp"

namespace zcnas::spaces::nb101 {

inline constexpr int kMaxVertices = 7;
inline constexpr int kMaxEdges = 9;  // after pruning

// Op codes of the NASLib key (benchdata README): 0 input, 1 output, 2 maxpool3x3,
// 3 conv1x1-bn-relu, 4 conv3x3-bn-relu.
enum Op : std::uint8_t { kInput = 0, kOutput = 1, kMaxPool3x3 = 2, kConv1x1 = 3, kConv3x3 = 4 };
inline constexpr std::array<std::string_view, 5> kOpNames{"input", "output", "maxpool3x3", "conv1x1-bn-relu",
                                                          "conv3x3-bn-relu"};

// A cell as written: n vertices (2..7), out[i] bit j set = edge i -> j (i < j), ops[v] codes.
struct Cell {
  std::uint8_t n = 0;
  std::array<std::uint8_t, kMaxVertices> out{};
  std::array<std::uint8_t, kMaxVertices> ops{};

  bool edge(int i, int j) const { return (out[i] >> j) & 1u; }
  int num_edges() const;
  bool operator==(const Cell&) const = default;
};

// Any accepted encoding -> a valid cell (as written, unpruned). Throws zcnas::Error naming
// the input for malformed text and for cells outside the space (see invalid_reason).
Cell parse(std::string_view arch);

// Canonical string: {"matrix":[[0,1],[0,0]],"ops":["input","output"]} (no spaces).
std::string to_json(const Cell& c);
// NASLib's 56-int key joined by ',' (benchdb archs.key). Cells with fewer than 7 vertices
// are padded as NASLib's NasBench101SearchSpace.convert_to_cell does (naslib/search_spaces/
// nasbench101/graph.py): the output column moves to column 6, empty vertices in between
// get conv3x3-bn-relu and no edges.
std::string naslib_key(const Cell& c);

// Removes every vertex not on an input -> output path (nasbench lib/model_spec.py
// ModelSpec._prune). nullopt when the input does not reach the output.
std::optional<Cell> prune(const Cell& c);
// Empty when the cell is in the space: input reaches output, and after pruning at most 7
// vertices and 9 edges (nasbench api.py _check_spec). Otherwise says what is wrong.
std::string invalid_reason(const Cell& c);

// NAS-Bench-101's graph hash (nasbench lib/graph_util.py hash_module): per-vertex hash of
// (out-degree, in-degree, label), then n rounds of hashing each vertex's sorted in-neighbour
// hashes, sorted out-neighbour hashes and its own hash; the fingerprint hashes the sorted
// vertex hashes. Labels as in the authors' generator: input -1, output -2, conv3x3 0,
// conv1x1 1, maxpool 2. xxh3-128 replaces MD5 (the digests differ from the dataset's,
// the equivalence classes do not). Pass a pruned cell.
Hash128 graph_hash(const Cell& pruned);

// Channels of every vertex (nasbench lib/model_builder.py compute_vertex_channels); pruned cell.
std::array<std::int64_t, kMaxVertices> vertex_channels(std::int64_t in_channels, std::int64_t out_channels,
                                                       const Cell& pruned);

// Every unique cell of the space, as the authors' scripts/generate_graphs.py finds them:
// for n = 2..7 vertices, every upper-triangular matrix (bit masks in increasing order)
// whose vertices all lie on an input -> output path and that has <= 9 edges, every
// labelling of the n-2 interior vertices (itertools.product order); a cell is kept when
// its graph_hash was not seen before. Hashing runs in parallel (oneTBB); the result and its
// order do not depend on the number of threads. 423,624 cells. `labelled` (optional)
// receives the number of labelled graphs hashed before deduplication.
std::vector<Cell> enumerate_unique(std::uint64_t* labelled = nullptr);

struct NetConfig {
  std::int64_t stem_channels = 128;
  int stacks = 3;
  int cells_per_stack = 3;
  std::int64_t num_classes = 10;
  std::int64_t resolution = 32;
};
std::vector<std::string> datasets();  // {"cifar10"}
NetConfig config_for(std::string_view dataset);

// The network NAS-Bench-101 trained, built from the pruned cell (see nb101_network.cpp).
NetGraph build(const Cell& cell, const NetConfig& cfg);

}  // namespace zcnas::spaces::nb101
