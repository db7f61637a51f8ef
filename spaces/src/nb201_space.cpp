// The "nb201" space: NAS-Bench-201 behind the Space interface.
#include "cell6.hpp"
#include "zcnas/common/text_hash.hpp"
#include "zcnas/spaces/nb201.hpp"
#include "zcnas/spaces/space.hpp"

namespace zcnas::spaces {
namespace {

class Nb201Space final : public Space {
 public:
  std::string name() const override { return "nb201"; }
  std::string description() const override {
    return "NAS-Bench-201 cells (6 edges x 5 ops) in the C=16, 3x5-cell TinyNetwork";
  }
  std::vector<std::string> datasets() const override { return nb201::datasets(); }

  std::string canonical(std::string_view arch) const override { return nb201::arch_str(nb201::parse(arch)); }
  std::string benchmark_key(std::string_view canonical) const override {
    return nb201::op_indices(nb201::parse(canonical));
  }

  std::optional<std::uint64_t> size() const override { return kSize; }
  void enumerate(const std::function<void(const std::string&)>& fn) const override {
    for (std::uint64_t i = 0; i < kSize; ++i) fn(nb201::arch_str(cell6::ops_at(i, nb201::kNumOps)));
  }

  std::string sample(Rng& rng) const override { return nb201::arch_str(cell6::ops_at(rng() % kSize, nb201::kNumOps)); }
  std::string mutate(std::string_view canonical, Rng& rng) const override {
    return nb201::arch_str(cell6::mutate(nb201::parse(canonical), nb201::kNumOps, rng));
  }
  std::vector<std::string> neighbours(std::string_view canonical) const override {
    std::vector<std::string> out;
    for (const auto& n : cell6::neighbours(nb201::parse(canonical), nb201::kNumOps)) out.push_back(nb201::arch_str(n));
    return out;
  }

  // Digest of NAS-Bench-201's unique string (nb201::unique_str has the readable form).
  std::string structural_hash(std::string_view canonical) const override {
    return "nb201:" + hash128(nb201::unique_str(nb201::parse(canonical))).hex();
  }
  // Nothing: the hash drops edges whose input is zero, but compile() still builds their
  // ops, so equal hashes can have different parameter and FLOP counts (e.g. a conv after a
  // `none` edge; tests/search/test_structural.cpp finds such pairs).
  std::vector<std::string> hash_invariant_proxies(std::string_view) const override { return {}; }

  NetGraph compile(std::string_view canonical, std::string_view dataset) const override {
    return nb201::build(nb201::parse(canonical), nb201::config_for(resolve_dataset(dataset)));
  }

 private:
  static constexpr std::uint64_t kSize = 15625;  // 5^6
};

}  // namespace

std::unique_ptr<Space> make_nb201_space() { return std::make_unique<Nb201Space>(); }

}  // namespace zcnas::spaces
