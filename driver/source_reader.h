// Reading one Python source file into the UTF-8 text the frontend parses.
//
// Python's own rules decide what the bytes mean: a UTF-8 byte-order mark is dropped, a PEP 263
// coding declaration (`# -*- coding: latin-1 -*-`) is honoured by converting to UTF-8 with
// iconv, and otherwise the file must be UTF-8. Files that are not are still analyzed, with each
// invalid byte replaced by U+FFFD and a kNotUtf8 notification naming the first bad byte. Files
// that cannot be analyzed at all (unreadable, not a regular file, over the size limit, holding a
// NUL byte, which CPython refuses to compile) yield nullopt and a notification with the reason.
//
// Users: the pipeline's read phase (driver/pipeline.cc).
#ifndef FLOPSCOPE_DRIVER_SOURCE_READER_H_
#define FLOPSCOPE_DRIVER_SOURCE_READER_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "ir/ir.h"

namespace flopscope::driver {

struct ReadLimits {
  size_t max_bytes = size_t{10} << 20;  // 10 MiB: generated data files, not code
};

// Reads `path` and decodes it (see DecodeSource). Problems are appended to `problems`, whether
// the file is analyzed or not.
std::optional<std::string> ReadSourceFile(const std::string& path, const ReadLimits& limits,
                                          std::vector<ir::Problem>& problems);

// Turns the raw bytes of `path` into valid UTF-8 text following Python's source encoding rules.
std::optional<std::string> DecodeSource(std::string bytes, const std::string& path,
                                        std::vector<ir::Problem>& problems);

// The PEP 263 encoding named in the first two lines of `bytes`, normalized the way CPython's
// tokenizer does ("utf-8", "iso-8859-1", else lowercased with '_' as '-'), or "" when none.
std::string DeclaredEncoding(absl::string_view bytes);

// 1-based line and byte column of `offset` in `text`.
ir::SourceRange RangeAtOffset(absl::string_view text, size_t offset);

}  // namespace flopscope::driver

#endif  // FLOPSCOPE_DRIVER_SOURCE_READER_H_
