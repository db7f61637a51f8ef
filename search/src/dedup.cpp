#include "zcnas/search/dedup.hpp"

#include "zcnas/common/error.hpp"

namespace zcnas::search {

Deduper::Outcome Deduper::insert(std::string_view text, Hash128* key_out) {
  std::string norm = normalize_whitespace(text);
  const Hash128 key = hash128(norm);
  if (key_out) *key_out = key;
  auto [it, inserted] = seen_.try_emplace(key, std::move(norm));
  if (inserted) return Outcome::New;
  if (it->second != normalize_whitespace(text))
    throw Error("candidate '" + std::string(text.substr(0, 80)) + "'",
                "xxh3-128 collision with a different candidate '" + it->second.substr(0, 80) + "'",
                "please report this input; it is the first known collision");
  ++duplicates_;
  return Outcome::Duplicate;
}

void Deduper::insert_known(const Hash128& key, std::string normalized_text) {
  seen_.try_emplace(key, std::move(normalized_text));
}

bool Deduper::contains(std::string_view text) const { return seen_.count(normalized_hash(text)) > 0; }

}  // namespace zcnas::search
