// Seconds per arch (NB201 by default) per proxy, and for the fused set, on 1 and 2 threads
// (issue 5, speed). A plain timing program (linked against google-benchmark by
// tools/CMakeLists.txt, but archs x proxies is not a micro-benchmark, so it
// times the loops itself). Reports wall and process-CPU seconds: the machine is
// shared, and CPU seconds are what contention does not inflate.
//
//   bench_proxies [--archs N | --archs-file F] [--seed S] [--batch 32]
//                 [--proxies synflow,snip,...] [--dextr-points 8] [--json out.json]
//                 [--device cpu|cuda]   (on CUDA: one untimed warm-up arch, fused on 1 worker only)
//                 [--dextr-curvature auto|jet|autograd[,ENGINE...]]
//                 [--space nb201 --dataset cifar10]
//
// --space / --dataset: another space's networks (archs drawn with space.sample from
// --seed; nb201 draws from the benchmark's CSV as before), e.g. `--space autoformer
// --dataset cifar100 --archs 4 --proxies dextr --dextr-curvature jet,autograd`.
//
// --dextr-curvature: Dextr's curvature engine (label_free.hpp). The first one is
// used for `dextr` and the fused set; each further one adds a row
// `dextr[ENGINE]`, timed alone in the same run on the same archs (e.g.
// `--dextr-curvature jet,autograd` compares the two engines on a shared machine).
//
// Protocol (as tools/reference/naslib_style.py): NB201 CIFAR-10 networks, one
// batch of `batch` CIFAR-10 training images per arch (make_batch, seed = arch
// index), weights from seed = arch index. "alone": each proxy in its own Scorer
// (pays its own passes, as NASLib's one-measure-per-call). "fused": one Scorer
// with every proxy (shared passes), on 1 worker and on 2 oneTBB workers
// (intra-op threads 1 each), timed over all archs (throughput per arch).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include "zcnas/common/error.hpp"
#include "zcnas/proxies/batch.hpp"
#include "zcnas/proxies/cifar10.hpp"
#include "zcnas/proxies/parallel.hpp"
#include "zcnas/proxies/registry.hpp"
#include "zcnas/proxies/scorer.hpp"
#include "zcnas/spaces/registry.hpp"

using namespace zcnas;

namespace {

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Timer {
  double w0 = wall_now(), c0 = cpu_now();
  std::pair<double, double> elapsed() const { return {wall_now() - w0, cpu_now() - c0}; }
};

std::vector<std::string> nb201_archs_from_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path, "cannot open", "run from the repository root (../shared/benchdata)");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> archs;
  while (std::getline(in, line)) {
    auto a = line.find(','), b = line.find(',', a + 1);
    archs.push_back(line.substr(a + 1, b - a - 1));
  }
  return archs;
}

}  // namespace

int main(int argc, char** argv) try {
  int n_archs = 20;
  std::uint64_t seed = 1;
  std::int64_t batch_size = 32;
  int dextr_points = 8;
  std::string dextr_curvature = "auto";
  std::string archs_file, json_out, device_name = "cpu", space_name = "nb201", dataset = "cifar10";
  std::string proxy_list = "synflow,snip,grasp,fisher,grad_norm,jacov,nwot,plain,l2_norm,epe_nas,zen,meco,dextr";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(a, "needs a value");
      return argv[++i];
    };
    if (a == "--archs") n_archs = std::stoi(next());
    else if (a == "--archs-file") archs_file = next();
    else if (a == "--seed") seed = std::stoull(next());
    else if (a == "--batch") batch_size = std::stoll(next());
    else if (a == "--proxies") proxy_list = next();
    else if (a == "--dextr-points") dextr_points = std::stoi(next());
    else if (a == "--dextr-curvature") dextr_curvature = next();
    else if (a == "--json") json_out = next();
    else if (a == "--device") device_name = next();
    else if (a == "--space") space_name = next();
    else if (a == "--dataset") dataset = next();
    else throw Error(a, "unknown option", "see the comment at the top of tools/bench/bench_proxies.cpp");
  }
  const std::string bench = "../shared/benchdata";
  std::vector<std::string> archs;
  if (!archs_file.empty()) {
    std::ifstream in(archs_file);
    for (std::string l; std::getline(in, l);)
      if (!l.empty()) archs.push_back(l);
  } else if (space_name != "nb201") {
    spaces::Rng rng(seed);
    const auto& s = spaces::get_space(space_name);
    for (int i = 0; i < n_archs; ++i) archs.push_back(s.sample(rng));
  } else {
    auto all = nb201_archs_from_csv(bench + "/nasbench201.csv");
    std::mt19937_64 rng(seed);
    std::shuffle(all.begin(), all.end(), rng);
    archs.assign(all.begin(), all.begin() + n_archs);
  }
  std::vector<std::string> names;
  {
    std::string cur;
    for (char c : proxy_list + ",") {
      if (c == ',') {
        if (!cur.empty()) names.push_back(cur);
        cur.clear();
      } else {
        cur.push_back(c);
      }
    }
  }
  std::vector<std::string> engines;
  {
    std::string cur;
    for (char c : dextr_curvature + ",") {
      if (c == ',') {
        if (!cur.empty()) engines.push_back(cur);
        cur.clear();
      } else {
        cur.push_back(c);
      }
    }
    if (engines.empty()) throw Error("--dextr-curvature " + dextr_curvature, "names no engine", "use auto, jet or autograd");
  }
  // Rows timed alone: every proxy, plus dextr[ENGINE] for each further engine.
  std::vector<std::string> alone_names = names;
  if (std::find(names.begin(), names.end(), "dextr") != names.end())
    for (std::size_t e = 1; e < engines.size(); ++e) alone_names.push_back("dextr[" + engines[e] + "]");
  auto make = [&](const std::string& n) {
    if (n == "dextr") return proxies::make_proxy(n, {{"points", dextr_points}, {"curvature", engines[0]}});
    if (n.rfind("dextr[", 0) == 0)
      return proxies::make_proxy("dextr", {{"points", dextr_points}, {"curvature", n.substr(6, n.size() - 7)}});
    return proxies::make_proxy(n);
  };
  const auto pool = proxies::read_cifar10(bench + "/cifar10");
  const auto& space = spaces::get_space(space_name);
  proxies::BatchOptions bo;
  bo.dataset = dataset;
  bo.batch_size = batch_size;

  at::set_num_threads(1);
  const torch::Device device(device_name);
  if (device.is_cuda() && !torch::cuda::is_available()) throw Error("--device " + device_name, "CUDA is not available");
  // Build (compile + batch) once per arch, timed.
  std::vector<spaces::NetGraph> graphs;
  std::vector<proxies::Batch> batches;
  Timer tb;
  for (std::size_t i = 0; i < archs.size(); ++i) {
    graphs.push_back(space.compile(archs[i], dataset));
    bo.seed = i;
    batches.push_back(proxies::make_batch(pool, graphs.back(), bo));
  }
  const auto [build_w, build_c] = tb.elapsed();
  const double n = static_cast<double>(archs.size());

  if (device.is_cuda()) {  // CUDA context, cuDNN handles and kernel caches: not part of any proxy's cost
    std::vector<proxies::ProxyPtr> warm;
    for (const auto& name : names) warm.push_back(make(name));
    proxies::Scorer(warm).score(graphs[0], batches[0], 0, device);
  }
  // Each proxy alone, 1 thread.
  std::map<std::string, std::pair<double, double>> alone;
  std::map<std::string, int> failures;
  std::map<std::string, std::vector<double>> values;  // per arch (Dextr engines are compared below)
  for (const auto& name : alone_names) {
    proxies::Scorer scorer({make(name)});
    proxies::ParallelOptions one;  // 1 worker, 1 intra-op thread, OpenBLAS 1 thread
    one.workers = 1;
    values[name].assign(archs.size(), 0.0);
    Timer t;
    proxies::parallel_for_candidates(archs.size(), one, [&](std::size_t i) {
      auto r = scorer.score(graphs[i], batches[i], i, device);
      if (!r.scores[0].ok()) ++failures[name];
      values[name][i] = r.scores[0].value;
    });
    auto [w, c] = t.elapsed();
    alone[name] = {w / n, c / n};
  }
  // Fused set on 1 and 2 workers (intra-op threads 1 each).
  std::vector<proxies::ProxyPtr> all;
  for (const auto& name : names) all.push_back(make(name));
  proxies::Scorer fused(all);
  std::map<int, std::pair<double, double>> fused_t;
  for (int workers : device.is_cuda() ? std::vector<int>{1} : std::vector<int>{1, 2}) {
    proxies::ParallelOptions po;
    po.workers = workers;
    po.intra_op_threads = 1;
    Timer t;
    proxies::parallel_for_candidates(archs.size(), po, [&](std::size_t i) { fused.score(graphs[i], batches[i], i, device); });
    auto [w, c] = t.elapsed();
    fused_t[workers] = {w / n, c / n};
  }

  std::printf("zcnas bench_proxies: %zu %s %s archs, batch %lld, libtorch %d.%d, dextr points %d, curvature %s\n",
              archs.size(), space_name.c_str(), dataset.c_str(), static_cast<long long>(batch_size), TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, dextr_points,
              engines[0].c_str());
  std::printf("%-22s %12s %12s\n", "proxy (1 thread)", "wall s/arch", "cpu s/arch");
  double sum_w = 0, sum_c = 0;
  for (const auto& name : alone_names) {
    std::printf("%-22s %12.4f %12.4f%s\n", name.c_str(), alone[name].first, alone[name].second,
                failures[name] ? "  (non-finite/error on some archs)" : "");
    if (name.rfind("dextr[", 0) == 0) continue;  // an alternative engine, not part of the set
    sum_w += alone[name].first;
    sum_c += alone[name].second;
  }
  std::printf("%-22s %12.4f %12.4f\n", "build (compile+batch)", build_w / n, build_c / n);
  std::printf("%-22s %12.4f %12.4f\n", "sum of alone", sum_w, sum_c);
  std::printf("%-22s %12.4f %12.4f\n", "fused, 1 worker", fused_t[1].first, fused_t[1].second);
  if (fused_t.count(2)) std::printf("%-22s %12.4f %12.4f\n", "fused, 2 workers", fused_t[2].first, fused_t[2].second);
  // Same value whatever the engine: the largest relative difference over the archs.
  for (const auto& name : alone_names) {
    if (name.rfind("dextr[", 0) != 0) continue;
    double worst = 0;
    for (std::size_t i = 0; i < archs.size(); ++i) {
      const double a = values["dextr"][i], b = values[name][i];
      worst = std::max(worst, std::abs(a - b) / std::max(std::abs(a), 1e-300));
    }
    std::printf("dextr vs %s: max relative difference over %zu archs %.3g\n", name.c_str(), archs.size(), worst);
  }
  if (!json_out.empty()) {
    nlohmann::json j;
    j["archs"] = archs;
    for (const auto& name : alone_names) j["alone"][name] = {{"wall", alone[name].first}, {"cpu", alone[name].second}};
    j["build"] = {{"wall", build_w / n}, {"cpu", build_c / n}};
    j["fused_1"] = {{"wall", fused_t[1].first}, {"cpu", fused_t[1].second}};
    if (fused_t.count(2)) j["fused_2"] = {{"wall", fused_t[2].first}, {"cpu", fused_t[2].second}};
    j["device"] = device.str();
    j["space"] = space_name;
    j["dataset"] = dataset;
    std::ofstream(json_out) << j.dump(1) << "\n";
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_proxies: error: %s\n", e.what());
  return 2;
}
