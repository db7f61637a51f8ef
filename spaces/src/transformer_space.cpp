#include "transformer_space.hpp"

#include <algorithm>

#include "zcnas/common/error.hpp"
#include "zcnas/common/text_hash.hpp"

namespace zcnas::spaces::tfarch {
namespace {

class TransformerSpace final : public Space {
 public:
  explicit TransformerSpace(TransformerSpaceDef def)
      : def_(std::move(def)), ids_(def_.csv_file, def_.row_canonical) {}

  std::string name() const override { return def_.name; }
  std::string description() const override { return def_.description; }
  std::vector<std::string> datasets() const override { return def_.datasets; }

  // A JSON arch, or a benchmark CSV id when the benchmark file is found.
  std::string canonical(std::string_view arch) const override {
    const std::string text(arch);
    if (text.find('{') == std::string::npos) {
      if (auto c = ids_.canonical_of(normalize_whitespace(text))) return *c;
      const bool has_table = !def_.csv_file.empty();
      throw Error(def_.name + " arch '" + text + "'",
                  has_table ? "is neither a JSON arch nor an id of " + def_.csv_file : "is not a JSON arch",
                  "write the arch as JSON (docs/spaces.md)" +
                      (has_table ? " or an id such as " + def_.id_example +
                                       (ids_.size() ? "" : " (benchmark file not found: set ZCNAS_BENCHDATA)")
                                 : std::string()));
    }
    return def_.canonical(arch);
  }
  std::string benchmark_key(std::string_view canonical) const override {
    const auto c = def_.canonical(canonical);
    return ids_.id_of(c).value_or(c);
  }

  std::string sample(Rng& rng) const override { return def_.sample(rng); }
  std::string mutate(std::string_view canonical, Rng& rng) const override { return def_.mutate(canonical, rng); }
  std::vector<std::string> neighbours(std::string_view canonical) const override { return def_.neighbours(canonical); }
  std::string structural_hash(std::string_view canonical) const override {
    return def_.name + ":" + hash128(def_.canonical(canonical)).hex();
  }

  NetGraph compile(std::string_view canonical, std::string_view dataset) const override {
    const auto& u = def_.unlisted_datasets;
    if (std::find(u.begin(), u.end(), dataset) != u.end()) return def_.compile(canonical, dataset);
    return def_.compile(canonical, resolve_dataset(dataset));
  }

 private:
  TransformerSpaceDef def_;
  BenchmarkIds ids_;
};

}  // namespace

std::unique_ptr<Space> make_transformer_space(TransformerSpaceDef def) {
  return std::make_unique<TransformerSpace>(std::move(def));
}

}  // namespace zcnas::spaces::tfarch
