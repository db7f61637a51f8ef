// Dedup hashing throughput: whitespace-normalized xxh3-128 (what zcnas uses)
// against a straightforward baseline (strip all whitespace into a copy, then
// hash the copy with the same xxh3-128), on real candidate texts: every NB201 arch_str
// of ../shared/benchdata/nasbench201.csv, re-spaced as a user might write them.
//   ./build/release/tools/bench_dedup --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <functional>
#include <random>

#include "zcnas/common/csv.hpp"
#include "zcnas/common/text_hash.hpp"

namespace {

const std::vector<std::string>& texts() {
  static std::vector<std::string> t = [] {
    std::vector<std::string> v;
    auto csv = zcnas::CsvTable::read_file("../shared/benchdata/nasbench201.csv");
    const auto col = csv.column("arch_str");
    std::mt19937_64 rng(0);
    for (std::size_t i = 0; i < csv.rows(); ++i) {
      std::string s;
      for (char c : csv.row(i)[col]) {  // insert random spaces after delimiters
        s.push_back(c);
        if ((c == '|' || c == '+') && rng() % 2) s += " ";
      }
      v.push_back(std::move(s));
    }
    return v;
  }();
  return t;
}

std::size_t total_bytes() {
  std::size_t n = 0;
  for (const auto& s : texts()) n += s.size();
  return n;
}

void BM_NormalizedXxh3(benchmark::State& st) {
  const auto& t = texts();
  for (auto _ : st)
    for (const auto& s : t) benchmark::DoNotOptimize(zcnas::normalized_hash(s));
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * t.size()));
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * total_bytes()));
}

void BM_BaselineStripCopyXxh3(benchmark::State& st) {
  const auto& t = texts();
  for (auto _ : st)
    for (const auto& s : t) {
      std::string copy;
      copy.reserve(s.size());
      std::copy_if(s.begin(), s.end(), std::back_inserter(copy), [](char c) { return !std::isspace(static_cast<unsigned char>(c)); });
      benchmark::DoNotOptimize(zcnas::hash128(copy));
    }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * t.size()));
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * total_bytes()));
}

void BM_RawXxh3NoNormalization(benchmark::State& st) {
  const auto& t = texts();
  for (auto _ : st)
    for (const auto& s : t) benchmark::DoNotOptimize(zcnas::hash128(s));
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * t.size()));
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * total_bytes()));
}

BENCHMARK(BM_NormalizedXxh3);
BENCHMARK(BM_BaselineStripCopyXxh3);
BENCHMARK(BM_RawXxh3NoNormalization);

}  // namespace

BENCHMARK_MAIN();
