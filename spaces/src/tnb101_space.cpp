// The "tnb101_micro" space: TransNAS-Bench-101 micro behind the Space interface.
#include "cell6.hpp"
#include "zcnas/common/text_hash.hpp"
#include "zcnas/spaces/space.hpp"
#include "zcnas/spaces/tnb101_micro.hpp"

namespace zcnas::spaces {
namespace {

class Tnb101MicroSpace final : public Space {
 public:
  std::string name() const override { return "tnb101_micro"; }
  std::string description() const override {
    return "TransNAS-Bench-101 micro cells (6 edges x 4 ops) in the 64-41414 encoder with per-task decoders";
  }
  std::vector<std::string> datasets() const override { return tnb101::tasks(); }

  std::string canonical(std::string_view arch) const override { return tnb101::arch_str(tnb101::parse(arch)); }
  std::string benchmark_key(std::string_view canonical) const override {
    return tnb101::op_indices(tnb101::parse(canonical));
  }

  std::optional<std::uint64_t> size() const override { return kSize; }
  void enumerate(const std::function<void(const std::string&)>& fn) const override {
    for (std::uint64_t i = 0; i < kSize; ++i) fn(tnb101::arch_str(cell6::ops_at(i, tnb101::kNumOps)));
  }

  std::string sample(Rng& rng) const override { return tnb101::arch_str(cell6::ops_at(rng() % kSize, tnb101::kNumOps)); }
  std::string mutate(std::string_view canonical, Rng& rng) const override {
    return tnb101::arch_str(cell6::mutate(tnb101::parse(canonical), tnb101::kNumOps, rng));
  }
  std::vector<std::string> neighbours(std::string_view canonical) const override {
    std::vector<std::string> out;
    for (const auto& n : cell6::neighbours(tnb101::parse(canonical), tnb101::kNumOps)) out.push_back(tnb101::arch_str(n));
    return out;
  }

  std::string structural_hash(std::string_view canonical) const override {
    return "tnb101_micro:" + hash128(tnb101::unique_str(tnb101::parse(canonical))).hex();
  }
  // Nothing, as for nb201 (same zero-edge rule): equal hashes can differ in params/FLOPs.
  std::vector<std::string> hash_invariant_proxies(std::string_view) const override { return {}; }

  NetGraph compile(std::string_view canonical, std::string_view dataset) const override {
    return tnb101::build(tnb101::parse(canonical), resolve_dataset(dataset));
  }

 private:
  static constexpr std::uint64_t kSize = 4096;  // 4^6
};

}  // namespace

std::unique_ptr<Space> make_tnb101_micro_space() { return std::make_unique<Tnb101MicroSpace>(); }

}  // namespace zcnas::spaces
