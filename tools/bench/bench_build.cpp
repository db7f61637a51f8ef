// How long it takes to turn an arch string into a network: parse + compile to the IR,
// then build the libtorch module (parameter allocation + seeded initialisation).
// NB201 (cifar10 head), TransNAS-Bench-101 micro (class_scene, and the autoencoder
// whose 23 M-parameter decoder dominates its build), NB101, darts, and the transformer
// spaces gpt / flexibert / autoformer; plus NB101's exhaustive
// enumeration on 1 and 2 oneTBB workers (wall time), and building on 1 and 2 threads against
// torch::nn modules (build_parallel). Peak RSS is printed at the end.
//
//   ./build/<dir>/tools/bench_build [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <oneapi/tbb/global_control.h>

#include <cstdio>

#include "zcnas/spaces/counting.hpp"
#include "zcnas/spaces/executor.hpp"
#include "zcnas/spaces/nb101.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas::spaces;

namespace {

// A fixed, seeded list of archs so every iteration does comparable work.
std::vector<std::string> archs(const Space& s, std::size_t n) {
  Rng rng(12345);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(s.sample(rng));
  return out;
}

void compile_ir(benchmark::State& state, const char* space, const char* dataset) {
  const Space& s = get_space(space);
  const auto list = archs(s, 64);
  std::size_t i = 0, nodes = 0;
  for (auto _ : state) {
    // Parse any encoding -> canonical, then compile: what a scoring worker does per candidate.
    auto g = s.compile(s.canonical(list[i++ % list.size()]), dataset);
    nodes += g.size();
    benchmark::DoNotOptimize(g);
  }
  state.counters["nodes"] = benchmark::Counter(static_cast<double>(nodes), benchmark::Counter::kAvgIterations);
}

void build_torchnet(benchmark::State& state, const char* space, const char* dataset) {
  torch::set_num_threads(1);
  const Space& s = get_space(space);
  const auto list = archs(s, 16);
  std::vector<NetGraph> graphs;
  for (const auto& a : list) graphs.push_back(s.compile(a, dataset));
  std::size_t i = 0;
  double params = 0;
  for (auto _ : state) {
    const auto& g = graphs[i++ % graphs.size()];
    TorchNet net(g, 1);
    params += static_cast<double>(param_count(net->graph()));
    benchmark::DoNotOptimize(net);
  }
  state.counters["params"] = benchmark::Counter(params, benchmark::Counter::kAvgIterations);
}

void count(benchmark::State& state, const char* space, const char* dataset) {
  const Space& s = get_space(space);
  Rng rng(1);
  const auto g = s.compile(s.sample(rng), dataset);
  for (auto _ : state) {
    benchmark::DoNotOptimize(param_count(g));
    benchmark::DoNotOptimize(flops_naslib(g));
  }
}

// NAS-Bench-101's exhaustive enumeration (423,624 cells) with at most `threads` oneTBB workers.
void enumerate_nb101(benchmark::State& state) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(state.range(0)));
  std::size_t cells = 0;
  for (auto _ : state) cells = nb101::enumerate_unique().size();
  state.counters["cells"] = static_cast<double>(cells);
}

}  // namespace

BENCHMARK_CAPTURE(compile_ir, nb101_cifar10, "nb101", "cifar10")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(count, nb101_cifar10, "nb101", "cifar10")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(build_torchnet, nb101_cifar10, "nb101", "cifar10")->Unit(benchmark::kMicrosecond);
BENCHMARK(enumerate_nb101)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();
BENCHMARK_CAPTURE(compile_ir, nb201_cifar10, "nb201", "cifar10")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(compile_ir, tnb101_class_scene, "tnb101_micro", "class_scene")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(compile_ir, tnb101_autoencoder, "tnb101_micro", "autoencoder")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(count, nb201_cifar10, "nb201", "cifar10")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(build_torchnet, nb201_cifar10, "nb201", "cifar10")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(build_torchnet, tnb101_class_scene, "tnb101_micro", "class_scene")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(build_torchnet, tnb101_autoencoder, "tnb101_micro", "autoencoder")->Unit(benchmark::kMicrosecond);
// DARTS / NAS-Bench-301: the C=32, 8-cell NetworkCIFAR on cifar10 (0.58-1.29 M params in the NB301 sample).
BENCHMARK_CAPTURE(compile_ir, darts_cifar10, "darts", "cifar10")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(count, darts_cifar10, "darts", "cifar10")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(build_torchnet, darts_cifar10, "darts", "cifar10")->Unit(benchmark::kMicrosecond);
// Building in parallel workers (as score-space does): TorchNet on 1 and 2 threads, beside the
// baseline the executor replaced -- a torch::nn::Conv2d per conv node of the same graphs, whose
// constructor fills the weight from libtorch's global generator (one lock for all threads) --
// so items/s on 2 threads against 1 shows which of the two scales. TNB-101 class_scene cells.
void build_parallel(benchmark::State& state, bool nn_modules) {
  torch::set_num_threads(1);
  const Space& s = get_space("tnb101_micro");
  static const auto graphs = [&] {
    std::vector<NetGraph> out;
    for (const auto& a : archs(s, 8)) out.push_back(s.compile(a, "class_scene"));
    return out;
  }();
  std::size_t i = static_cast<std::size_t>(state.thread_index());
  for (auto _ : state) {
    const auto& g = graphs[i++ % graphs.size()];
    if (!nn_modules) {
      TorchNet net(g, 1);
      benchmark::DoNotOptimize(net);
      continue;
    }
    for (const auto& n : g.nodes()) {
      if (n.op != OpKind::Conv2d) continue;
      const auto& a = n.as<Conv2dAttr>();
      torch::nn::Conv2d conv(torch::nn::Conv2dOptions(g.node(n.inputs[0]).shape[0], a.out_channels, a.kernel)
                                 .groups(a.groups).bias(a.bias));
      benchmark::DoNotOptimize(conv);
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(build_parallel, torchnet_tnb101, false)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(build_parallel, nn_conv2d_modules_tnb101, true)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// Transformer spaces (issue 10): gpt without and with its 50264-token LM head, flexibert's GLUE
// encoder, AutoFormer-Tiny at 224x224 (197 tokens) with the CIFAR-100 head.
BENCHMARK_CAPTURE(compile_ir, gpt_no_lm_head, "gpt", "wt103:no-lm-head")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(compile_ir, flexibert_glue, "flexibert", "glue")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(compile_ir, autoformer_cifar100, "autoformer", "cifar100")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(count, gpt_wt103, "gpt", "wt103")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(build_torchnet, gpt_no_lm_head, "gpt", "wt103:no-lm-head")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(build_torchnet, gpt_wt103, "gpt", "wt103")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(build_torchnet, flexibert_glue, "flexibert", "glue")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(build_torchnet, autoformer_cifar100, "autoformer", "cifar100")->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("peak RSS: %.1f MiB\n", static_cast<double>(ru.ru_maxrss) / 1024.0);  // ru_maxrss is KiB on Linux
  return 0;
}
