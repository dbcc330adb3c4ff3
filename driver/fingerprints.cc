#include "driver/fingerprints.h"

#include <array>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "util/utf8.h"
#include "xxhash.h"

namespace flopscope::driver {
namespace {

// The rolling line hasher. State and update rule mirror the description in fingerprints.h.
class LineHasher {
 public:
  static constexpr size_t kBlockSize = 100;
  static constexpr uint64_t kMod = 37;
  static constexpr uint32_t kEndOfFile = 65535;

  LineHasher() {
    line_numbers_.fill(-1);
    window_.fill(0);
    for (size_t i = 0; i < kBlockSize; ++i) first_mod_ *= kMod;  // wraps mod 2^64, as Long does
  }

  void Process(uint32_t unit) {
    if (unit == ' ' || unit == '\t' || (prev_cr_ && unit == '\n')) {
      prev_cr_ = false;
      return;
    }
    if (unit == '\r') {
      unit = '\n';
      prev_cr_ = true;
    } else {
      prev_cr_ = false;
    }
    if (line_numbers_[index_] != -1) Emit();
    if (line_start_) {
      line_start_ = false;
      line_numbers_[index_] = ++line_number_;
    }
    if (unit == '\n') line_start_ = true;
    Update(unit);
  }

  std::vector<std::string> Finish() {
    Process(kEndOfFile);
    for (size_t i = 0; i < kBlockSize; ++i) {
      if (line_numbers_[index_] != -1) Emit();
      Update(0);
    }
    return std::move(hashes_);
  }

 private:
  void Update(uint32_t unit) {
    uint64_t leaving = window_[index_];
    window_[index_] = unit;
    hash_ = kMod * hash_ + unit - first_mod_ * leaving;
    index_ = (index_ + 1) % kBlockSize;
  }

  void Emit() {
    int line = line_numbers_[index_];
    int count = ++counts_[hash_];
    if (hashes_.size() < static_cast<size_t>(line)) hashes_.resize(static_cast<size_t>(line));
    hashes_[static_cast<size_t>(line) - 1] = absl::StrCat(absl::Hex(hash_), ":", count);
    line_numbers_[index_] = -1;
  }

  std::array<uint64_t, kBlockSize> window_;
  std::array<int, kBlockSize> line_numbers_;
  uint64_t first_mod_ = 1;
  uint64_t hash_ = 0;
  size_t index_ = 0;
  int line_number_ = 0;
  bool line_start_ = true;
  bool prev_cr_ = false;
  absl::flat_hash_map<uint64_t, int> counts_;
  std::vector<std::string> hashes_;
};

}  // namespace

uint32_t Utf16Column(absl::string_view line, uint32_t byte_col) {
  if (byte_col == 0) return 0;
  size_t target = byte_col - 1;
  uint32_t units = 0;
  size_t i = 0;
  while (i < target && i < line.size()) {
    const utf8::Decoded c = utf8::DecodeAt(line, i);
    units += c.code_point >= 0x10000 ? 2 : 1;
    i += c.length;
  }
  if (target > i) units += static_cast<uint32_t>(target - i);
  return units + 1;
}

std::vector<std::string> LineHashes(absl::string_view text) {
  LineHasher hasher;
  for (size_t i = 0; i < text.size();) {
    const utf8::Decoded c = utf8::DecodeAt(text, i);
    const uint32_t cp = c.code_point;  // U+FFFD for an invalid byte
    if (cp >= 0x10000) {
      // JavaScript strings are UTF-16: a supplementary character is two code units.
      hasher.Process(0xD800 + ((cp - 0x10000) >> 10));
      hasher.Process(0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      hasher.Process(cp);
    }
    i += c.length;
  }
  return hasher.Finish();
}

std::string StableFingerprint(absl::string_view rule_code, absl::string_view uri,
                              absl::string_view logical_location, absl::string_view message) {
  std::string key = absl::StrCat(rule_code, "\x1f", uri, "\x1f", logical_location, "\x1f");
  bool in_space = false;
  for (char c : absl::StripAsciiWhitespace(message)) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      in_space = true;
      continue;
    }
    if (in_space) key.push_back(' ');
    in_space = false;
    key.push_back(c);
  }
  return absl::StrFormat("%016x", XXH64(key.data(), key.size(), 0));
}

}  // namespace flopscope::driver
