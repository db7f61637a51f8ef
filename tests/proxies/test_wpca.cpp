// W-PCA's core (proxies/wpca.hpp) against numpy and hand-made cases.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>

#include "zcnas/common/error.hpp"
#include "zcnas/proxies/wpca.hpp"

using namespace zcnas::proxies;

namespace {

// The LCG of tools/reference/wpca_numpy.py, bit for bit.
struct Lcg {
  std::uint64_t x;
  double uniform() {
    x = 6364136223846793005ULL * x + 1442695040888963407ULL;
    return static_cast<double>(x >> 11) / static_cast<double>(1ULL << 53);
  }
};

// wpca_numpy.py's matrix(seed, n, d, rank, decay, noise), cast to float32 as there.
Eigen::MatrixXf lcg_matrix(std::uint64_t seed, int n, int d, int rank, double decay, double noise) {
  Lcg g{seed};
  Eigen::MatrixXd a(n, rank), b(rank, d), e(n, d);
  for (int i = 0; i < n; ++i)
    for (int r = 0; r < rank; ++r) a(i, r) = (2 * g.uniform() - 1) * std::pow(decay, r);
  for (int r = 0; r < rank; ++r)
    for (int j = 0; j < d; ++j) b(r, j) = 2 * g.uniform() - 1;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) e(i, j) = 2 * g.uniform() - 1;
  return (a * b + noise * e).cast<float>();
}

}  // namespace

TEST_CASE("PCA_dim equals numpy's (ra225/W-PCA pca) on fixed matrices", "[wpca]") {
  // Golden values: /usr/bin/python3 tools/reference/wpca_numpy.py (numpy 1.24, Debian 12).
  struct Case {
    std::uint64_t seed;
    int n, d, rank;
    double decay, noise;
    int k50, k90, k99;
    double ev0, ev1, ev2, total;
  };
  const Case cases[] = {
      {1, 200, 30, 12, 0.7, 0.01, 2, 4, 7, 2.54031332, 1.27979233, 0.77316127, 5.32359847},
      {2, 300, 64, 40, 0.9, 0.05, 3, 11, 21, 7.63526192, 4.96349626, 4.41179752, 33.6283786},
      {3, 20, 50, 15, 0.8, 0.02, 2, 5, 9, 5.34210357, 4.15372235, 1.92109012, 14.09276929},  // Gram path (n < d)
  };
  for (const auto& c : cases) {
    INFO("seed " << c.seed << ", " << c.n << " x " << c.d);
    const auto X = lcg_matrix(c.seed, c.n, c.d, c.rank, c.decay, c.noise);
    const auto ev = covariance_eigenvalues(X);
    CHECK(ev.size() == std::min(c.n, c.d));
    CHECK(ev[0] == Approx(c.ev0).epsilon(1e-7));
    CHECK(ev[1] == Approx(c.ev1).epsilon(1e-7));
    CHECK(ev[2] == Approx(c.ev2).epsilon(1e-7));
    CHECK(ev.sum() == Approx(c.total).epsilon(1e-7));
    CHECK(pca_dim(X, 0.5) == c.k50);
    CHECK(pca_dim(X, 0.9) == c.k90);
    CHECK(pca_dim(X, 0.99) == c.k99);
  }
}

TEST_CASE("PCA_dim on hand-made data: rank 1, rank r, isotropic, constant", "[wpca]") {
  SECTION("rank-1 data needs one component at any eta") {
    Eigen::MatrixXf X(100, 40);
    for (int i = 0; i < 100; ++i)
      for (int j = 0; j < 40; ++j) X(i, j) = static_cast<float>(std::sin(0.1 * i + 0.3) * (j - 17.5));
    CHECK(pca_dim(X, 0.5) == 1);
    CHECK(pca_dim(X, 0.99) == 1);
    CHECK(pca_dim(X, 0.999999) == 1);
  }
  SECTION("a column offset does not change the answer (data are centred)") {
    Eigen::MatrixXf X(100, 40);
    for (int i = 0; i < 100; ++i)
      for (int j = 0; j < 40; ++j) X(i, j) = 1000.0f + static_cast<float>(std::sin(0.1 * i + 0.3) * (j - 17.5));
    CHECK(pca_dim(X, 0.99) == 1);
  }
  SECTION("three orthogonal directions of equal variance need three components past 2/3") {
    // Columns 0..2 carry independent +-1 patterns (Hadamard-like rows), the rest are zero.
    Eigen::MatrixXf X = Eigen::MatrixXf::Zero(8, 20);
    for (int i = 0; i < 8; ++i) {
      X(i, 0) = (i & 1) ? 1.f : -1.f;
      X(i, 1) = (i & 2) ? 1.f : -1.f;
      X(i, 2) = (i & 4) ? 1.f : -1.f;
    }
    CHECK(pca_dim(X, 0.3) == 1);
    CHECK(pca_dim(X, 0.6) == 2);
    CHECK(pca_dim(X, 0.7) == 3);
    CHECK(pca_dim(X, 0.99) == 3);
  }
  SECTION("isotropic data: k close to eta * d") {
    // Many iid rows: the sample covariance is close to the identity, so the share of k
    // components is close to k / d and PCA_dim(eta) ~ eta * d (a little less, since the
    // sample eigenvalues spread around 1 and the largest come first).
    const int d = 64;
    Eigen::MatrixXf iid(20000, d);
    Lcg g{11};
    for (int i = 0; i < iid.rows(); ++i)
      for (int j = 0; j < d; ++j) iid(i, j) = static_cast<float>(2 * g.uniform() - 1);
    for (double eta : {0.5, 0.9, 0.99}) {
      INFO("eta " << eta);
      const int k = pca_dim(iid, eta);
      CHECK(k <= static_cast<int>(std::ceil(eta * d)) + 1);
      CHECK(k >= static_cast<int>(std::floor(eta * d)) - 3);
    }
  }
  SECTION("constant data has no variance: 0 components") {
    Eigen::MatrixXf X = Eigen::MatrixXf::Constant(10, 5, 3.f);
    CHECK(pca_dim(X, 0.99) == 0);
  }
}

TEST_CASE("components_for_variance: strict 'more than eta', clamped, checked", "[wpca]") {
  Eigen::VectorXd ev(4);
  ev << 5, 3, 2, 0;  // shares 0.5, 0.8, 1.0, 1.0
  CHECK(components_for_variance(ev, 0.49) == 1);
  CHECK(components_for_variance(ev, 0.5) == 2);  // exactly eta is not enough (reference: accum <= eta continues)
  CHECK(components_for_variance(ev, 0.8) == 3);
  CHECK(components_for_variance(ev, 0.999) == 3);
  Eigen::VectorXd neg(3);
  neg << 2, 2, -1e-12;  // rounding below zero counts as zero
  CHECK(components_for_variance(neg, 0.99) == 2);
  CHECK_THROWS_AS(components_for_variance(ev, 1.0), zcnas::Error);
  CHECK_THROWS_AS(components_for_variance(ev, 0.0), zcnas::Error);
  CHECK_THROWS_AS(pca_dim(Eigen::MatrixXf::Zero(1, 4), 0.99), zcnas::Error);
}

TEST_CASE("combine_pca_dims: the paper's sum, the reference code's mean", "[wpca]") {
  CHECK(combine_pca_dims({10, 20, 30}, PcaCombine::Sum) == 60.0);
  CHECK(combine_pca_dims({10, 20, 30}, PcaCombine::Mean) == 20.0);
  CHECK_THROWS_AS(combine_pca_dims({}, PcaCombine::Sum), zcnas::Error);
}
