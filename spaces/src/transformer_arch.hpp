#pragma once
// Shared by the transformer spaces (gpt, flexibert, autoformer): reading an arch written as a
// JSON object (fields as numbers or as the CSV's text, lists as JSON arrays or as the CSV's
// space-separated text), value-set checks with errors that name the field, seeded choices,
// and the benchmark id table (canonical string <-> CSV `id`, the benchdb key of these spaces).
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zcnas/spaces/space.hpp"

namespace zcnas::spaces::tfarch {

using nlohmann::json;

// Parses `text` as a JSON object; throws zcnas::Error(label, ...) with `shape_hint` when it
// is not JSON or not an object. Whitespace anywhere is insignificant (JSON).
json parse_object(std::string_view text, const std::string& label, const std::string& shape_hint);

// The object's field `name`; throws when missing (the hint lists the expected fields).
const json& field(const json& obj, const char* name, const std::string& label, const std::string& shape_hint);

// An integer given as a JSON integer, an integral float, or a decimal string ("12").
long long as_int(const json& v, const std::string& what, const std::string& label);
// A number given as a JSON number or a decimal string ("3.5").
double as_double(const json& v, const std::string& what, const std::string& label);
// A list: a JSON array or space-separated text ("1071 640 1286"); never empty.
std::vector<json> as_list(const json& v, const std::string& what, const std::string& label);

// Throws unless `v` is one of `choices` (the message lists them).
void check_choice(long long v, const std::vector<long long>& choices, const std::string& what, const std::string& label);
void check_choice(double v, const std::vector<double>& choices, const std::string& what, const std::string& label);
// Throws unless lo <= v <= hi.
void check_range(long long v, long long lo, long long hi, const std::string& what, const std::string& label);
// Throws when `obj` has a field not in `known` (a typo would otherwise be ignored silently).
void check_known_fields(const json& obj, const std::vector<std::string>& known, const std::string& label,
                        const std::string& shape_hint);

// Seeded draws (uniform; rng() % n has a bias below 2^-50 for these small n).
std::size_t draw(Rng& rng, std::size_t n);
template <class T> T pick(Rng& rng, const std::vector<T>& v) { return v[draw(rng, v.size())]; }
// A different element of `v` than `current` (v has >= 2 distinct elements).
template <class T> T pick_other(Rng& rng, const std::vector<T>& v, const T& current) {
  for (;;) {
    T x = pick(rng, v);
    if (!(x == current)) return x;
  }
}

// The benchmark's table of archs: CSV `id` <-> canonical string, read once from
// <benchdata>/<csv_file> (benchdata: $ZCNAS_BENCHDATA, else ../shared/benchdata from the working
// directory or up to two folders above it, as the CLI looks for it). `row_canonical` turns a
// row (header name -> cell text) into the canonical string. When the file is absent the table
// is empty: benchmark_key() then returns the canonical string itself (documented per space).
class BenchmarkIds {
 public:
  using RowFn = std::function<std::string(const std::map<std::string, std::string>&)>;
  BenchmarkIds(std::string csv_file, RowFn row_canonical);

  std::optional<std::string> id_of(const std::string& canonical) const;
  std::optional<std::string> canonical_of(const std::string& id) const;
  std::size_t size() const;

 private:
  void load() const;
  std::string file_;
  RowFn row_canonical_;
  mutable std::once_flag once_;  // benchmark_key() may run on several oneTBB workers at once
  mutable std::map<std::string, std::string> id_by_canon_, canon_by_id_;
};

std::string benchdata_dir();  // "" when not found

}  // namespace zcnas::spaces::tfarch
