#pragma once
// Constant tables of the transformer ops, shared by the executor and the ONNX writer (private to
// spaces/). Built in double; callers cast.
#include <torch/torch.h>

#include <cmath>
#include <cstdint>

namespace zcnas::spaces::detail {

// FlexiBERT's linear transforms (netgraph.hpp LinearTransformAttr). which 0/1: cos/sin(2 pi k j / n),
// so the real part of fft2(X) is C X C - S X S; which 2: torch-dct's DCT-II with norm=None,
// M[k, j] = 2 cos(pi k (2j + 1) / 2n), so dct_2d(X) = M_T X M_d^T.
inline torch::Tensor transform_matrix(std::int64_t n, int which) {
  auto m = torch::empty({n, n}, torch::kFloat64);
  auto acc = m.accessor<double, 2>();
  const double pi = std::acos(-1.0), nn = static_cast<double>(n);
  for (std::int64_t k = 0; k < n; ++k)
    for (std::int64_t j = 0; j < n; ++j) {
      const double ang = 2.0 * pi * static_cast<double>((k * j) % n) / nn;
      acc[k][j] = which == 0   ? std::cos(ang)
                  : which == 1 ? std::sin(ang)
                               : 2.0 * std::cos(pi * static_cast<double>(k) * (2.0 * static_cast<double>(j) + 1.0) / (2.0 * nn));
    }
  return m;
}

// Sinusoidal positions (Vaswani et al. 2017): PE[t, 2i] = sin(t / 10000^(2i/D)), PE[t, 2i+1] = cos(same).
inline torch::Tensor sinusoid_table(std::int64_t t, std::int64_t d) {
  auto pe = torch::empty({t, d}, torch::kFloat64);
  auto acc = pe.accessor<double, 2>();
  for (std::int64_t p = 0; p < t; ++p)
    for (std::int64_t i = 0; i < d; ++i) {
      const double freq = std::pow(10000.0, -static_cast<double>(i - i % 2) / static_cast<double>(d));
      acc[p][i] = i % 2 ? std::cos(static_cast<double>(p) * freq) : std::sin(static_cast<double>(p) * freq);
    }
  return pe;
}

}  // namespace zcnas::spaces::detail
