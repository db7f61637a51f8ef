// W-PCA's torch-free core (wpca.hpp): covariance eigenvalues and PCA_dim.
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <numeric>
#include <string>

#include "zcnas/common/error.hpp"
#include "zcnas/proxies/wpca.hpp"

namespace zcnas::proxies {

Eigen::VectorXd eigenvalues_of_covariance(const Eigen::Ref<const Eigen::MatrixXd>& cov) {
  if (cov.rows() != cov.cols() || cov.rows() == 0)
    throw Error("covariance", "not a non-empty square matrix (" + std::to_string(cov.rows()) + " x " +
                                  std::to_string(cov.cols()) + ")");
  // Eigenvalues only (no eigenvectors): Householder tridiagonalisation + implicit QL,
  // reading the lower triangle. Eigen returns them in increasing order.
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(cov, Eigen::EigenvaluesOnly);
  if (es.info() != Eigen::Success) throw Error("covariance", "the symmetric eigensolver did not converge");
  return es.eigenvalues().reverse();
}

Eigen::VectorXd covariance_eigenvalues(const Eigen::Ref<const Eigen::MatrixXf>& X) {
  const Eigen::Index n = X.rows(), d = X.cols();
  if (n < 2 || d < 1)
    throw Error("PCA input", std::to_string(n) + " x " + std::to_string(d) + " matrix: a covariance needs at least 2 rows and 1 column");
  // Centre the columns in double precision (the float32 activations can have a large
  // common offset relative to their spread).
  const Eigen::MatrixXd Xc = X.cast<double>().rowwise() - X.cast<double>().colwise().mean();
  const double scale = 1.0 / static_cast<double>(n - 1);
  Eigen::MatrixXd M;
  if (n >= d) {  // d x d covariance, lower triangle by a symmetric rank-n update
    M = Eigen::MatrixXd::Zero(d, d);
    M.selfadjointView<Eigen::Lower>().rankUpdate(Xc.transpose(), scale);
  } else {       // Gram trick: Xc Xc^T / (n-1) has the covariance's non-zero eigenvalues
    M = Eigen::MatrixXd::Zero(n, n);
    M.selfadjointView<Eigen::Lower>().rankUpdate(Xc, scale);
  }
  return eigenvalues_of_covariance(M);
}

int components_for_variance(const Eigen::Ref<const Eigen::VectorXd>& eigen_desc, double eta) {
  if (!(eta > 0.0 && eta < 1.0)) throw Error("eta " + std::to_string(eta), "must lie strictly between 0 and 1");
  double total = 0.0;
  for (Eigen::Index i = 0; i < eigen_desc.size(); ++i) total += std::max(eigen_desc[i], 0.0);
  if (!(total > 0.0)) return 0;
  double accum = 0.0;
  for (Eigen::Index i = 0; i < eigen_desc.size(); ++i) {
    accum += std::max(eigen_desc[i], 0.0) / total;
    if (accum > eta) return static_cast<int>(i + 1);
  }
  return static_cast<int>(eigen_desc.size());
}

int pca_dim(const Eigen::Ref<const Eigen::MatrixXf>& X, double eta) {
  return components_for_variance(covariance_eigenvalues(X), eta);
}

double combine_pca_dims(const std::vector<int>& dims, PcaCombine how) {
  if (dims.empty()) throw Error("W-PCA", "no FFN layer to read", "the network has no `layers.<i>.ffn.<j>.fc1` node");
  const double sum = std::accumulate(dims.begin(), dims.end(), 0.0);
  return how == PcaCombine::Sum ? sum : sum / static_cast<double>(dims.size());
}

}  // namespace zcnas::proxies
