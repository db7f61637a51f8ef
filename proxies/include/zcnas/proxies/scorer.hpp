#pragma once
// Scorer: runs a list of proxies on one network, sharing passes through the
// ProxyContext memo (passes.hpp), timing each proxy and classifying its value.
//
// Timing: a shared pass is paid by the first proxy that asks for it, so with
// snip,grad_norm the snip time includes the labelled pass and grad_norm's is
// the reduction only; `total_seconds` is the fused cost per network.
//
// Numerics: a non-finite value is never passed on as a plain number: status is
// Nan / Inf (value kept for inspection, never stored), and a proxy that throws
// gets status Error with its message. Callers count the non-ok statuses.
#include <cstdint>
#include <string>
#include <vector>

#include "zcnas/proxies/context.hpp"
#include "zcnas/proxies/proxy.hpp"

namespace zcnas::proxies {

enum class ScoreStatus { Ok, Nan, Inf, Error };
const char* status_name(ScoreStatus s);

struct ProxyScore {
  std::string proxy;
  double value = 0;
  ScoreStatus status = ScoreStatus::Ok;
  std::string message;  // for Error
  double seconds = 0;
  bool ok() const { return status == ScoreStatus::Ok; }
};

struct NetworkScores {
  std::vector<ProxyScore> scores;  // in the order of the Scorer's proxies
  double total_seconds = 0;
};

class Scorer {
 public:
  explicit Scorer(std::vector<ProxyPtr> proxies);
  const std::vector<ProxyPtr>& proxies() const { return proxies_; }
  bool needs_data() const;

  // Scores `graph` on `batch` with weights initialised from `seed`. Throws
  // zcnas::Error when a proxy needs data and the batch does not fit the graph's
  // input shape (or is empty).
  // On a CUDA device the batch is copied there and every pass runs there.
  NetworkScores score(const spaces::NetGraph& graph, const Batch& batch, std::uint64_t seed,
                      torch::Device device = torch::kCPU) const;

 private:
  std::vector<ProxyPtr> proxies_;
};

// Throws zcnas::Error naming both shapes when batch.inputs is not N x input_shape.
void check_batch_fits(const spaces::NetGraph& graph, const Batch& batch);

}  // namespace zcnas::proxies
