// The one UTF-8 decoder and encoder. Validity follows Python and RFC 3629: overlong forms,
// UTF-16 surrogates and code points above U+10FFFF are invalid, and an invalid sequence is
// replaced one byte at a time (each byte that starts no valid sequence is one U+FFFD), which is
// what Python's `errors="replace"` and JavaScript's TextDecoder do.
#ifndef FLOPSCOPE_UTIL_UTF8_H_
#define FLOPSCOPE_UTIL_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace flopscope::utf8 {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// One decoded character: an invalid sequence decodes to {kReplacementChar, 1, false}.
struct Decoded {
  uint32_t code_point;
  size_t length;  // bytes consumed, at least 1
  bool valid;
};

// Decodes the sequence starting at text[i]; requires i < text.size().
Decoded DecodeAt(absl::string_view text, size_t i);

// Appends the UTF-8 encoding of `code_point` (at most U+10FFFF, not a surrogate).
void Append(std::string& out, uint32_t code_point);

// The length of the longest valid prefix of `text`: the offset of the first byte that starts no
// valid sequence, or text.size() when the whole text is valid.
size_t ValidPrefixLength(absl::string_view text);

// Replaces each byte that starts no valid sequence with U+FFFD in place. Returns how many were
// replaced and, when any was, sets *first_bad to the input offset of the first one.
size_t ReplaceInvalid(std::string& text, size_t* first_bad);

}  // namespace flopscope::utf8

#endif  // FLOPSCOPE_UTIL_UTF8_H_
