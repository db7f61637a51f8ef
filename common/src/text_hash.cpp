#include "zcnas/common/text_hash.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace zcnas {
namespace {
constexpr bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
constexpr bool is_delim(char c) {
  switch (c) {
    case ',': case ';': case ':': case '|': case '~': case '+': case '=':
    case '(': case ')': case '[': case ']': case '{': case '}':
      return true;
    default:
      return false;
  }
}
}  // namespace

std::string normalize_whitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;  // a whitespace run seen since the last kept char
  for (char c : text) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    // Keep one space only between two non-delimiters.
    if (pending_space && !is_delim(c) && !is_delim(out.back())) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

Hash128 hash128(std::string_view bytes) {
  XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  return {h.high64, h.low64};
}

std::string Hash128::hex() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s(32, '0');
  for (int i = 0; i < 16; ++i) {
    s[15 - i] = digits[(hi >> (4 * i)) & 0xF];
    s[31 - i] = digits[(lo >> (4 * i)) & 0xF];
  }
  return s;
}

}  // namespace zcnas
