// ONNX export and import speed and file sizes (issue 8), per arch:
//   export         IR (+ weights of a built TorchNet) -> serialized ModelProto
//   export_nw      the same without weights (parameters declared as graph inputs)
//   validate       onnx::checker::check_model + strict shape inference on the weighted file
//   import         serialized ModelProto -> IR + parameter tensors (reader incl. check_model)
// for NB201 (cifar10) and TransNAS-Bench-101 micro (class_scene, autoencoder), over a fixed
// seeded list of archs. Counters: bytes (with weights) and bytes_nw (without), per file.
//
//   ./build/<dir>/tools/bench_onnx [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "zcnas/spaces/executor.hpp"
#include "zcnas/spaces/onnx.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas::spaces;

namespace {

struct Case {
  std::vector<NetGraph> graphs;
  std::vector<TorchNet> nets;
  std::vector<std::string> files, files_nw;
};

Case make_case(const char* space, const char* dataset, std::size_t n) {
  torch::set_num_threads(1);
  const Space& s = get_space(space);
  Rng rng(12345);
  Case c;
  for (std::size_t i = 0; i < n; ++i) {
    c.graphs.push_back(s.compile(s.sample(rng), dataset));
    c.nets.emplace_back(c.graphs.back(), i);
    c.files.push_back(onnx_export(c.graphs.back(), c.nets.back().get()));
    OnnxWriteOptions o;
    o.weights = false;
    c.files_nw.push_back(onnx_export(c.graphs.back(), nullptr, o));
  }
  return c;
}

double mean_size(const std::vector<std::string>& v) {
  double s = 0;
  for (const auto& f : v) s += static_cast<double>(f.size());
  return s / static_cast<double>(v.size());
}

void run(benchmark::State& state, const char* space, const char* dataset, int what) {
  const Case c = make_case(space, dataset, 8);
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ % c.graphs.size();
    switch (what) {
      case 0: benchmark::DoNotOptimize(onnx_export(c.graphs[k], c.nets[k].get())); break;
      case 1: {
        OnnxWriteOptions o;
        o.weights = false;
        benchmark::DoNotOptimize(onnx_export(c.graphs[k], nullptr, o));
        break;
      }
      case 2: onnx_validate(c.files[k], "bench"); break;
      default: benchmark::DoNotOptimize(onnx_read_bytes(c.files[k], "bench")); break;
    }
  }
  state.counters["bytes"] = mean_size(c.files);
  state.counters["bytes_nw"] = mean_size(c.files_nw);
}

}  // namespace

#define ONNX_BENCH(space, dataset)                                                                           \
  BENCHMARK_CAPTURE(run, export_##space##_##dataset, #space, #dataset, 0)->Unit(benchmark::kMillisecond);    \
  BENCHMARK_CAPTURE(run, export_nw_##space##_##dataset, #space, #dataset, 1)->Unit(benchmark::kMillisecond); \
  BENCHMARK_CAPTURE(run, validate_##space##_##dataset, #space, #dataset, 2)->Unit(benchmark::kMillisecond);  \
  BENCHMARK_CAPTURE(run, import_##space##_##dataset, #space, #dataset, 3)->Unit(benchmark::kMillisecond)

ONNX_BENCH(nb201, cifar10);
ONNX_BENCH(tnb101_micro, class_scene);
ONNX_BENCH(tnb101_micro, autoencoder);

BENCHMARK_MAIN();
