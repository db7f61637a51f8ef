// ParZC: DiffKendall against Kendall's tau, gradients, model files, and training on
// real NB201 node statistics (ground truth from benchdata's nasbench201.csv).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <numeric>
#include <filesystem>
#include <random>

#include "zcnas/common/csv.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/predictors/losses.hpp"
#include "zcnas/predictors/parzc.hpp"
#include "zcnas/predictors/predictor.hpp"
#include "zcnas/predictors/rank_metrics.hpp"
#include "zcnas/proxies/batch.hpp"
#include "zcnas/proxies/cifar10.hpp"
#include "zcnas/proxies/node_stats.hpp"
#include "zcnas/proxies/registry.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas;
using Catch::Detail::Approx;
namespace fs = std::filesystem;

namespace {
std::vector<double> to_vec(const torch::Tensor& t) {
  auto c = t.to(torch::kFloat64).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

// A small MABN so tests run in seconds (the defaults are the reference sizes).
nlohmann::json small_settings(std::uint64_t seed) {
  return {{"seed", seed}, {"dim", 32}, {"depth", 1}, {"sequence_length", 64}, {"patch_size", 8},
          {"epochs", 40}, {"batch_size", 16}, {"lr", 1e-3}, {"mc_samples", 8}};
}

// Synthetic node-stats records: 3 statistics over `nodes` nodes.
nlohmann::json synthetic_record(std::mt19937_64& rng, int nodes, double signal) {
  std::normal_distribution<double> n01;
  nlohmann::json j;
  std::vector<std::int64_t> numel(static_cast<std::size_t>(nodes), 100);
  j["numel"] = numel;
  for (const char* name : {"grad_norm", "snip", "synflow"}) {
    std::vector<double> v;
    for (int i = 0; i < nodes; ++i) v.push_back(n01(rng) + (i == 2 ? signal : 0.0));
    j[name] = v;
  }
  return j;
}

struct TempFile {
  fs::path path = fs::temp_directory_path() / ("zcnas_parzc_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++) + ".pt");
  ~TempFile() { fs::remove(path); }
  static int& counter() {
    static int c = 0;
    return c;
  }
};
}  // namespace

TEST_CASE("DiffKendall tends to Kendall's tau as alpha grows", "[predictors][parzc][loss]") {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n01;
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<double> x, y;
    for (int i = 0; i < 40; ++i) {
      x.push_back(n01(rng));
      y.push_back(0.5 * x.back() + n01(rng));  // continuous: no ties, so tau-a == tau-b
    }
    const double tau = predictors::kendall_tau_b(x, y);
    auto tx = torch::tensor(x, torch::kFloat64), ty = torch::tensor(y, torch::kFloat64);
    // Far from tau at the default alpha, within 1e-6 once every pair's difference is
    // far outside tanh's linear range.
    CHECK(std::abs(predictors::diff_kendall(tx, ty, 0.5).item<double>() - tau) > 0.05);
    CHECK(std::abs(predictors::diff_kendall(tx, ty, 50.0).item<double>() - tau) < 0.05);
    CHECK(predictors::diff_kendall(tx, ty, 5e6).item<double>() == Approx(tau).margin(1e-6));
    // alpha = 0.5 (the default) is a smoothed value of the same sign, smaller in size.
    const double dk05 = predictors::diff_kendall(tx, ty, 0.5).item<double>();
    CHECK(std::abs(dk05) < std::abs(tau));
    CHECK(dk05 * tau > 0);
  }
}

TEST_CASE("ranking losses: finite gradients, right direction, bad input", "[predictors][parzc][loss]") {
  auto target = torch::tensor({1.0, 3.0, 2.0, 5.0, 4.0});
  for (const char* name : {"diffkendall", "mse", "hinge"}) {
    auto pred = torch::tensor({0.3, -0.1, 0.2, 0.0, 0.5}).requires_grad_(true);
    auto loss = predictors::ranking_loss(name, pred, target);
    loss.backward();
    INFO(name);
    REQUIRE(pred.grad().defined());
    for (double g : to_vec(pred.grad())) CHECK(std::isfinite(g));
    // One gradient step lowers the loss.
    auto stepped = (pred.detach() - 0.05 * pred.grad()).requires_grad_(true);
    CHECK(predictors::ranking_loss(name, stepped, target).item<double>() < loss.item<double>());
  }
  // Perfectly ordered predictions: zero hinge loss with a margin below the gaps.
  CHECK(predictors::pairwise_hinge(target * 10, target, 0.1).item<double>() == 0.0);
  CHECK_THROWS_AS(predictors::ranking_loss("kendal", target, target), Error);
  CHECK_THROWS_AS(predictors::diff_kendall(torch::ones({1}), torch::ones({1})), Error);
  CHECK_THROWS_AS(predictors::diff_kendall(torch::ones({3}), torch::ones({4})), Error);
}

TEST_CASE("parzc: settings are checked", "[predictors][parzc]") {
  CHECK_THROWS_AS(predictors::make_predictor("parzc", {{"dimm", 3}}), Error);
  CHECK_THROWS_AS(predictors::make_predictor("parzc", {{"loss", "l1"}}), Error);
  CHECK_THROWS_AS(predictors::make_predictor("parzc", {{"sequence_length", 60}, {"patch_size", 16}}), Error);
  CHECK_THROWS_AS(predictors::make_predictor("parzc", {{"epochs", "ten"}}), Error);
  CHECK_THROWS_AS(predictors::make_predictor("transformer"), Error);
  CHECK_THROWS_AS(predictors::read_model_metadata("/nonexistent/model.pt"), Error);
}

TEST_CASE("parzc: save/load round trip gives identical predictions; uncertainty", "[predictors][parzc]") {
  std::mt19937_64 rng(11);
  predictors::TrainingData d;
  std::normal_distribution<double> n01;
  for (int i = 0; i < 48; ++i) {
    const double s = n01(rng);
    d.keys.push_back("arch" + std::to_string(i));
    d.features.push_back(synthetic_record(rng, 10, s));
    d.targets.push_back(s);
  }
  std::vector<nlohmann::json> test;
  for (int i = 0; i < 20; ++i) test.push_back(synthetic_record(rng, 9, n01(rng)));  // fewer nodes: padded

  for (bool bayes : {true, false}) {
    auto settings = small_settings(5);
    settings["bayes"] = bayes;
    settings["epochs"] = 5;
    auto a = predictors::make_predictor("parzc", settings);
    a->train(d);
    const auto pa = a->predict(test);
    TempFile f;
    a->save(f.path.string());
    auto b = predictors::load_predictor(f.path.string());
    const auto pb = b->predict(test);
    REQUIRE(pa.size() == pb.size());
    for (std::size_t i = 0; i < pa.size(); ++i) {
      CHECK(pa[i].mean == pb[i].mean);
      CHECK(pa[i].std == pb[i].std);
      if (bayes) CHECK(pa[i].std > 0);  // Monte-Carlo spread of the Bayesian layers
      else CHECK(pa[i].std == 0);
    }
    // Same seed, same model: training is deterministic.
    auto c = predictors::make_predictor("parzc", settings);
    c->train(d);
    CHECK(c->predict(test)[0].mean == pa[0].mean);
    const auto meta = predictors::read_model_metadata(f.path.string());
    CHECK(meta.at("kind") == "parzc");
    CHECK(meta.at("trained_on").size() == 48);
    CHECK(meta.at("feature").at("kind") == "node_stats");
  }
}

TEST_CASE("parzc: training on real NB201 node statistics improves Kendall tau", "[predictors][parzc][nb201]") {
  torch::set_num_threads(1);
  const auto csv = CsvTable::read_file(std::string(ZCNAS_BENCHDATA_DIR) + "/nasbench201.csv");
  const auto c_arch = csv.column("arch_str"), c_acc = csv.column("val_acc_cifar10");
  const auto& nb201 = spaces::get_space("nb201");
  const auto pool = proxies::read_cifar10(std::string(ZCNAS_BENCHDATA_DIR) + "/cifar10");
  // 60 archs drawn with a fixed seed: 30 to train on, 30 held out.
  std::vector<std::size_t> rows(csv.rows());
  std::iota(rows.begin(), rows.end(), 0);
  std::mt19937_64 rng(2024);
  std::shuffle(rows.begin(), rows.end(), rng);
  rows.resize(60);
  predictors::TrainingData train;
  std::vector<nlohmann::json> held_feats;
  std::vector<double> held_truth;
  proxies::BatchOptions bo;
  bo.batch_size = 8;
  for (std::size_t n = 0; n < rows.size(); ++n) {
    const auto graph = nb201.compile(nb201.canonical(csv.row(rows[n])[c_arch]), "cifar10");
    proxies::ProxyContext ctx(graph, proxies::make_batch(pool, graph, bo), 0);
    const auto rec = proxies::node_stats(ctx).to_json();
    const double acc = csv.number(rows[n], c_acc);
    if (n < 30) train.keys.push_back(csv.row(rows[n])[0]), train.features.push_back(rec), train.targets.push_back(acc);
    else held_feats.push_back(rec), held_truth.push_back(acc);
  }
  auto settings = small_settings(1);
  settings["max_nodes"] = proxies::max_metric_nodes(nb201, "cifar10").nodes;
  auto tau_of = [&](const predictors::Predictor& p) {
    std::vector<double> m;
    for (const auto& pr : p.predict(held_feats)) m.push_back(pr.mean);
    return predictors::kendall_tau_b(m, held_truth);
  };
  auto init_only = settings;
  init_only["epochs"] = 1;
  init_only["lr"] = 1e-12;
  auto untrained = predictors::make_predictor("parzc", init_only);
  untrained->train(train);  // one step at lr ~ 0: the initial weights
  auto trained = predictors::make_predictor("parzc", settings);
  trained->train(train);
  const double before = tau_of(*untrained), after = tau_of(*trained);
  INFO("tau untrained " << before << ", trained " << after);
  CHECK(after > before + 0.1);
  CHECK(after > 0.3);
}
