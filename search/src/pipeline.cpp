#include "pipeline.hpp"

#include <ATen/Parallel.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <vector>

#include "zcnas/proxies/parallel.hpp"

namespace zcnas::search::detail {
namespace {

// Runs a stage on a token unless an earlier stage failed; a throw is kept in the token.
void guarded(const std::function<void(Token&)>& stage, Token& t) {
  if (t.failure || !stage) return;
  try {
    stage(t);
  } catch (...) {
    t.failure = std::current_exception();
  }
}

TokenPtr guarded_prepare(const Stages& s, std::size_t i) {
  try {
    return s.prepare(i);
  } catch (...) {
    auto t = std::make_shared<Token>();
    t->failure = std::current_exception();
    return t;
  }
}

void finish(const Stages& s, Token& t) {
  if (t.failure) std::rethrow_exception(t.failure);
  if (s.finish) s.finish(t);
}

void run_pipeline(std::size_t n, const ScheduleOptions& opt, const Stages& s) {
  const int workers = proxies::resolved_workers({opt.workers, opt.intra_op_threads});
  const int intra = std::max(1, opt.intra_op_threads);
  // Tokens: enough for every worker to have a candidate in build/score while the
  // serial stages prepare the next ones and store the last ones (2 per worker); more
  // only holds more compiled graphs waiting. Graph memory is therefore bounded by
  // `tokens` candidates, torch modules and activations by `workers` (only the parallel
  // stage builds them, and a worker runs one candidate at a time).
  const std::size_t tokens = opt.tokens > 0 ? opt.tokens : 2 * static_cast<std::size_t>(workers);
  proxies::set_blas_threads(intra);
  std::size_t next = 0;
  bool stop = false;
  tbb::task_arena arena(workers);
  arena.execute([&] {
    tbb::parallel_pipeline(
        tokens,
        tbb::make_filter<void, TokenPtr>(tbb::filter_mode::serial_in_order,
                                         [&](tbb::flow_control& fc) -> TokenPtr {
                                           if (stop || next == n) {
                                             fc.stop();
                                             return nullptr;
                                           }
                                           auto t = guarded_prepare(s, next++);
                                           stop = t->failure != nullptr;  // nothing after a failure
                                           return t;
                                         }) &
            tbb::make_filter<TokenPtr, TokenPtr>(tbb::filter_mode::parallel,
                                                 [&](TokenPtr t) {
                                                   // Per OS thread (OpenMP ICV): set on every worker that
                                                   // picks up a candidate, as parallel_for_candidates does.
                                                   if (at::get_num_threads() != intra) at::set_num_threads(intra);
                                                   guarded(s.build, *t);
                                                   guarded(s.score, *t);
                                                   return t;
                                                 }) &
            tbb::make_filter<TokenPtr, void>(tbb::filter_mode::serial_in_order, [&](TokenPtr t) { finish(s, *t); }));
  });
}

// The pre-pipeline schedule: prepare and build everything in the calling thread, score
// in one parallel_for, finish in order.
void run_batches(std::size_t n, const ScheduleOptions& opt, const Stages& s) {
  std::vector<TokenPtr> all;
  for (std::size_t i = 0; i < n; ++i) {
    all.push_back(guarded_prepare(s, i));
    guarded(s.build, *all.back());
    if (all.back()->failure) break;
  }
  proxies::parallel_for_candidates(all.size(), {opt.workers, opt.intra_op_threads},
                                   [&](std::size_t i) { guarded(s.score, *all[i]); });
  for (auto& t : all) finish(s, *t);
}

}  // namespace

void run_stages(std::size_t n, const ScheduleOptions& opt, const Stages& stages) {
  if (n == 0) return;
  if (opt.schedule == Schedule::Batches)
    run_batches(n, opt, stages);
  else
    run_pipeline(n, opt, stages);
}

}  // namespace zcnas::search::detail
