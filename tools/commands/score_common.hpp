#pragma once
// Shared by `zcnas score` and `zcnas score-space`: the input-batch options and
// the provenance a computed score is stored (and looked up) under. The search
// driver (search/src/driver.cpp) builds the same provenance, so both share the cache.
#include <memory>
#include <string>

#include "cli_common.hpp"
#include "zcnas/benchdb/database.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/proxies/batch.hpp"
#include "zcnas/proxies/cifar10.hpp"
#include "zcnas/proxies/parallel.hpp"
#include "zcnas/proxies/proxy.hpp"
#include "zcnas/search/provenance.hpp"

namespace zcnas::cli {

struct BatchArgs {
  std::string data;        // --data: a CIFAR-10 .bin file or directory
  int batch_size = 32;     // --batch-size (NASLib's default)
  bool no_augment = false; // --no-augment
  std::string device = "cpu";  // --device: cpu or cuda[:N] (part of the provenance)
};

inline void add_batch_options(CLI::App& cmd, BatchArgs& a) {
  cmd.add_option("--data", a.data, "CIFAR-10 binary file or directory (default: ../shared/benchdata/cifar10 training batches)");
  cmd.add_option("--batch-size", a.batch_size, "images per batch (NASLib: 32)")->check(CLI::PositiveNumber);
  cmd.add_flag("--no-augment", a.no_augment, "no random crop/flip (NASLib samples from its augmented loader)");
  cmd.add_option("--device", a.device, "where proxies run: cpu, or cuda / cuda:N on a CUDA build of libtorch");
}

inline proxies::ImageSet load_pool(const BatchArgs& a) {
  std::string path = a.data;
  if (path.empty()) {
    const auto dir = default_benchdata_dir();
    if (dir.empty()) throw Error("input images", "no CIFAR-10 data found", "pass --data PATH or set ZCNAS_BENCHDATA");
    path = dir + "/cifar10";
  }
  return proxies::read_cifar10(path);
}

inline proxies::BatchOptions batch_options(const BatchArgs& a, const std::string& dataset, std::uint64_t seed) {
  proxies::BatchOptions bo;
  bo.dataset = dataset;
  bo.batch_size = a.batch_size;
  bo.seed = seed;
  bo.augment = !a.no_augment;
  return bo;
}

// The device a user named, checked against this libtorch build.
inline torch::Device parse_device(const std::string& name) {
  try {
    torch::Device d(name);
    if (d.is_cuda() && !torch::cuda::is_available())
      throw Error("--device " + name, "CUDA is not available in this build of libtorch or on this machine", "use --device cpu");
    proxies::prepare_device(d);  // before any worker thread touches it
    return d;
  } catch (const c10::Error&) {
    throw Error("--device " + name, "not a device name", "use cpu, cuda or cuda:N");
  }
}

// Provenance of a computed score: one definition shared with the search driver.
inline benchdb::Provenance provenance(const proxies::Proxy& p, std::uint64_t seed, int batch_size,
                                      const std::string& device = "cpu", bool augment = true) {
  return search::computed_provenance(p, seed, batch_size, device, augment);
}

}  // namespace zcnas::cli
