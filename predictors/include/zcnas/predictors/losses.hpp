#pragma once
// Ranking losses for predictor training (ParZC, Dong et al., arXiv 2402.02105).
//
// DiffKendall: the differentiable Kendall tau of the ParZC paper, as the reference
// code writes it (pprp/PicoNAS piconas/core/losses/diffkd.py, `diffkendall`):
// per pair, (sigmoid(a*dx) - sigmoid(-a*dx)) * (sigmoid(a*dy) - sigmoid(-a*dy)),
// i.e. tanh(a*dx/2) * tanh(a*dy/2), averaged over pairs. Departure: the reference
// sums both orders (i,j) and (j,i) but divides by n(n-1)/2, so its value tends to
// 2*tau; we average over the n(n-1) ordered pairs, so as alpha grows the value tends
// to Kendall's tau-a (= tau-b without ties). The loss is its negative.
#include <string>
#include <torch/torch.h>

namespace zcnas::predictors {

// DiffKendall correlation of two 1-D tensors of equal length >= 2 (differentiable).
torch::Tensor diff_kendall(const torch::Tensor& x, const torch::Tensor& y, double alpha = 0.5);

// Pairwise hinge: mean over pairs with y_i > y_j of max(0, margin - (x_i - x_j)).
torch::Tensor pairwise_hinge(const torch::Tensor& x, const torch::Tensor& y, double margin = 0.1);

// The training loss by name: "diffkendall" (-diff_kendall), "mse", "hinge".
// Throws zcnas::Error naming the loss when unknown.
torch::Tensor ranking_loss(const std::string& name, const torch::Tensor& pred, const torch::Tensor& target,
                           double alpha = 0.5, double margin = 0.1);
void check_loss_name(const std::string& name);

}  // namespace zcnas::predictors
