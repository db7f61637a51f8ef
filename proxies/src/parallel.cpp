#include "zcnas/proxies/parallel.hpp"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <torch/cuda.h>
#include <tbb/blocked_range.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

namespace zcnas::proxies {

// Debian's libtorch calls the BLAS the alternatives system selects; OpenBLAS
// (pthread build) would start its own threads inside every worker. Found at run
// time so nothing links against a particular BLAS.
void set_blas_threads(int n) {
  using Fn = void (*)(int);
  if (auto f = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(n);
}

void prepare_device(const torch::Device& device) {
  if (!device.is_cuda()) return;
  const auto a = torch::eye(3, torch::TensorOptions(torch::kFloat64).device(device)) * 2.0;
  for (const auto& m : {a, a.to(torch::kFloat32)}) {
    (void)torch::linalg_eigvalsh(m);
    (void)torch::linalg_svdvals(m);
    (void)torch::linalg_qr(m, "r");
    (void)torch::linalg_slogdet(m);
  }
  torch::cuda::synchronize();
}

int resolved_workers(const ParallelOptions& opt) {
  return opt.workers > 0 ? opt.workers : tbb::info::default_concurrency();
}

void parallel_for_candidates(std::size_t n, const ParallelOptions& opt, const std::function<void(std::size_t)>& task) {
  const int intra = std::max(1, opt.intra_op_threads);
  set_blas_threads(intra);
  tbb::task_arena arena(resolved_workers(opt));
  arena.execute([&] {
    // Grain size 1 with simple_partitioner: one candidate is one task. Scoring one
    // network takes 0.05-1 s, five orders of magnitude above oneTBB's per-task
    // overhead (~1 us), so there is nothing to amortise by batching candidates,
    // while costs vary 10x between archs (pooling vs. conv cells): the finest grain
    // lets idle workers steal the expensive ones and keeps all cores busy to the end.
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, n, 1),
        [&](const tbb::blocked_range<std::size_t>& r) {
          // libtorch's intra-op thread count is per OS thread (OpenMP ICV): set it on
          // every worker that picks up work.
          if (at::get_num_threads() != intra) at::set_num_threads(intra);
          for (std::size_t i = r.begin(); i != r.end(); ++i) task(i);
        },
        tbb::simple_partitioner());
  });
}

}  // namespace zcnas::proxies
