#include "zcnas/search/provenance.hpp"

#include <torch/torch.h>

namespace zcnas::search {

benchdb::Provenance computed_provenance(const proxies::Proxy& p, std::uint64_t seed, int batch_size,
                                        const std::string& device, bool augment) {
  benchdb::Provenance prov;
  const auto info = p.info();
  prov.source = "zcnas";
  prov.proxy = info.name;
  prov.proxy_version = info.version;
  auto settings = p.settings();
  if (!augment) settings["input"] = "no_augment";
  prov.settings = benchdb::normalize_settings(settings.dump());
  prov.seed = seed;
  prov.batch_size = batch_size;
  prov.device = torch::Device(device).str();
  return prov;
}

}  // namespace zcnas::search
