// The "darts" space: DARTS / NAS-Bench-301 behind the Space interface.
#include "zcnas/common/text_hash.hpp"
#include "zcnas/spaces/darts.hpp"
#include "zcnas/spaces/space.hpp"

namespace zcnas::spaces {
namespace {

class DartsSpace final : public Space {
 public:
  std::string name() const override { return "darts"; }
  std::string description() const override {
    return "DARTS / NAS-Bench-301 normal+reduction cells (4 nodes x 2 of 7 ops) in the C=32, 8-cell NetworkCIFAR";
  }
  std::vector<std::string> datasets() const override { return darts::datasets(); }

  std::string canonical(std::string_view arch) const override { return darts::compact_str(darts::parse(arch)); }
  // The benchmark key is the whitespace-normalized pair form, i.e. the canonical string.
  std::string benchmark_key(std::string_view canonical) const override {
    return darts::compact_str(darts::parse(canonical));
  }

  // ~10^18 genotypes (NAS-Bench-301): not enumerable, size() stays nullopt.
  std::string sample(Rng& rng) const override { return darts::compact_str(darts::sample(rng)); }
  std::string mutate(std::string_view canonical, Rng& rng) const override {
    return darts::compact_str(darts::mutate(darts::parse(canonical), rng));
  }
  std::vector<std::string> neighbours(std::string_view canonical) const override {
    std::vector<std::string> out;
    for (const auto& n : darts::neighbours(darts::parse(canonical))) out.push_back(darts::compact_str(n));
    return out;
  }

  // Digest of darts::unique_str (pairs of a node unordered, intermediate nodes relabelled).
  std::string structural_hash(std::string_view canonical) const override {
    return "darts:" + hash128(darts::unique_str(darts::parse(canonical))).hex();
  }
  // Swapping a node's two pairs or relabelling intermediate nodes moves the same ops (with
  // the same strides: inputs 0/1 stay inputs 0/1) to other places of the graph: equal
  // parameter and FLOP counts. Weight- and data-dependent proxies are not listed.
  std::vector<std::string> hash_invariant_proxies(std::string_view) const override { return {"params", "flops"}; }

  NetGraph compile(std::string_view canonical, std::string_view dataset) const override {
    return darts::build(darts::parse(canonical), darts::config_for(resolve_dataset(dataset)));
  }
};

}  // namespace

std::unique_ptr<Space> make_darts_space() { return std::make_unique<DartsSpace>(); }

}  // namespace zcnas::spaces
