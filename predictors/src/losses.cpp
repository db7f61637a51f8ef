#include "zcnas/predictors/losses.hpp"

#include "zcnas/common/error.hpp"

namespace zcnas::predictors {

namespace {
void check_pair(const torch::Tensor& x, const torch::Tensor& y, const char* who) {
  if (x.dim() != 1 || y.dim() != 1 || x.size(0) != y.size(0))
    throw Error(who, "needs two 1-D tensors of equal length", "flatten predictions and targets to [n]");
  if (x.size(0) < 2) throw Error(who, "needs at least two samples (it compares pairs)", "use a batch of 2 or more");
}
}  // namespace

torch::Tensor diff_kendall(const torch::Tensor& x, const torch::Tensor& y, double alpha) {
  check_pair(x, y, "diffkendall");
  const auto n = x.size(0);
  auto dx = x.unsqueeze(1) - x.unsqueeze(0);
  auto dy = y.unsqueeze(1) - y.unsqueeze(0);
  // sigmoid(a d) - sigmoid(-a d) == tanh(a d / 2); the diagonal is 0 (d = 0).
  auto num = torch::tanh(dx * (alpha / 2)) * torch::tanh(dy * (alpha / 2));
  return num.sum() / static_cast<double>(n * (n - 1));
}

torch::Tensor pairwise_hinge(const torch::Tensor& x, const torch::Tensor& y, double margin) {
  check_pair(x, y, "hinge loss");
  auto dx = x.unsqueeze(1) - x.unsqueeze(0);                 // x_i - x_j
  auto better = (y.unsqueeze(1) > y.unsqueeze(0)).to(x.dtype());  // y_i > y_j
  auto pairs = better.sum().clamp_min(1.0);
  return (torch::relu(margin - dx) * better).sum() / pairs;
}

void check_loss_name(const std::string& name) {
  if (name != "diffkendall" && name != "mse" && name != "hinge")
    throw Error("loss '" + name + "'", "unknown loss", "use diffkendall, mse or hinge");
}

torch::Tensor ranking_loss(const std::string& name, const torch::Tensor& pred, const torch::Tensor& target, double alpha,
                           double margin) {
  check_loss_name(name);
  if (name == "mse") return torch::mse_loss(pred, target);
  if (name == "hinge") return pairwise_hinge(pred, target, margin);
  return -diff_kendall(pred, target, alpha);
}

}  // namespace zcnas::predictors
