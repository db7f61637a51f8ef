#pragma once
// Whitespace-normalized hashing of candidate text forms (arch strings, model
// descriptions, ONNX text). Used for dedup and as database keys.
//
// Normalization never merges different candidates: it trims, collapses every run
// of whitespace to one space, and drops whitespace next to delimiters
// (`,;:|~+=()[]{}`). So "[1, 2]" == "[1,2]" but "12 3" != "1 23".
#include <cstdint>
#include <string>
#include <string_view>

namespace zcnas {

struct Hash128 {
  std::uint64_t hi = 0, lo = 0;
  bool operator==(const Hash128&) const = default;
  auto operator<=>(const Hash128&) const = default;
  std::string hex() const;  // 32 lowercase hex digits
};

std::string normalize_whitespace(std::string_view text);
Hash128 hash128(std::string_view bytes);                         // xxh3-128 of raw bytes
inline Hash128 normalized_hash(std::string_view text) { return hash128(normalize_whitespace(text)); }

struct Hash128Hasher {
  std::size_t operator()(const Hash128& h) const noexcept { return static_cast<std::size_t>(h.lo ^ (h.hi * 0x9E3779B97F4A7C15ull)); }
};

}  // namespace zcnas
