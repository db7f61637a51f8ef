#pragma once
// Dedup of candidates by their whitespace-normalized text form, before any work
// is spent on them. The key is xxh3-128 of the normalized text; the normalized
// text itself is kept, so a hash collision between different texts is detected
// (and reported) rather than trusted.
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "zcnas/common/text_hash.hpp"

namespace zcnas::search {

class Deduper {
 public:
  enum class Outcome { New, Duplicate };
  // Normalizes, hashes, and remembers `text`. Throws zcnas::Error on a true
  // 128-bit collision (two different normalized texts with one hash).
  Outcome insert(std::string_view text, Hash128* key_out = nullptr);
  // Marks a key as already known (e.g. present in the database) without its text.
  void insert_known(const Hash128& key, std::string normalized_text);
  bool contains(std::string_view text) const;

  std::size_t unique() const { return seen_.size(); }
  std::size_t duplicates() const { return duplicates_; }

 private:
  std::unordered_map<Hash128, std::string, Hash128Hasher> seen_;
  std::size_t duplicates_ = 0;
};

}  // namespace zcnas::search
