#include "zcnas/proxies/scorer.hpp"

#include <chrono>
#include <cmath>

#include "zcnas/common/error.hpp"

namespace zcnas::proxies {

const char* status_name(ScoreStatus s) {
  switch (s) {
    case ScoreStatus::Ok: return "ok";
    case ScoreStatus::Nan: return "nan";
    case ScoreStatus::Inf: return "inf";
    case ScoreStatus::Error: return "error";
  }
  return "?";
}

Scorer::Scorer(std::vector<ProxyPtr> proxies) : proxies_(std::move(proxies)) {
  if (proxies_.empty()) throw Error("scorer", "no proxies to run", "name at least one proxy");
}

bool Scorer::needs_data() const {
  for (const auto& p : proxies_)
    if (p->info().needs_data || p->info().needs_labels) return true;
  return false;
}

void check_batch_fits(const spaces::NetGraph& graph, const Batch& batch) {
  const auto& in = graph.input_shape();
  if (!batch.inputs.defined() || batch.size() == 0)
    throw Error("input batch", "empty, but a proxy needs data", "build one with make_batch()");
  bool fits = batch.inputs.dim() == static_cast<std::int64_t>(in.size()) + 1;
  for (std::size_t d = 0; fits && d < in.size(); ++d) fits = batch.inputs.size(static_cast<std::int64_t>(d + 1)) == in[d];
  if (!fits) {
    std::string got;
    for (auto s : batch.inputs.sizes()) {
      if (!got.empty()) got += ',';
      got += std::to_string(s);
    }
    throw Error("input batch", "shape [" + got + "] does not fit the network input N x " + spaces::shape_str(in),
                "build the batch for this network (make_batch resizes to its resolution)");
  }
}

NetworkScores Scorer::score(const spaces::NetGraph& graph, const Batch& batch, std::uint64_t seed,
                            torch::Device device) const {
  if (needs_data()) check_batch_fits(graph, batch);
  using clock = std::chrono::steady_clock;
  Batch on_device = batch;
  if (!device.is_cpu()) {
    if (on_device.inputs.defined()) on_device.inputs = on_device.inputs.to(device);
    if (on_device.labels.defined()) on_device.labels = on_device.labels.to(device);
  }
  ProxyContext ctx(graph, std::move(on_device), seed, device);
  NetworkScores out;
  const auto t_all = clock::now();
  for (const auto& p : proxies_) {
    ProxyScore s;
    s.proxy = p->info().name;
    const auto t0 = clock::now();
    try {
      s.value = p->score(ctx);
      if (std::isnan(s.value)) s.status = ScoreStatus::Nan;
      else if (std::isinf(s.value)) s.status = ScoreStatus::Inf;
    } catch (const std::exception& e) {
      s.status = ScoreStatus::Error;
      s.value = std::nan("");
      s.message = e.what();
      // c10::Error messages carry a C++ backtrace; keep the first line.
      if (auto nl = s.message.find('\n'); nl != std::string::npos) s.message.resize(nl);
    }
    s.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    out.scores.push_back(std::move(s));
  }
  out.total_seconds = std::chrono::duration<double>(clock::now() - t_all).count();
  return out;
}

}  // namespace zcnas::proxies
