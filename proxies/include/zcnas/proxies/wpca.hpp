#pragma once
// W-PCA (Wang, "W-PCA Based Gradient-Free Proxy for Efficient Search of Lightweight
// Language Models", ICLR 2025, arXiv 2504.15983; reference code ra225/W-PCA,
// models/pca_torch.py and models/mysupernet.py): the torch-free core.
//
// For one FFN, X holds the pre-GELU outputs of its first linear layer, one row per
// token (batch x sequence rows), one column per FFN unit (d columns). Its principal
// components are the eigenvectors of the sample covariance; PCA_dim(X, eta) is the
// smallest k whose k largest eigenvalues explain MORE than eta of the total variance
// (pca_torch.py's loop `while accum <= eta: accum += lambda_k / total` stops at the
// first k with cumulative share > eta). The proxy (wpca.cpp) sums PCA_dim over the
// layers and multiplies by the parameter count (docs/proxies.md, "W-PCA").
//
// Cost: the d x d covariance (n d^2 / 2 multiply-adds) and its eigenvalues (about
// 4 d^3 / 3 flops, Eigen's SelfAdjointEigenSolver, eigenvalues only). When there are
// fewer rows than columns (n < d) the n x n Gram matrix of the centred rows has the
// same non-zero eigenvalues and is used instead.
#include <Eigen/Core>

#include <vector>

namespace zcnas::proxies {

// Eigenvalues of the sample covariance (divisor n - 1, as numpy's np.cov) of the rows of
// X, largest first, min(n, d) of them (the rest are zero). Needs n >= 2.
Eigen::VectorXd covariance_eigenvalues(const Eigen::Ref<const Eigen::MatrixXf>& X);
// The eigenvalues of a symmetric covariance matrix, largest first.
Eigen::VectorXd eigenvalues_of_covariance(const Eigen::Ref<const Eigen::MatrixXd>& cov);

// The smallest k with (lambda_1 + .. + lambda_k) / (sum of all lambda) > eta, for
// eigenvalues sorted largest first; eta in (0, 1). Tiny negative eigenvalues (rounding)
// count as zero. 0 when the total variance is 0 (constant data: no component is
// needed; the reference code divides by zero there and returns 1 through a NaN).
// At most the number of eigenvalues (rounding can leave the cumulative share at eta).
int components_for_variance(const Eigen::Ref<const Eigen::VectorXd>& eigen_desc, double eta);

// PCA_dim(X, eta) = components_for_variance(covariance_eigenvalues(X), eta).
int pca_dim(const Eigen::Ref<const Eigen::MatrixXf>& X, double eta = 0.99);

// How the per-layer dimensions combine (settings of the `wpca` / `pca` proxies).
enum class PcaCombine {
  Sum,   // the paper: V(X) = sum over the m FFN layers of PCA_dim; W-PCA = #params x V(X)
  Mean,  // the reference code: the sum divided by the number of layers (spos.py validate2)
};
// V(X) from the per-layer dimensions.
double combine_pca_dims(const std::vector<int>& dims, PcaCombine how);

}  // namespace zcnas::proxies
