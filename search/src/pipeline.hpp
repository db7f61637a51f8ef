#pragma once
// Scheduling of the candidates of one SearchContext::score() call (internal to search/).
//
// The driver splits the work on a candidate into four stages and this file decides
// how they overlap:
//
//   prepare  serial, in proposal order: canonicalise, dedup (text, then structural),
//            cache lookup -- everything that reads or writes the driver's records
//            and the database connection;
//   build    parallel: compile to the IR, parameter/FLOP counts, constraints, memory
//            estimate;
//   score    parallel: the proxies that were not found in the cache or shared;
//   finish   serial, in proposal order: store the rows, combine, progress.
//
// Schedule::Pipeline (the default) is one tbb::parallel_pipeline: prepare -> build+score
// -> finish with at most `tokens` candidates between the first and the last stage, so
// the graphs waiting to be scored are bounded whatever the size of the call, workers
// never wait for a batch to fill or drain, and storing overlaps scoring. Because
// prepare and finish are serial_in_order, every record, database row and combined
// score is produced in proposal order: results are those of a sequential loop, for any
// number of workers or tokens.
//
// Schedule::Batches is the schedule the driver had before (prepare+build of the whole
// call in the calling thread, then a parallel_for over the scoring, then finish): kept
// so tests can check both give identical results and the benchmark
// (tools/bench/bench_search_pipeline.cpp) can compare their throughput in one run.
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>

namespace zcnas::search::detail {

// One candidate in flight; the driver derives its work record from it.
struct Token {
  virtual ~Token() = default;
  std::exception_ptr failure;  // set when a stage threw: later stages are skipped, finish rethrows
};
using TokenPtr = std::shared_ptr<Token>;

enum class Schedule { Pipeline, Batches };

struct Stages {
  std::function<TokenPtr(std::size_t)> prepare;  // never null
  std::function<void(Token&)> build;
  std::function<void(Token&)> score;
  std::function<void(Token&)> finish;
};

struct ScheduleOptions {
  Schedule schedule = Schedule::Pipeline;
  int workers = 0;           // oneTBB workers (0 = all cores)
  int intra_op_threads = 1;  // libtorch threads per worker
  std::size_t tokens = 0;    // candidates in flight (0 = 2 x workers)
};

// Runs items 0..n-1 through the stages. An exception thrown by a stage travels with
// its token and is rethrown when that token reaches finish, i.e. after every earlier
// candidate has finished and before any later one does (nothing after it is prepared
// once the exception is known to prepare, and nothing after it is finished).
void run_stages(std::size_t n, const ScheduleOptions& opt, const Stages& stages);

}  // namespace zcnas::search::detail
