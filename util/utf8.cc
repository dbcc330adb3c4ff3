#include "util/utf8.h"

#include <utility>

#include "util/check.h"

namespace flopscope::utf8 {
namespace {

constexpr Decoded kInvalid = {kReplacementChar, 1, false};

}  // namespace

Decoded DecodeAt(absl::string_view text, size_t i) {
  FS_DCHECK(i < text.size());
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return {lead, 1, true};
  size_t length = 0;
  uint32_t code_point = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return kInvalid;  // a continuation byte or 0xF8..0xFF
  }
  if (i + length > text.size()) return kInvalid;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return kInvalid;
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  // The shortest form is the only valid one; each length has a smallest code point.
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < kMin[length] || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return kInvalid;
  }
  return {code_point, length, true};
}

void Append(std::string& out, uint32_t code_point) {
  FS_DCHECK(code_point <= 0x10FFFF && !(code_point >= 0xD800 && code_point <= 0xDFFF));
  const auto put = [&](uint32_t b) { out.push_back(static_cast<char>(b)); };
  if (code_point < 0x80) {
    put(code_point);
  } else if (code_point < 0x800) {
    put(0xC0 | (code_point >> 6));
    put(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    put(0xE0 | (code_point >> 12));
    put(0x80 | ((code_point >> 6) & 0x3F));
    put(0x80 | (code_point & 0x3F));
  } else {
    put(0xF0 | (code_point >> 18));
    put(0x80 | ((code_point >> 12) & 0x3F));
    put(0x80 | ((code_point >> 6) & 0x3F));
    put(0x80 | (code_point & 0x3F));
  }
}

size_t ValidPrefixLength(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const Decoded d = DecodeAt(text, i);
    if (!d.valid) break;
    i += d.length;
  }
  return i;
}

size_t ReplaceInvalid(std::string& text, size_t* first_bad) {
  // Valid text, the common case, is scanned once and never copied.
  size_t i = ValidPrefixLength(text);
  if (i == text.size()) return 0;
  *first_bad = i;
  size_t bad = 0;
  std::string out;
  out.reserve(text.size() + 16);
  out.append(text, 0, i);
  while (i < text.size()) {
    const Decoded d = DecodeAt(text, i);
    if (d.valid) {
      out.append(text, i, d.length);
    } else {
      Append(out, kReplacementChar);
      ++bad;
    }
    i += d.length;
  }
  text = std::move(out);
  return bad;
}

}  // namespace flopscope::utf8
