// The "nb101" space: NAS-Bench-101 behind the Space interface. Sampling, mutation and
// neighbours follow NASLib's NasBench101SearchSpace (naslib/search_spaces/nasbench101/
// graph.py: sample_random_architecture, mutate, get_nbhd), which work on 7x7 specs and
// keep them unpruned; a cell written with fewer vertices is first padded to 7 as NASLib
// does (naslib_key / convert_to_cell).
#include <memory>

#include "zcnas/common/error.hpp"
#include "zcnas/spaces/nb101.hpp"
#include "zcnas/spaces/space.hpp"

namespace zcnas::spaces {
namespace {

using nb101::Cell;

constexpr std::uint8_t kInteriorOps[3] = {nb101::kConv3x3, nb101::kConv1x1, nb101::kMaxPool3x3};

Cell padded7(const Cell& c) { return c.n == nb101::kMaxVertices ? c : nb101::parse(nb101::naslib_key(c)); }

bool valid(const Cell& c) { return nb101::invalid_reason(c).empty(); }

// Vertices on an input -> output path (bit set), as NASLib's get_utilized.
unsigned on_path(const Cell& c, unsigned* from_input = nullptr, unsigned* to_output = nullptr) {
  const int n = c.n;
  unsigned fwd = 1u, bwd = 1u << (n - 1);
  for (int v = 0; v < n; ++v)
    if (fwd >> v & 1u) fwd |= c.out[v];
  for (int v = n - 2; v >= 0; --v)
    if (c.out[v] & bwd) bwd |= 1u << v;
  if (from_input) *from_input = fwd;
  if (to_output) *to_output = bwd;
  return (fwd >> (n - 1) & 1u) ? fwd & bwd : 0u;
}

// Edge i -> j lies on an input -> output path.
bool edge_used(const Cell& c, int i, int j) {
  unsigned fwd = 0, bwd = 0;
  on_path(c, &fwd, &bwd);
  return c.edge(i, j) && (fwd >> i & 1u) && (bwd >> j & 1u);
}

void flip(Cell& c, int i, int j) { c.out[i] = static_cast<std::uint8_t>(c.out[i] ^ (1u << j)); }

class Nb101Space final : public Space {
 public:
  std::string name() const override { return "nb101"; }
  std::string description() const override {
    return "NAS-Bench-101 cells (<= 7 vertices, <= 9 edges; conv3x3/conv1x1/maxpool) in the 128-channel 3x3-cell network";
  }
  std::vector<std::string> datasets() const override { return nb101::datasets(); }

  std::string canonical(std::string_view arch) const override { return nb101::to_json(nb101::parse(arch)); }
  std::string benchmark_key(std::string_view canonical) const override {
    return nb101::naslib_key(nb101::parse(canonical));
  }

  // The paper's count; tests/spaces/test_nb101.cpp checks that enumerate() yields exactly
  // this many cells (computing it here would cost ~a second per call).
  std::optional<std::uint64_t> size() const override { return kSize; }
  void enumerate(const std::function<void(const std::string&)>& fn) const override {
    static const std::vector<Cell> all = nb101::enumerate_unique();  // ~7 MB, built once
    for (const auto& c : all) fn(nb101::to_json(c));
  }

  // NASLib: every upper-triangular entry of a 7x7 matrix and every interior op uniform,
  // redrawn until the spec is valid. Uniform over valid 7x7 specs, not over the 423,624
  // unique cells (cells with many equivalent specs are drawn more often), as in NASLib.
  std::string sample(Rng& rng) const override {
    for (;;) {
      Cell c;
      c.n = nb101::kMaxVertices;
      const auto bits = rng();
      int b = 0;
      for (int i = 0; i < c.n; ++i)
        for (int j = i + 1; j < c.n; ++j, ++b)
          if (bits >> b & 1u) flip(c, i, j);
      c.ops[0] = nb101::kInput;
      c.ops[c.n - 1] = nb101::kOutput;
      for (int v = 1; v < c.n - 1; ++v) c.ops[v] = kInteriorOps[rng() % 3];
      if (valid(c)) return nb101::to_json(c);
    }
  }

  // NASLib / nasbench example.py: each matrix entry flips with probability 1/7, each
  // interior op changes to another op with probability 1/3; redrawn while the result is
  // invalid or prunes to a cell with the parent's graph hash (an unchanged function).
  std::string mutate(std::string_view canonical, Rng& rng) const override {
    const Cell parent = padded7(nb101::parse(canonical));
    const auto parent_hash = nb101::graph_hash(*nb101::prune(parent));
    for (int attempt = 0; attempt < 100000; ++attempt) {
      Cell c = parent;
      for (int i = 0; i < c.n - 1; ++i)
        for (int j = i + 1; j < c.n; ++j)
          if (rng() % 7 == 0) flip(c, i, j);
      for (int v = 1; v < c.n - 1; ++v)
        if (rng() % 3 == 0) {
          const auto shift = 1 + rng() % 2;  // one of the two other ops
          int k = 0;
          while (kInteriorOps[k] != c.ops[v]) ++k;
          c.ops[v] = kInteriorOps[(k + shift) % 3];
        }
      if (valid(c) && nb101::graph_hash(*nb101::prune(c)) != parent_hash) return nb101::to_json(c);
    }
    throw Error("nb101 arch '" + std::string(canonical) + "'", "no valid changed mutation found in 100000 draws");
  }

  // NASLib get_nbhd (without its shuffle): op changes on vertices of the pruned cell, then
  // removal of every edge on an input -> output path and addition of every edge that lands
  // on one; only valid cells.
  std::vector<std::string> neighbours(std::string_view canonical) const override {
    const Cell c = padded7(nb101::parse(canonical));
    std::vector<std::string> out;
    const unsigned used = on_path(c);
    for (int v = 1; v < c.n - 1; ++v)
      if (used >> v & 1u)
        for (auto op : kInteriorOps)
          if (op != c.ops[v]) {
            Cell m = c;
            m.ops[v] = op;
            if (valid(m)) out.push_back(nb101::to_json(m));
          }
    for (int i = 0; i < c.n - 1; ++i)
      for (int j = i + 1; j < c.n; ++j) {
        Cell m = c;
        flip(m, i, j);
        const bool keep = c.edge(i, j) ? edge_used(c, i, j) : edge_used(m, i, j);
        if (keep && valid(m)) out.push_back(nb101::to_json(m));
      }
    return out;
  }

  // Digest of NAS-Bench-101's graph hash of the pruned cell (nb101::graph_hash).
  std::string structural_hash(std::string_view canonical) const override {
    return "nb101:" + nb101::graph_hash(*nb101::prune(nb101::parse(canonical))).hex();
  }
  // Equal hashes = isomorphic pruned cells, and compile() builds the pruned cell, so the
  // networks are the same graph up to vertex order -- except for channel counts: when the
  // output's interior fan-in does not divide a cell's channels, the remainder goes to the
  // lowest-numbered vertices feeding the output (vertex_channels, as in the authors'
  // model_builder.py), so isomorphic specs can differ by a channel on different ops. Only
  // when every stack's channels divide evenly (fan-in 1, 2, 4 at 128/256/512) are the
  // parameter and FLOP counts equal across the class. Weight- and data-dependent proxies
  // differ with the initialisation and are never listed.
  std::vector<std::string> hash_invariant_proxies(std::string_view canonical) const override {
    const auto pruned = nb101::prune(nb101::parse(canonical));
    if (!pruned) return {};
    int fan_in = 0;
    for (int v = 1; v < pruned->n - 1; ++v) fan_in += pruned->edge(v, pruned->n - 1);
    if (fan_in == 0) return {"params", "flops"};  // input -> output only: one graph
    const auto cfg = nb101::config_for("cifar10");
    for (int s = 0; s < cfg.stacks; ++s)
      if ((cfg.stem_channels << s) % fan_in != 0) return {};
    return {"params", "flops"};
  }

  NetGraph compile(std::string_view canonical, std::string_view dataset) const override {
    return nb101::build(nb101::parse(canonical), nb101::config_for(resolve_dataset(dataset)));
  }

 private:
  static constexpr std::uint64_t kSize = 423624;  // Ying et al. 2019, Table 1 / generate_graphs.py
};

}  // namespace

std::unique_ptr<Space> make_nb101_space() { return std::make_unique<Nb101Space>(); }

}  // namespace zcnas::spaces
