// W-PCA time per FlexiBERT arch beside a forward pass (issue 10), google-benchmark.
//
//   bench_wpca [--benchmark_filter=...] [google-benchmark flags]
//   env: ZCNAS_BENCH_ARCHS (default 8: the first N rows of flexibert.csv), ZCNAS_BENCH_BATCH (32)
//
// Per arch (benchmark argument = row index), on one thread (intra-op 1):
//   Forward      one forward pass of the compiled network (with its head) on the token batch, no grad
//   WpcaProxy    the `wpca` proxy as scoring runs it: forward to the last hidden state, then the
//                layers' eigenproblems in parallel (oneTBB)
//   PcaCore      the torch-free core alone: PCA_dim of the captured first-FFN-linear outputs,
//                layer after layer (the Eigen covariance + SelfAdjointEigenSolver part)
// and the core on synthetic matrices: PcaDim/<rows>/<d> (covariance path when rows >= d,
// Gram path otherwise). Needs the fortunes corpus ($ZCNAS_TEXT_DIR or ~/.local/share/zcnas/text,
// scripts/make-text-corpus.sh) and ../shared/benchdata (run from the repository root).
#include <benchmark/benchmark.h>

#include <ATen/Parallel.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "zcnas/common/error.hpp"
#include "zcnas/proxies/batch.hpp"
#include "zcnas/proxies/registry.hpp"
#include "zcnas/proxies/scorer.hpp"
#include "zcnas/proxies/tokens.hpp"
#include "zcnas/proxies/transformer.hpp"
#include "zcnas/proxies/wpca.hpp"
#include "zcnas/spaces/executor.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas;

namespace {

long env_int(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtol(v, nullptr, 10) : fallback;
}

struct Arch {
  std::string id;
  spaces::NetGraph graph;
  proxies::Batch batch;
};

// The first N archs of flexibert.csv, compiled for `glue`, each with the same token batch.
const std::vector<Arch>& archs() {
  static const std::vector<Arch> all = [] {
    std::vector<Arch> out;
    const auto& space = spaces::get_space("flexibert");
    std::ifstream in("../shared/benchdata/flexibert.csv");
    if (!in) throw Error("../shared/benchdata/flexibert.csv", "cannot open", "run from the repository root");
    std::string line;
    std::getline(in, line);  // header
    const long n = env_int("ZCNAS_BENCH_ARCHS", 8);
    while (static_cast<long>(out.size()) < n && std::getline(in, line)) {
      Arch a;
      a.id = line.substr(0, line.find(','));
      a.graph = space.compile(space.canonical(a.id), "glue");
      proxies::BatchOptions bo;
      bo.batch_size = env_int("ZCNAS_BENCH_BATCH", 32);
      bo.seed = 0;
      a.batch = proxies::make_batch(proxies::ImageSet{}, a.graph, bo);
      out.push_back(std::move(a));
    }
    return out;
  }();
  return all;
}

void BM_Forward(benchmark::State& st) {
  const auto& a = archs().at(static_cast<std::size_t>(st.range(0)));
  spaces::TorchNet net(a.graph, 0);
  torch::NoGradGuard ng;
  for (auto _ : st) benchmark::DoNotOptimize(net->forward(a.batch.inputs));
  st.SetLabel("id " + a.id);
}

void BM_WpcaProxy(benchmark::State& st) {
  const auto& a = archs().at(static_cast<std::size_t>(st.range(0)));
  const proxies::Scorer scorer({proxies::make_proxy("wpca")});
  double v = 0;
  for (auto _ : st) v = scorer.score(a.graph, a.batch, 0).scores.at(0).value;
  st.counters["wpca"] = v;
  st.SetLabel("id " + a.id);
}

void BM_PcaCore(benchmark::State& st) {
  const auto& a = archs().at(static_cast<std::size_t>(st.range(0)));
  const auto nodes = proxies::transformer_nodes(a.graph);
  std::vector<Eigen::MatrixXf> mats;
  {
    spaces::TorchNet net(a.graph, 0);
    torch::NoGradGuard ng;
    net->forward(a.batch.inputs, [&](spaces::NodeId id, const spaces::Node&, const torch::Tensor& y) {
      for (auto f : nodes.ffn_first_linear)
        if (f == id) {
          auto m = y.reshape({-1, y.size(-1)}).contiguous();
          mats.emplace_back(Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
              m.data_ptr<float>(), m.size(0), m.size(1)));
        }
    });
  }
  int k = 0;
  for (auto _ : st) {
    k = 0;
    for (const auto& m : mats) k += proxies::pca_dim(m, 0.99);
  }
  st.counters["pca"] = k;
  st.counters["layers"] = static_cast<double>(mats.size());
  st.counters["ffn_width"] = mats.empty() ? 0.0 : static_cast<double>(mats.front().cols());
  st.SetLabel("id " + a.id);
}

void BM_PcaDim(benchmark::State& st) {
  const auto rows = st.range(0), d = st.range(1);
  Eigen::MatrixXf x = Eigen::MatrixXf::Random(rows, d);
  for (auto _ : st) benchmark::DoNotOptimize(proxies::pca_dim(x, 0.99));
}

void arch_args(benchmark::internal::Benchmark* b) {
  for (long i = 0; i < env_int("ZCNAS_BENCH_ARCHS", 8); ++i) b->Arg(i);
}

}  // namespace

BENCHMARK(BM_Forward)->Apply(arch_args)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_WpcaProxy)->Apply(arch_args)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_PcaCore)->Apply(arch_args)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_PcaDim)->Args({4096, 512})->Args({4096, 1024})->Args({256, 1024})->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  at::set_num_threads(1);
  benchmark::Initialize(&argc, argv);
  try {
    archs();
  } catch (const std::exception& e) {
    std::cerr << "bench_wpca: " << e.what() << "\n";
    return 2;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
