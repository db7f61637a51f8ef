#pragma once
// Parallel scoring across candidates with oneTBB: the sequential loop
// `for i in 0..n: task(i)` plus one parallel_for (see parallel.cpp for the grain
// size). Inside each worker libtorch runs `intra_op_threads` threads (default 1)
// and OpenBLAS one; with 1, every candidate's arithmetic is the same whatever the
// number of workers, so results are bit-identical for any `workers`.
#include <cstddef>
#include <functional>

#include <torch/types.h>

namespace zcnas::proxies {

struct ParallelOptions {
  int workers = 0;           // oneTBB workers; 0 = all cores
  int intra_op_threads = 1;  // libtorch threads per worker (more may change float summation order)
};

// Calls task(i) for every i in [0, n), in parallel; task must write its result
// to slot i only. The first exception thrown by a task is rethrown here.
void parallel_for_candidates(std::size_t n, const ParallelOptions& opt, const std::function<void(std::size_t)>& task);

// Resolved worker count (0 -> oneTBB's default concurrency).
int resolved_workers(const ParallelOptions& opt);

// Threads of the BLAS libtorch calls (OpenBLAS, found at run time; no-op for other
// BLAS). parallel_for_candidates sets it to intra_op_threads; other schedulers of
// candidates (search/src/pipeline.cpp) call it themselves.
void set_blas_threads(int n);

// Call once on the main thread before candidates are scored on `device` in parallel.
// On CUDA, libtorch loads its linear-algebra backend lazily on the first linalg call,
// and concurrent first calls from several workers fail ("lazy wrapper should be called
// at most once", seen with MeCo/NWOT/Dextr on 6 workers): this makes those first calls
// here (eigvalsh, svdvals, qr, slogdet, the ops the proxies use). No-op on CPU.
void prepare_device(const torch::Device& device);

}  // namespace zcnas::proxies
