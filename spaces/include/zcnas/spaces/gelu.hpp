#pragma once
// Exact (erf) GELU whose backward always sees a contiguous upstream gradient. The executor's
// GELU op (erf form) and the learned surrogates (predictors/, instead of torch::gelu /
// TransformerEncoderLayer's kGELU) use it.
//
// Why: libtorch 1.13's CPU gelu_backward takes the oneDNN path when the *input* is a contiguous
// float tensor (use_mkldnn(self) in ATen/native/Activation.cpp, added by pytorch/pytorch#58525)
// but hands the gradient to oneDNN as if it were contiguous too. A transposed gradient (GELU
// followed by .transpose(), as after onnxtext's Conv1d stages) then gives wrong input gradients
// read from the wrong places / uninitialised memory: measured 2026-12-01 on Debian's
// python3-torch 1.13 (same ATen library): gelu of a [16,32,125] tensor backpropagating a
// transposed [16,125,32] gradient returned all zeros on one call and different non-zero values
// on the next, with weight gradients of the following Conv1d off by up to 1e12 against
// mkldnn disabled. That was the onnxtext "same seed, different model" bug (issue 8). The
// tanh approximation, ReLU and tanh do not take that path.
//
// Forward is torch::gelu (same kernel, same values); backward calls gelu_backward on
// grad.contiguous(), which is bit-identical to the stock backward whenever the gradient was
// contiguous already.
#include <torch/torch.h>

namespace zcnas::spaces {

struct ContiguousGradGelu : torch::autograd::Function<ContiguousGradGelu> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x) {
    ctx->save_for_backward({x});
    return torch::gelu(x);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grad) {
    const auto x = ctx->get_saved_variables()[0];
    return {torch::gelu_backward(grad[0].contiguous(), x)};
  }
};

inline torch::Tensor contiguous_grad_gelu(const torch::Tensor& x) { return ContiguousGradGelu::apply(x); }

}  // namespace zcnas::predictors
