// Shared training loop and model-file helpers of the from-scratch surrogates (rank_trainer.hpp).
#include "zcnas/predictors/rank_trainer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "zcnas/common/error.hpp"
#include "zcnas/predictors/losses.hpp"
#include "zcnas/predictors/rank_metrics.hpp"
#include "zcnas/proxies/parallel.hpp"

namespace zcnas::predictors {

bool RankTrainOptions::read(const std::string& who, const std::string& k, const nlohmann::json& v) {
  try {
    if (k == "seed") seed = v.get<std::uint64_t>();
    else if (k == "epochs") epochs = v.get<int>();
    else if (k == "batch_size") batch_size = v.get<int>();
    else if (k == "lr") lr = v.get<double>();
    else if (k == "weight_decay") weight_decay = v.get<double>();
    else if (k == "margin") margin = v.get<double>();
    else if (k == "regression_weight") regression_weight = v.get<double>();
    else if (k == "val_fraction") val_fraction = v.get<double>();
    else if (k == "patience") patience = v.get<int>();
    else return false;
  } catch (const nlohmann::json::exception&) {
    throw Error(who, "setting '" + k + "' has the wrong type: " + v.dump());
  }
  return true;
}

void read_settings_object(const std::string& who, const nlohmann::json& j,
                          const std::function<bool(const std::string&, const nlohmann::json&)>& read_key,
                          const std::string& known) {
  if (j.is_null()) return;
  if (!j.is_object()) throw Error(who, "settings must be a JSON object, got " + j.dump());
  for (const auto& [k, v] : j.items()) {
    bool ok = false;
    try {
      ok = read_key(k, v);
    } catch (const nlohmann::json::exception&) {
      throw Error(who, "setting '" + k + "' has the wrong type: " + v.dump());
    }
    if (!ok) throw Error(who, "unknown setting '" + k + "'", "settings: " + known);
  }
}

void RankTrainOptions::check(const std::string& who) const {
  if (epochs < 1 || batch_size < 2 || patience < 1)
    throw Error(who, "epochs and patience must be >= 1, batch_size >= 2");
  if (!(lr > 0) || weight_decay < 0 || !(margin >= 0) || regression_weight < 0)
    throw Error(who, "lr must be positive; weight_decay, margin and regression_weight >= 0");
  if (!(val_fraction >= 0 && val_fraction < 1)) throw Error(who, "val_fraction must be in [0, 1)");
}

void RankTrainOptions::write(nlohmann::json& j) const {
  j["seed"] = seed, j["epochs"] = epochs, j["batch_size"] = batch_size, j["lr"] = lr;
  j["weight_decay"] = weight_decay, j["margin"] = margin, j["regression_weight"] = regression_weight;
  j["val_fraction"] = val_fraction, j["patience"] = patience;
}

const char* RankTrainOptions::keys() {
  return "seed, epochs, batch_size, lr, weight_decay, margin, regression_weight, val_fraction, patience";
}

nlohmann::json RankTrainResult::to_json() const {
  nlohmann::json j{{"n_fit", n_fit}, {"n_val", n_val}, {"epochs_run", epochs_run}, {"best_epoch", best_epoch},
                   {"final_train_loss", final_train_loss}};
  j["best_val_kendall"] = std::isnan(best_val_kendall) ? nlohmann::json(nullptr) : nlohmann::json(best_val_kendall);
  return j;
}

namespace {

// Parameters and buffers by name, cloned (the early-stopping snapshot).
std::vector<std::pair<std::string, torch::Tensor>> snapshot(const torch::nn::Module& net) {
  std::vector<std::pair<std::string, torch::Tensor>> s;
  for (const auto& p : net.named_parameters()) s.emplace_back(p.key(), p.value().detach().clone());
  for (const auto& b : net.named_buffers()) s.emplace_back(b.key(), b.value().detach().clone());
  return s;
}

void restore(torch::nn::Module& net, const std::vector<std::pair<std::string, torch::Tensor>>& s) {
  torch::NoGradGuard no_grad;
  auto params = net.named_parameters();
  auto buffers = net.named_buffers();
  for (const auto& [name, t] : s) {
    if (auto* p = params.find(name)) p->copy_(t);
    else if (auto* b = buffers.find(name)) b->copy_(t);
  }
}

}  // namespace

void match_blas_threads() { proxies::set_blas_threads(at::get_num_threads()); }

RankTrainResult fit_ranker(torch::nn::Module& net, const std::function<torch::Tensor(const std::vector<std::int64_t>&)>& forward,
                           const std::vector<double>& targets, const RankTrainOptions& opt) {
  const auto n = targets.size();
  if (n < 2) throw Error("training data", "fewer than 2 archs", "train on at least 2 archs (use --n-train)");
  match_blas_threads();
  RankTrainResult r;
  r.target_mean = std::accumulate(targets.begin(), targets.end(), 0.0) / static_cast<double>(n);
  double var = 0;
  for (double t : targets) var += (t - r.target_mean) * (t - r.target_mean);
  r.target_std = var > 0 ? std::sqrt(var / static_cast<double>(n)) : 1.0;
  std::vector<float> ys;
  for (double t : targets) ys.push_back(static_cast<float>((t - r.target_mean) / r.target_std));
  const auto y = torch::tensor(ys);

  // Seeded split: a shuffled order, the first n_val archs validate.
  std::mt19937_64 rng(opt.seed);
  std::vector<std::int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::size_t n_val = 0;
  if (n >= 10 && opt.val_fraction > 0)
    n_val = std::clamp<std::size_t>(static_cast<std::size_t>(std::lround(opt.val_fraction * static_cast<double>(n))), 2, n - 2);
  std::vector<std::int64_t> val(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_val));
  std::vector<std::int64_t> fit(order.begin() + static_cast<std::ptrdiff_t>(n_val), order.end());
  std::vector<double> val_truth;
  for (auto i : val) val_truth.push_back(ys[static_cast<std::size_t>(i)]);
  r.n_fit = fit.size(), r.n_val = n_val;

  auto val_kendall = [&] {
    torch::NoGradGuard no_grad;
    net.eval();
    std::vector<double> pred;
    for (std::size_t b = 0; b < val.size(); b += 256) {
      std::vector<std::int64_t> idx(val.begin() + static_cast<std::ptrdiff_t>(b),
                                    val.begin() + static_cast<std::ptrdiff_t>(std::min(val.size(), b + 256)));
      auto p = forward(idx).to(torch::kFloat64).contiguous();
      pred.insert(pred.end(), p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
    }
    net.train();
    const double tau = kendall_tau_b(pred, val_truth);
    return std::isnan(tau) ? -1.0 : tau;  // constant predictions rank nothing
  };

  torch::optim::AdamW adam(net.parameters(), torch::optim::AdamWOptions(opt.lr).weight_decay(opt.weight_decay));
  net.train();
  r.best_val_kendall = n_val ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  auto best = snapshot(net);
  int since_best = 0;
  const auto bs = static_cast<std::size_t>(opt.batch_size);
  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    std::shuffle(fit.begin(), fit.end(), rng);
    double sum = 0;
    int batches = 0;
    for (std::size_t b = 0; b < fit.size(); b += bs) {
      const auto e = std::min(fit.size(), b + bs);
      if (e - b < 2) continue;  // a pairwise loss needs two archs
      std::vector<std::int64_t> idx(fit.begin() + static_cast<std::ptrdiff_t>(b), fit.begin() + static_cast<std::ptrdiff_t>(e));
      auto pred = forward(idx);
      auto target = y.index_select(0, torch::tensor(idx));
      auto loss = pairwise_hinge(pred, target, opt.margin);
      if (opt.regression_weight > 0) loss = loss + opt.regression_weight * torch::mse_loss(pred, target);
      adam.zero_grad();
      loss.backward();
      adam.step();
      sum += loss.item<double>();
      ++batches;
    }
    r.final_train_loss = batches ? sum / batches : 0;
    r.epochs_run = epoch;
    if (!n_val) continue;
    const double tau = val_kendall();
    if (tau > r.best_val_kendall) {
      r.best_val_kendall = tau, r.best_epoch = epoch, since_best = 0;
      best = snapshot(net);
    } else if (++since_best >= opt.patience) {
      break;
    }
  }
  if (n_val) restore(net, best);
  else r.best_epoch = r.epochs_run;
  net.eval();
  return r;
}

void save_model_archive(const torch::nn::Module& net, const nlohmann::json& metadata, const std::string& path) {
  torch::serialize::OutputArchive ar;
  net.save(ar);
  ar.write("zcnas_metadata", c10::IValue(metadata.dump()));
  try {
    ar.save_to(path);
  } catch (const c10::Error&) {
    throw Error(path, "cannot write the model file", "check the folder exists and is writable");
  }
}

void load_model_weights(torch::nn::Module& net, const std::string& path) {
  torch::serialize::InputArchive ar;
  try {
    ar.load_from(path);
    net.load(ar);
  } catch (const c10::Error& e) {
    std::string m = e.what();
    if (auto nl = m.find('\n'); nl != std::string::npos) m.resize(nl);
    throw Error(path, "model weights do not match its metadata: " + m, "retrain the model");
  }
}

}  // namespace zcnas::predictors
