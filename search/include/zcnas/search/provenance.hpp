#pragma once
// The provenance a score computed by zcnas is stored (and looked up) under. One
// definition for `zcnas score`, `zcnas score-space` and the search driver, so they
// share the cache: proxy + version + settings, seed, batch size, device, and the
// input protocol (an un-augmented batch is recorded in the settings as
// `"input":"no_augment"` and never shares cache entries with the default).
#include <cstdint>
#include <string>

#include "zcnas/benchdb/database.hpp"
#include "zcnas/proxies/proxy.hpp"

namespace zcnas::search {

benchdb::Provenance computed_provenance(const proxies::Proxy& p, std::uint64_t seed, int batch_size,
                                        const std::string& device = "cpu", bool augment = true);

}  // namespace zcnas::search
