// Exhaustive enumeration of NAS-Bench-101, following the authors' generator
// (google-research/nasbench, nasbench/scripts/generate_graphs.py with graph_util.py's
// gen_is_edge_fn / is_full_dag / hash_module): 423,624 unique cells.
//
// Three steps, the parallel one written as the sequential loop plus one parallel_for:
//  1. (serial) the candidate matrices: for n = 2..7, bit masks 0 .. 2^(n(n-1)/2)-1 in order,
//     bit x + y(y-1)/2 = edge x -> y (column-major, as gen_is_edge_fn), kept when every row
//     but the last and every column but the first has an edge (is_full_dag) and there are
//     <= 9 edges. Labelled graph number `seq` = offset of its matrix + labelling index.
//  2. (parallel_for over matrices) graph_hash of every labelling.
//  3. (parallel_sort) order the labelled graphs by (hash, seq); the first of each hash is the
//     one the sequential generator keeps; output those in seq order.
// The result does not depend on the number of threads.
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_sort.h>

#include <numeric>

#include "zcnas/spaces/nb101.hpp"

namespace zcnas::spaces::nb101 {
namespace {

struct Matrix {
  std::uint8_t n = 0;
  std::array<std::uint8_t, kMaxVertices> out{};
};

constexpr std::uint8_t kLabelOp[3] = {kConv3x3, kConv1x1, kMaxPool3x3};  // the generator's labels 0, 1, 2

std::uint64_t labellings(int n) {
  std::uint64_t l = 1;
  for (int v = 1; v < n - 1; ++v) l *= 3;
  return l;
}

// Labelling `index` in itertools.product order: the first interior vertex is the most
// significant base-3 digit.
Cell labelled(const Matrix& m, std::uint64_t index) {
  Cell c;
  c.n = m.n;
  c.out = m.out;
  c.ops[0] = kInput;
  c.ops[m.n - 1] = kOutput;
  for (int v = m.n - 2; v >= 1; --v) {
    c.ops[v] = kLabelOp[index % 3];
    index /= 3;
  }
  return c;
}

std::vector<Matrix> candidate_matrices() {
  std::vector<Matrix> out;
  for (int n = 2; n <= kMaxVertices; ++n) {
    const int nbits = n * (n - 1) / 2;
    for (std::uint32_t bits = 0; bits < (1u << nbits); ++bits) {
      if (__builtin_popcount(bits) > kMaxEdges) continue;
      Matrix m;
      m.n = static_cast<std::uint8_t>(n);
      unsigned has_in = 0;
      for (int y = 1; y < n; ++y)
        for (int x = 0; x < y; ++x)
          if (bits >> (x + y * (y - 1) / 2) & 1u) {
            m.out[x] = static_cast<std::uint8_t>(m.out[x] | (1u << y));
            has_in |= 1u << y;
          }
      bool full = true;
      for (int v = 0; v < n - 1 && full; ++v) full = m.out[v] != 0;
      for (int v = 1; v < n && full; ++v) full = (has_in >> v) & 1u;
      if (full) out.push_back(m);
    }
  }
  return out;
}

}  // namespace

std::vector<Cell> enumerate_unique(std::uint64_t* labelled_count) {
  const auto mats = candidate_matrices();
  std::vector<std::uint64_t> offset(mats.size() + 1, 0);
  for (std::size_t i = 0; i < mats.size(); ++i) offset[i + 1] = offset[i] + labellings(mats[i].n);
  const std::uint64_t total = offset.back();
  if (labelled_count) *labelled_count = total;

  std::vector<Hash128> fp(total);
  // Grain 16 matrices: up to 16 x 243 hashes (~ms) per task, enough to amortise scheduling.
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, mats.size(), 16), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t i = r.begin(); i != r.end(); ++i) {
      const std::uint64_t L = offset[i + 1] - offset[i];
      for (std::uint64_t l = 0; l < L; ++l) fp[offset[i] + l] = graph_hash(labelled(mats[i], l));
    }
  });

  std::vector<std::uint32_t> order(total);
  std::iota(order.begin(), order.end(), 0u);
  tbb::parallel_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return fp[a] != fp[b] ? fp[a] < fp[b] : a < b;
  });
  std::vector<std::uint32_t> keep;
  for (std::size_t k = 0; k < order.size(); ++k)
    if (k == 0 || fp[order[k]] != fp[order[k - 1]]) keep.push_back(order[k]);
  tbb::parallel_sort(keep.begin(), keep.end());

  std::vector<Cell> cells;
  cells.reserve(keep.size());
  std::size_t m = 0;
  for (std::uint32_t seq : keep) {
    while (offset[m + 1] <= seq) ++m;
    cells.push_back(labelled(mats[m], seq - offset[m]));
  }
  return cells;
}

}  // namespace zcnas::spaces::nb101
