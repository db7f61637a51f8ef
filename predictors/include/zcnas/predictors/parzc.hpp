#pragma once
// ParZC (Dong et al., "ParZC: Parametric Zero-Cost Proxies for Efficient NAS",
// arXiv 2402.02105): MABN, a Mixer-style network with Bayesian linear layers, reading
// node-wise zero-cost statistics (proxies/node_stats.hpp) and trained with DiffKendall.
//
// We build the zero-cost-only variant: the reference repository (pprp/PicoNAS) mixes
// MABN into a graph transformer for NB101/201 (piconas/predictor/pinat/pinat_model.py,
// class ParZCBMM, line 1706; its BaysianMLPMixer at line 1486 is instantiated by
// EncoderBlock at lines 1629-1639) but also ships MABN alone with a regression head
// (exps/nds/parzc.py, class BaysianMLPMixer, used by exps/nds/runner.py). Ours follows
// that one, with the sizes EncoderBlock uses:
//   project  Linear(input_dim -> 256)                          (sequence_length=256)
//   patches  256 -> 16 patches of 16                           (patch_size=16)
//   embed    BayesianLinear(16 -> dim=512)
//   depth=4 blocks: x + FF(LN(x), x4) then x + FF(LN(x), x0.5), FF = Linear-GELU-Linear,
//            dropout 0.0 (EncoderBlock passes dropout=0.0)
//   LayerNorm, mean over patches, head BayesianLinear(dim -> dim),
//   regressor Linear(dim -> dim/2, no bias), Dropout(0.1), Linear(dim/2 -> 1, no bias)
//            (exps/nds/parzc.py lines 110-122).
// As in the reference, both sub-blocks of a mixer block act on the channel dimension
// (neither transposes to mix across patches); we keep that.
// BayesianLinear (pinat_model.py lines 1420-1445): W = mu + softplus(rho) * eps, eps ~ N(0,1)
// drawn anew at every forward, mu kaiming-uniform(a=sqrt(5)), rho = -5, no bias.
// KL term: the reference code has none; we add kl_weight * KL(N(mu, sigma^2) || N(0, 1))
// averaged over the Bayesian weights (Blundell et al. 2015 form) -- our choice of prior
// and weight, not taken from the paper. `bayes: false` makes them plain linear layers.
// Training (exps/runner/runner_pinat_rank.py and scripts/run_nb201_parzc.sh): Adam,
// lr 1e-4, weight decay 1e-3, cosine annealing over the epochs, 100 epochs, batch 32.
// Targets are standardised with the training set's mean/std (kept in the metadata).
// Inference: the mean of K Monte-Carlo forward passes (eval mode, fresh eps each) and
// their standard deviation as the uncertainty; eps comes from a generator seeded by
// the model seed, so predictions are deterministic.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "zcnas/predictors/predictor.hpp"

namespace zcnas::predictors {

struct ParzcSettings {
  std::uint64_t seed = 0;
  std::string loss = "diffkendall";  // diffkendall | mse | hinge
  double alpha = 0.5;                // DiffKendall smoothing
  double margin = 0.1;               // hinge margin (standardised targets)
  bool bayes = true;
  bool fisher = false;               // node statistics: add fisher
  int epochs = 100;
  int batch_size = 32;
  double lr = 1e-4;
  double weight_decay = 1e-3;
  double kl_weight = 1e-4;
  int mc_samples = 20;
  int dim = 512, depth = 4, sequence_length = 256, patch_size = 16;
  double dropout = 0.1;              // regressor dropout
  std::int64_t max_nodes = 0;        // feature layout: nodes per statistic (0: set by train)
  // Where training and inference run (cpu, cuda, cuda:N). Not part of the model: the
  // Monte-Carlo noise comes from a CPU generator on every device, and a CUDA-trained
  // model evaluated on a machine without a GPU runs on the CPU.
  std::string device = "cpu";

  // Reads a settings object (unknown keys and bad values are zcnas::Errors).
  static ParzcSettings from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

// Factory for the registry ("parzc").
PredictorPtr make_parzc(const nlohmann::json& settings);

}  // namespace zcnas::predictors
